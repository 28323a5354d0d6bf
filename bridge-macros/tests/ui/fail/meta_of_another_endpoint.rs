use bridge::{Auth, Bridge, ContactPage, Error, InteractionMeta};

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<String>, _meta: InteractionMeta) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

fn main() {
    let _ = Bridge::new().endpoint(contacts {});
}
