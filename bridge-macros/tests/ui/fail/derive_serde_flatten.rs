use bridge::configuration::ActionInputs;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Common {
    subject: String,
}

#[derive(Deserialize, bridge::ActionInputs)]
#[allow(dead_code)]
struct Ticket {
    #[serde(flatten)]
    common: Common,
}

fn main() {
    let _ = Ticket::action_inputs();
}
