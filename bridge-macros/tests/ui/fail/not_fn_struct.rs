#[bridge::auth_validator]
struct Validate;

fn main() {}
