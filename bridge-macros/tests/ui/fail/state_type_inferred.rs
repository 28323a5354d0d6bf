use bridge::{Auth, Bridge, ContactPage, Error, State};

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<String>, _client: State<_>) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

fn main() {
    let _ = Bridge::new().endpoint(contacts {});
}
