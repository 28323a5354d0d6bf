use bridge::{Auth, Bridge, Error, Interaction};

#[bridge::interaction_retriever(path = 42)]
async fn history(_auth: Auth<String>) -> Result<Vec<Interaction>, Error> {
    Ok(Vec::new())
}

fn main() {
    let _ = Bridge::new().endpoint(history {});
}
