use bridge::{Auth, Bridge, Error};

#[bridge::action_executor(name = "ping")]
async fn ping(_auth: Auth<String>) -> Result<String, Error> {
    Ok("pong".to_owned())
}

fn main() {
    let _ = Bridge::new().endpoint(ping {});
}
