use bridge::{AgentPage, Auth, Bridge, Data, Error};

#[bridge::agent_retriever]
async fn agents(_auth: Auth<String>, _filter: Data<String>) -> Result<AgentPage, Error> {
    Ok(AgentPage::new(Vec::new()))
}

fn main() {
    let _ = Bridge::new().endpoint(agents {});
}
