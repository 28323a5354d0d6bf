use bridge::{Auth, Bridge};

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>) -> impl std::fmt::Debug {
    "valid"
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
