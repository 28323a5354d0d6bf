//! The Talkdesk simulator: drives a bridge as Talkdesk does and checks the protocol's invariants on every answer.
//!
//! What it checks is listed on [`Simulator`]. An endpoint that answers its first request `404` is taken as not
//! served: its checks are skipped. The answer is a [`Report`]; nothing panics on a broken bridge.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use bridge::testing::{CheckId, Simulator, TestClient};
//! use bridge::{Auth, Bridge, Contact, ContactPage, Error};
//!
//! #[bridge::contact_retriever]
//! async fn contacts(Auth(auth): Auth<serde_json::Value>) -> Result<ContactPage, Error> {
//!     if auth["token"] != "t" {
//!         return Err(Error::credentials_rejected());
//!     }
//!     let jane_and_john = vec![Contact::new("1", "Jane"), Contact::new("1", "John")];
//!     Ok(ContactPage::new(jane_and_john, "2024-01-31 09:30:00 UTC"))
//! }
//!
//! // `contacts` sends the id "1" twice.
//! let client = TestClient::new(Bridge::new().endpoint(contacts {})).unwrap();
//! let report = Simulator::new(client, serde_json::json!({"token": "t"})).run().await;
//! assert!(!report.passed());
//! report.assert_fails(CheckId::InitialSyncIds, "id \"1\" on page 1 was already sent on page 1");
//! println!("{report}"); // each check, PASS/FAIL/SKIP, and why
//! # }
//! ```

mod actions;
mod agents;
mod changes;
pub(crate) mod checks;
mod contacts;
mod credentials;
mod interactions;
pub(crate) mod oauth;
pub(crate) mod report;
mod run;
mod source_changes;

use super::client::TestClient;
use crate::endpoint::EndpointKind;
use changes::ChangeFn;
pub use changes::SourceChange;
use checks::CheckpointOrder;
use contacts::SyncPhase;
use oauth::OAuth;
use report::Report;
use run::Run;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::future::IntoFuture;
use std::sync::Arc;

/// The default bound on the pages of one sync.
pub const DEFAULT_MAX_PAGES: usize = 1000;

/// One action the simulator executes: its name, `meta` and `data` (the action's inputs).
///
/// ```
/// use bridge::testing::ActionProbe;
///
/// let probe = ActionProbe::new("create_ticket")
///     .contact_external_id("1")
///     .data(serde_json::json!({"subject": "Call missed", "description": "A call from Jane was missed."}));
/// assert_eq!(probe.name(), "create_ticket");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ActionProbe {
    name: String,
    meta: Map<String, Value>,
    data: Value,
    without_inputs: bool,
}

impl ActionProbe {
    /// The action `name`, with empty `meta` and `data` until told otherwise.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), meta: Map::new(), data: Value::Object(Map::new()), without_inputs: true }
    }

    /// The action's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The action's inputs, sent as `data`.
    ///
    /// # Panics
    ///
    /// When `data` cannot be represented as JSON.
    pub fn data(mut self, data: impl Serialize) -> Self {
        self.data = serde_json::to_value(data).expect("the action's data can be represented as JSON");
        self
    }

    /// `meta.contact_external_id`.
    pub fn contact_external_id(self, id: impl Into<String>) -> Self {
        self.meta_field("contact_external_id", Value::String(id.into()))
    }

    /// `meta.agent_external_id`.
    pub fn agent_external_id(self, id: impl Into<String>) -> Self {
        self.meta_field("agent_external_id", Value::String(id.into()))
    }

    /// Any field of `meta`.
    pub fn meta_field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.meta.insert(key.into(), value);
        self
    }

    /// Does not send the second request, the one without inputs (for an action whose every input is optional and
    /// that should not run twice).
    pub fn only_with_inputs(mut self) -> Self {
        self.without_inputs = false;
        self
    }

    fn has_inputs(&self) -> bool {
        self.data.as_object().is_none_or(|inputs| !inputs.is_empty())
    }
}

