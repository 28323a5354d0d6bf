use bridge::{ActionMeta, ActionOutcome, Bridge, Error};

#[bridge::action_executor(name = "ping")]
async fn ping(_meta: ActionMeta) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("pong"))
}

fn main() {
    let _ = Bridge::new().endpoint(ping {});
}
