use bridge::{Auth, Bridge, Error, Interaction};

#[bridge::interaction_retriever]
async unsafe fn history(_auth: Auth<String>) -> Result<Vec<Interaction>, Error> {
    Ok(Vec::new())
}

fn main() {
    let _ = Bridge::new().endpoint(history {});
}
