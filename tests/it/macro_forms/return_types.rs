//! Every accepted return type: an error type `E: Into<bridge::Error>` (so that `?` works on the service's own
//! errors), `AuthValidation` from an auth validator, a plain `Vec<Agent>` from an agent retriever.
#![deny(warnings)]

use bridge::{Agent, Auth, AuthValidation, Bridge, Error};

enum ServiceError {
    Rejected,
}

impl From<ServiceError> for Error {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Rejected => Error::credentials_rejected(),
        }
    }
}

fn check(token: &str) -> Result<(), ServiceError> {
    if token.is_empty() {
        Err(ServiceError::Rejected)
    } else {
        Ok(())
    }
}

#[bridge::auth_validator]
async fn validate(Auth(token): Auth<String>) -> Result<(), ServiceError> {
    check(&token)?;
    Ok(())
}

#[bridge::auth_validator(path = "/auth_validation/store")]
async fn validate_and_store(Auth(token): Auth<String>) -> Result<AuthValidation, ServiceError> {
    check(&token)?;
    let mut fields = serde_json::Map::new();
    fields.insert("refresh_token".into(), token.into());
    Ok(AuthValidation::Store(fields))
}

#[bridge::agent_retriever]
async fn agents(_auth: Auth<String>) -> Result<Vec<Agent>, Error> {
    Ok(vec![Agent::new("1", "Ann Smith", "ann@example.com")])
}

#[test]
fn compiles_and_runs() {
    let bridge = Bridge::new().endpoint(validate {}).endpoint(validate_and_store {}).endpoint(agents {});
    assert!(bridge.into_service().is_ok());
}
