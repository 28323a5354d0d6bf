//! The integration's configuration documents, generated from the bridge's own code: Talkdesk learns about an
//! integration from one JSON document and one per action (`bridge::docs::configuration`, `docs/configuration.md`).
//! Everything in them — the auth fields, the endpoint URLs, the actions and their inputs — is already declared in
//! code, so writing them by hand would be duplicated work that drifts.
//!
//! [`Integration`] holds what only the bridge's author knows (names, logos, interaction types, the authentication
//! type); [`AuthFields`] and [`ActionInputs`] describe the auth type and each action's inputs; the
//! [`Bridge`](crate::Bridge) adds the URLs of the endpoints it mounts and serves the result at `GET /configuration`.
//!
//! ```
//! use bridge::configuration::{AuthField, Integration};
//!
//! let zendesk = Integration::new("zendesk", "Zendesk")
//!     .description("Support tickets from Zendesk")
//!     .logo_url("https://example.com/zendesk.png")
//!     .icon_url("https://example.com/zendesk_icon.png")
//!     .custom_auth(vec![
//!         AuthField::input("account", "Account").format("https://{{account}}.zendesk.com"),
//!         AuthField::input("email", "Agent Email"),
//!         AuthField::input("token", "API Token").help("Find under Settings > Channels"),
//!     ])
//!     .interaction_types(["ticket"]);
//! let documents = zendesk.documents("https://bridge.example.com", &[], &[]).unwrap();
//! assert_eq!(documents.integration["authentication_configuration"][0]["account"]["display"], "Account");
//! ```

mod documents;
pub(crate) mod model;

pub use documents::{ConfigError, Documents};
pub use model::{
    ActionInput, ActionInputs, ActionSpec, AuthField, AuthFields, AuthenticationType, FieldSource, FieldType,
    Integration,
};
