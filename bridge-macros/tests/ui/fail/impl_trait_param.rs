use bridge::{Auth, Bridge, ContactPage, Error};

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<String>, _page_size: impl Into<usize>) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

fn main() {
    let _ = Bridge::new().endpoint(contacts {});
}
