use bridge::{Auth, Bridge, Error, State};

struct Pool;

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>, _pool: State<Pool>) -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
