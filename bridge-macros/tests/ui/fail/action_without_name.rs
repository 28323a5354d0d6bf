use bridge::{ActionOutcome, Auth, Bridge, Error};

#[bridge::action_executor]
async fn create_ticket(_auth: Auth<String>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("created"))
}

fn main() {
    let _ = Bridge::new().endpoint(create_ticket {});
}
