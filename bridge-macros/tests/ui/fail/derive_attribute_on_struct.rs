use bridge::configuration::ActionInputs;

#[derive(bridge::ActionInputs)]
#[bridge(name = "Ticket")]
#[allow(dead_code)]
struct Ticket {
    /// Ticket subject
    subject: String,
}

fn main() {
    let _ = Ticket::action_inputs();
}
