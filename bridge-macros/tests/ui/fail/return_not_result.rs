use bridge::{Auth, Bridge, ContactPage};

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<String>) -> ContactPage {
    ContactPage::new(Vec::new(), "0")
}

fn main() {
    let _ = Bridge::new().endpoint(contacts {});
}