/// Where a long sync is: passed to [`Simulator::on_progress`] after each page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// `initial contact sync`, `incremental contact sync` or `agent sync`.
    pub phase: &'static str,
    /// The page just read (from 1).
    pub page: usize,
    /// Contacts or agents read so far in this sync.
    pub items: usize,
    /// The offset of the next page, or `None` when the sync is over.
    pub next_offset: Option<String>,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.phase.starts_with("agent") { "agents" } else { "contacts" };
        write!(f, "{}: page {}, {} {what} so far, ", self.phase, self.page, self.items)?;
        match &self.next_offset {
            Some(offset) => write!(f, "next offset {offset:?}"),
            None => f.write_str("done"),
        }
    }
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Drives a bridge as Talkdesk does, and checks the protocol's invariants on every answer.
///
/// One [`Simulator::run`] makes, in order:
/// 1. **authorization validation** with the given credentials (`204`, or `200` with an object) and with altered ones
///    (`401`);
/// 2. an **initial contact sync** through every page, following `next_offset` and sending `context` back, then an
///    **incremental sync** from the checkpoint it ended with. Every contact needs a non-empty, unique id and a name;
///    every page a checkpoint that never moves backwards; an offset that repeats (Talkdesk would loop forever) and
///    more pages than [`Simulator::max_pages`] fail the sync;
/// 3. **interaction retrieval** for a few of the synced contacts (and any [`Simulator::interaction_lookup`]): dates
///    in `YYYY-MM-DD HH:MM:SS UTC`, priority and status within their sets, types among the requested ones (asked
///    once more for a single type, to catch a bridge that ignores the filter), unique ids;
/// 4. each configured **action** ([`Simulator::action`]): `201` with the documented fields, or `400` with a
///    message; once with its inputs and once without;
/// 5. an **agent sync** through every page (offsets sent back as integers, as Talkdesk does): unique ids, a name and
///    an email each, an end;
/// 6. altered credentials on every other served endpoint, with a request that makes a bridge ask its service (the
///    interaction lookup that found interactions, an action's inputs): `401` each time. A `200 []` to a lookup with
///    nothing to find, or a `400` to an action refused with the given credentials too, is noted, not failed: a
///    `401` follows when the *service* refused the credentials, and such a request may never have reached it. And
///    `Content-Type: application/json` on every answer with a body.
///
/// An endpoint that answers its first request `404` is taken as not served: its checks are skipped (unless
/// [`Simulator::declared_endpoints`] says which endpoints there are).
#[derive(Clone)]
pub struct Simulator {
    client: TestClient,
    auth: Value,
    invalid_auth: Option<Value>,
    max_pages: usize,
    interaction_types: Vec<String>,
    interaction_contacts: usize,
    interaction_search: usize,
    interaction_lookups: Vec<Value>,
    actions: Vec<ActionProbe>,
    checkpoint_order: CheckpointOrder,
    progress: Option<ProgressFn>,
    change_source: Option<ChangeFn>,
    oauth: Option<OAuth>,
    declared: Option<Vec<EndpointKind>>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("client", &self.client)
            .field("auth", &"<redacted>")
            .field("max_pages", &self.max_pages)
            .field("interaction_types", &self.interaction_types)
            .field("actions", &self.actions)
            .finish_non_exhaustive()
    }
}

/// Names of `auth` fields that hold a secret: a password, a token, a key.
const SECRET_HINTS: [&str; 6] = ["token", "password", "secret", "key", "pass", "credential"];

/// Credentials that no service accepts: `-invalid` appended to every string of `auth` that holds a secret (by its
/// name: a token, a password, a key…), or to every string when none does; `None` when `auth` has no string to alter.
///
/// Only the secret is altered when there is one: an altered account name or URL would send the request nowhere (no
/// service answers at `acme-invalid.zendesk.com`), and a bridge rightly answers that with a `400`, not a `401`.
fn altered(auth: &Value) -> Option<Value> {
    let Value::Object(fields) = auth else { return None };
    let is_secret = |key: &str| {
        let key = key.to_ascii_lowercase();
        SECRET_HINTS.iter().any(|hint| key.contains(hint))
    };
    let secrets = fields.iter().any(|(key, value)| value.is_string() && is_secret(key));
    let mut changed = false;
    let altered = fields
        .iter()
        .map(|(key, value)| match value {
            Value::String(s) if !secrets || is_secret(key) => {
                changed = true;
                (key.clone(), Value::String(format!("{s}-invalid")))
            }
            other => (key.clone(), other.clone()),
        })
        .collect();
    changed.then_some(Value::Object(altered))
}

impl Simulator {
    /// A simulator that calls the bridge behind `client` with the credentials `auth` (the JSON Talkdesk would send
    /// as `auth`: `{"username": …, "password": …}`).
    ///
    /// # Panics
    ///
    /// When `auth` cannot be represented as JSON.
    pub fn new(client: TestClient, auth: impl Serialize) -> Self {
        let auth = serde_json::to_value(auth).expect("the credentials can be represented as JSON");
        Self {
            client,
            invalid_auth: altered(&auth),
            auth,
            max_pages: DEFAULT_MAX_PAGES,
            interaction_types: vec!["case".to_owned(), "note".to_owned()],
            interaction_contacts: 3,
            interaction_search: 0,
            interaction_lookups: Vec::new(),
            actions: Vec::new(),
            checkpoint_order: CheckpointOrder::Auto,
            progress: None,
            change_source: None,
            oauth: None,
            declared: None,
        }
    }

