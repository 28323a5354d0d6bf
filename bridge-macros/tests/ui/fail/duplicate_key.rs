use bridge::{AgentPage, Auth, Bridge, Error};

#[bridge::agent_retriever(path = "/agents", path = "/v2/agents")]
async fn agents(_auth: Auth<String>) -> Result<AgentPage, Error> {
    Ok(AgentPage::new(Vec::new()))
}

fn main() {
    let _ = Bridge::new().endpoint(agents {});
}
