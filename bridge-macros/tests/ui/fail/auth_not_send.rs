use bridge::{Auth, Bridge, Error};
use std::marker::PhantomData;
use std::rc::Rc;

#[derive(serde::Deserialize)]
struct Creds {
    #[serde(skip)]
    _not_send: PhantomData<Rc<()>>,
}

#[bridge::auth_validator]
async fn validate(_auth: Auth<Creds>) -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