    /// The credentials that must be answered `401` (default: `-invalid` appended to each string of the given ones
    /// that holds a secret by its name, `token`, `password`, `api_key`…, or to every string when none does).
    ///
    /// # Panics
    ///
    /// When `auth` cannot be represented as JSON.
    pub fn invalid_auth(mut self, auth: impl Serialize) -> Self {
        self.invalid_auth = Some(serde_json::to_value(auth).expect("the credentials can be represented as JSON"));
        self
    }

    /// The most pages one sync may have before the simulator calls it endless (default 1000).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// The `interaction_types` to ask for, as the integration declares them (default `case`, `note`).
    pub fn interaction_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.interaction_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// How many of the synced contacts to look interactions up for (default 3).
    pub fn interaction_contacts(mut self, contacts: usize) -> Self {
        self.interaction_contacts = contacts;
        self
    }

    /// When no lookup found interactions, keeps looking them up for the other synced contacts, each by its id, then
    /// by its emails and phones, until some come back or `max_lookups` more lookups were made (default 0: no
    /// search). A bridge whose contacts mostly have no interactions (one in 300 with tickets) then still has its
    /// interactions checked; when none came back, the report says how many lookups were tried.
    ///
    /// ```
    /// use bridge::testing::{Simulator, TestClient};
    ///
    /// let client = TestClient::http("http://127.0.0.1:3000");
    /// let simulator = Simulator::new(client, serde_json::json!({"token": "t"})).interaction_search(1000);
    /// ```
    pub fn interaction_search(mut self, max_lookups: usize) -> Self {
        self.interaction_search = max_lookups;
        self
    }

    /// One more interaction lookup, with this `data` (`{"contact_external_id": "1"}`,
    /// `{"contact_emails": ["jane@example.com"]}`).
    ///
    /// # Panics
    ///
    /// When `data` cannot be represented as JSON.
    pub fn interaction_lookup(mut self, data: impl Serialize) -> Self {
        self.interaction_lookups.push(serde_json::to_value(data).expect("the lookup can be represented as JSON"));
        self
    }

    /// An action to execute (none by default: actions change the external service).
    pub fn action(mut self, action: ActionProbe) -> Self {
        self.actions.push(action);
        self
    }

    /// How checkpoints are compared (default [`CheckpointOrder::Auto`]).
    pub fn checkpoint_order(mut self, order: CheckpointOrder) -> Self {
        self.checkpoint_order = order;
        self
    }

    /// Talkdesk's OAuth 2.0: a request with the given credentials answered `401` makes the simulator refresh the
    /// access token with `oauth` and repeat it, once, as Talkdesk does; the report gains
    /// [`CheckId::OAuthRefresh`](super::CheckId::OAuthRefresh) and
    /// [`CheckId::OAuthOnlyRejected`](super::CheckId::OAuthOnlyRejected) (see [`OAuth`]).
    pub fn oauth(mut self, oauth: OAuth) -> Self {
        self.oauth = Some(oauth);
        self
    }

    /// The endpoints the integration's configuration declares (its `auth_validation_endpoint`,
    /// `contact_synchronization_endpoint`… keys): Talkdesk calls only those. The others are not called and their
    /// checks are skipped as not declared; a declared one that answers `404` fails, since Talkdesk would call it.
    /// Without this, every endpoint is tried and one that answers its first request `404` is taken as not served.
    ///
    /// ```
    /// use bridge::testing::{Simulator, TestClient};
    /// use bridge::EndpointKind;
    ///
    /// let client = TestClient::http("http://127.0.0.1:3000");
    /// let auth = serde_json::json!({"token": "t"});
    /// let simulator = Simulator::new(client, auth)
    ///     .declared_endpoints([EndpointKind::AuthValidation, EndpointKind::ContactSync]);
    /// ```
    pub fn declared_endpoints(mut self, kinds: impl IntoIterator<Item = EndpointKind>) -> Self {
        self.declared = Some(kinds.into_iter().collect());
        self
    }

