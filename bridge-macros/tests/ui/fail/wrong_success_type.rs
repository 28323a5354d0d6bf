use bridge::{Auth, Bridge, ContactPage, Error};

#[bridge::interaction_retriever]
async fn history(_auth: Auth<String>) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

fn main() {
    let _ = Bridge::new().endpoint(history {});
}
