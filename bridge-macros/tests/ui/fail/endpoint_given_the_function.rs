use bridge::{Auth, Bridge, Error};

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>) -> Result<(), Error> {
    Ok(())
}

fn main() {
    // The function, where the struct the macro generated is expected: `.endpoint(validate {})`.
    let _ = Bridge::new().endpoint(validate);
}
