use bridge::{ActionOutcome, Auth, Bridge, Error, InteractionData};

#[bridge::action_executor(name = "log_call")]
async fn log_call(_auth: Auth<String>, _data: InteractionData) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("logged"))
}

fn main() {
    let _ = Bridge::new().endpoint(log_call {});
}
