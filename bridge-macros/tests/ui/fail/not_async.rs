use bridge::{Auth, Bridge, ContactPage, Error};

#[bridge::contact_retriever]
fn contacts(_auth: Auth<String>) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

fn main() {
    let _ = Bridge::new().endpoint(contacts {});
}
