use bridge::{Auth, Bridge, Error};

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>, _again: Auth<String>) -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
