use bridge::{Auth, Bridge, Error, State};
use std::cell::Cell;

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>, _hits: State<Cell<u32>>) -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
