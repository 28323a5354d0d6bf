use bridge::{Auth, Bridge, Contact, Error};

#[bridge::agent_retriever]
async fn agents(_auth: Auth<String>) -> Result<Vec<Contact>, Error> {
    Ok(Vec::new())
}

fn main() {
    let _ = Bridge::new().endpoint(agents {});
}
