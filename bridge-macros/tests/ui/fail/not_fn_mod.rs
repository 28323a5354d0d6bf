#[bridge::interaction_retriever]
mod history {}

fn main() {}
