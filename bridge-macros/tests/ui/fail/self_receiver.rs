use bridge::{Auth, Error};

struct Service;

impl Service {
    #[bridge::auth_validator]
    async fn validate(&self, _auth: Auth<String>) -> Result<(), Error> {
        Ok(())
    }
}

fn main() {}
