use bridge::configuration::ActionInputs;

#[derive(bridge::ActionInputs)]
struct Ticket(String, String);

fn main() {
    let _ = Ticket::action_inputs();
}
