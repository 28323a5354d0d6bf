use bridge::{AgentPage, Auth, Bridge, Error};

#[bridge::agent_retriever]
async fn agents<C: serde::de::DeserializeOwned>(_auth: Auth<C>) -> Result<AgentPage, Error> {
    Ok(AgentPage::new(Vec::new()))
}

fn main() {
    let _ = Bridge::new().endpoint(agents {});
}
