use bridge::{Auth, Bridge, ContactPage, ContactSyncMeta, Error};

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<String>, _meta: ContactSyncMeta, _again: ContactSyncMeta) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

fn main() {
    let _ = Bridge::new().endpoint(contacts {});
}