    /// Calls `progress` after each page of a sync (the conformance command prints a line).
    pub fn on_progress(mut self, progress: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Changes the external service while the contact syncs run, as users do: `change` is called between two
    /// pages of the initial and the incremental sync (after the page `Progress` describes) and changes the source,
    /// saying what it changed. The report gains [`CheckId::SourceChanges`](super::CheckId::SourceChanges): every
    /// changed contact arrives, changed, in a later page or in the incremental sync (a contact sent again in the
    /// same sync because it changed is not a duplicate), and a new initial sync after the run finds no contact that
    /// neither sync sent.
    ///
    /// The hook returns a [`SourceChange`], or a future of one: an async hook can call the service it changes (a
    /// sandbox account's API, a fake over HTTP), and the next page is asked for once it is done. A future cannot
    /// borrow the `Progress`: copy what it needs first. A synchronous hook, changing a fake through its own API:
    ///
    /// ```no_run
    /// # async fn example(client: bridge::testing::TestClient, auth: serde_json::Value,
    /// #     source: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>) {
    /// use bridge::testing::{Simulator, SourceChange};
    /// use bridge::Contact;
    ///
    /// // `source` is what the fake service serves: rename the first contact after page 1.
    /// let report = Simulator::new(client, auth)
    ///     .change_source(move |progress| {
    ///         if progress.page != 1 || progress.phase != "initial contact sync" {
    ///             return SourceChange::new();
    ///         }
    ///         let mut rows = source.lock().unwrap();
    ///         rows[0].1 = "Ada Lovelace (renamed)".to_owned();
    ///         SourceChange::new().changed(Contact::new(rows[0].0.clone(), rows[0].1.clone()))
    ///     })
    ///     .run()
    ///     .await;
    /// report.assert_passes();
    /// # }
    /// ```
    ///
    /// An async hook, renaming a user through the service's own API:
    ///
    /// ```no_run
    /// # async fn example(client: bridge::testing::TestClient, auth: serde_json::Value) {
    /// use bridge::testing::{Simulator, SourceChange};
    /// use bridge::Contact;
    ///
    /// let service = reqwest::Client::new();
    /// let report = Simulator::new(client, auth)
    ///     .change_source(move |progress| {
    ///         let first_page = progress.page == 1 && progress.phase == "initial contact sync";
    ///         let service = service.clone();
    ///         async move {
    ///             if !first_page {
    ///                 return SourceChange::new();
    ///             }
    ///             let rename = serde_json::json!({"user": {"name": "Ada Lovelace (renamed)"}});
    ///             let url = "https://acme.example.com/api/v2/users/7.json";
    ///             service.put(url).json(&rename).send().await.unwrap().error_for_status().unwrap();
    ///             SourceChange::new().changed(Contact::new("7", "Ada Lovelace (renamed)"))
    ///         }
    ///     })
    ///     .run()
    ///     .await;
    /// report.assert_passes();
    /// # }
    /// ```
    pub fn change_source<F, R>(mut self, change: F) -> Self
    where
        F: Fn(&Progress) -> R + Send + Sync + 'static,
        R: IntoFuture<Output = SourceChange>,
        R::IntoFuture: Send + 'static,
    {
        self.change_source = Some(Arc::new(move |progress: &Progress| Box::pin(change(progress).into_future())));
        self
    }

    /// Runs every check, and reports.
    pub async fn run(&self) -> Report {
        let mut run = Run::new(self);
        run.auth_validation().await;
        let initial = run.contact_sync(SyncPhase::Initial, None).await;
        match &initial.checkpoint {
            Some(checkpoint) => {
                run.contact_sync(SyncPhase::Incremental, Some(checkpoint.clone())).await;
            }
            None => {
                let why = match run.undeclared(EndpointKind::ContactSync) {
                    Some(why) => why,
                    None if initial.served => "the initial sync ended without a checkpoint to start from".to_owned(),
                    None => "the contact sync is not served".to_owned(),
                };
                run.skip_all(&SyncPhase::Incremental.checks(), &why);
            }
        }
        run.source_changes().await;
        run.interactions(&initial.contacts).await;
        for action in &self.actions {
            run.action(action).await;
        }
        run.agent_sync().await;
        run.rejected_everywhere().await;
        run.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::altered;
    use serde_json::json;

    #[test]
    fn only_secrets_are_altered_when_there_are_some() {
        let zendesk = json!({"account": "acme", "email": "ada@example.com", "token": "t"});
        assert_eq!(
            altered(&zendesk),
            Some(json!({"account": "acme", "email": "ada@example.com", "token": "t-invalid"}))
        );
        let basic = json!({"username": "u", "password": "p", "port": 443});
        assert_eq!(altered(&basic), Some(json!({"username": "u", "password": "p-invalid", "port": 443})));
        let api_key = json!({"region": "eu", "API_Key": "k"});
        assert_eq!(altered(&api_key), Some(json!({"region": "eu", "API_Key": "k-invalid"})));
        // Nothing looks secret: every string is altered.
        assert_eq!(altered(&json!({"user": "u", "n": 1})), Some(json!({"user": "u-invalid", "n": 1})));
        assert_eq!(altered(&json!({"n": 1})), None);
        assert_eq!(altered(&json!("token")), None);
    }
}
