use bridge::{Auth, Bridge, ContactPage, Error};

/// Not `bridge::ContactSyncMeta`: a type of the user's that happens to have the same name.
struct ContactSyncMeta;

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<String>, _meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

fn main() {
    let _ = Bridge::new().endpoint(contacts {});
}
