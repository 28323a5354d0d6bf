struct Agents;

#[bridge::agent_retriever]
impl Agents {}

fn main() {}
