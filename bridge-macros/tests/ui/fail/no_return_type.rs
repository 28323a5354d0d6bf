use bridge::{Auth, Bridge};

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>) {}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
