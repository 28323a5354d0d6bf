use bridge::{ActionOutcome, Auth, Bridge, Error};

#[bridge::action_executor(name = "ping")]
async extern "C" fn ping(_auth: Auth<String>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("pong"))
}

fn main() {
    let _ = Bridge::new().endpoint(ping {});
}
