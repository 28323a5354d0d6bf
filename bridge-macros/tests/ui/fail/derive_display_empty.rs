use bridge::configuration::Integration;

#[derive(bridge::AuthFields)]
#[allow(dead_code)]
struct Credentials {
    #[bridge(display = "")]
    token: String,
}

fn main() {
    let _ = Integration::new("service", "Service").custom_auth_of::<Credentials>();
}
