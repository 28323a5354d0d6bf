use bridge::{ContactPage, Error};

/// Meant to be built from each request, but without `impl bridge::FromRequest for Session`.
struct Session;

#[bridge::contact_retriever]
async fn contacts(_session: Session) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "2024-01-01 00:00:00 UTC"))
}

fn main() {
    let _ = bridge::Bridge::new().endpoint(contacts {});
}
