use bridge::{AgentPage, Auth, Bridge, Error};
use std::rc::Rc;

#[bridge::agent_retriever]
async fn agents(_auth: Auth<String>) -> Result<AgentPage, Error> {
    let count = Rc::new(0);
    std::future::ready(()).await;
    Ok(AgentPage::new(Vec::with_capacity(*count)))
}

fn main() {
    let _ = Bridge::new().endpoint(agents {});
}
