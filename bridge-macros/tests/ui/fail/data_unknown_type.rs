use bridge::{ActionOutcome, Auth, Bridge, Data, Error};

#[bridge::action_executor(name = "create_ticket")]
async fn create_ticket(_auth: Auth<String>, _ticket: Data<Ticket>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("created"))
}

fn main() {
    let _ = Bridge::new().endpoint(create_ticket {});
}
