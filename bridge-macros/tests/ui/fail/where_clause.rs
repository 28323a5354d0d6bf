use bridge::{Auth, Bridge, Error};

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>) -> Result<(), Error>
where
    String: Clone,
{
    Ok(())
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
