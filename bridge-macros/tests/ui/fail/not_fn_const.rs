#[bridge::contact_retriever]
const CONTACTS: usize = 10;

fn main() {}
