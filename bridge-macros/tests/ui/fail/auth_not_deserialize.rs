use bridge::{Auth, Bridge, Error};

struct Creds;

#[bridge::auth_validator]
async fn validate(_auth: Auth<Creds>) -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
