use bridge::configuration::ActionInputs;

#[derive(bridge::ActionInputs)]
#[allow(dead_code)]
struct Ticket {
    /// Ticket subject
    subject: String,
    description: String,
}

fn main() {
    let _ = Ticket::action_inputs();
}
