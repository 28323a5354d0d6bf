use bridge::{Auth, Bridge, ContactPage, Error};

// The one fixture with more than one mistake: every one is reported, each on its own token, and the signature the
// endpoint accepts is printed once, with the first.
#[bridge::contact_retriever(path = "contacts")]
fn contacts(_auth: Auth<String>, _limit: u8) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

fn main() {
    let _ = Bridge::new().endpoint(contacts {});
}
