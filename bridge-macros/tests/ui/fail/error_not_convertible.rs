use bridge::{ActionOutcome, Auth, Bridge};

struct MyError;

#[bridge::action_executor(name = "ping")]
async fn ping(_auth: Auth<String>) -> Result<ActionOutcome, MyError> {
    Ok(ActionOutcome::message("pong"))
}

fn main() {
    let _ = Bridge::new().endpoint(ping {});
}
