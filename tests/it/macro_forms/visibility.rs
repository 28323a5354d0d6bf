//! Handlers may be `pub`, `pub(crate)` or private, and live in modules: the endpoint struct has the function's
//! visibility and path.
#![deny(warnings)]

mod handlers {
    use bridge::{AgentPage, Auth, ContactPage, Error};

    /// A documented public handler.
    #[bridge::contact_retriever]
    pub async fn contacts(_auth: Auth<String>) -> Result<ContactPage, Error> {
        Ok(ContactPage::new(Vec::new(), "0"))
    }

    #[bridge::agent_retriever]
    pub(crate) async fn agents(_auth: Auth<String>) -> Result<AgentPage, Error> {
        Ok(AgentPage::new(Vec::new()))
    }

    #[bridge::auth_validator]
    async fn validate(_auth: Auth<String>) -> Result<(), bridge::Error> {
        Ok(())
    }

    pub fn bridge() -> bridge::Bridge {
        bridge::Bridge::new().endpoint(validate {})
    }
}

#[test]
fn compiles_and_runs() {
    let bridge = handlers::bridge().endpoint(handlers::contacts {}).endpoint(handlers::agents {});
    assert!(bridge.into_service().is_ok());
}
