use bridge::configuration::Integration;

#[derive(bridge::AuthFields)]
enum Credentials {
    Token(String),
}

fn main() {
    let _ = Integration::new("service", "Service").custom_auth_of::<Credentials>();
}
