use bridge::{Bridge, Error};

/// Not `bridge::Auth`: a type of the user's that happens to have the same name.
struct Auth<T>(T);

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>) -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
