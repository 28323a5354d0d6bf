use bridge::{Auth, Bridge, Error};

#[bridge::auth_validator]
const async fn validate(_auth: Auth<String>) -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
