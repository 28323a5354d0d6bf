//! The Zendesk Support API v2 as this bridge uses it: the shapes it reads and writes (from Zendesk's
//! `support-oas.yaml`), and a [`Session`] per Talkdesk request that calls Zendesk with that request's credentials.
//!
//! *How* calls are made is `bridge::http`'s business, not this module's: one shared connection pool, a timeout on
//! every attempt, redirects never followed, `429`/`503` retried a bounded number of times honouring `Retry-After`,
//! Zendesk's `401`/`403` turned into the bridge's `401` and other failures into `400`/`502`/`504`, the token kept out
//! of logs and error bodies, and the account checked as one DNS label before any URL exists
//! ([`TenantUrl::tenant`]). This module only knows *what* to ask Zendesk, and reads only the fields it uses, so
//! that Zendesk adding fields never breaks it.
//!
//! | call | Zendesk API | allowed for |
//! |---|---|---|
//! | [`Session::me`] | `GET /api/v2/users/me` | anyone (bad credentials get the anonymous user, with `200`) |
//! | [`Session::export_users`] | `GET /api/v2/incremental/users/cursor` | admins; 10 requests/minute |
//! | [`Session::end_users`] | `GET /api/v2/users?role=end-user&sort=-updated_at&page[size]=…` | agents |
//! | [`Session::search_users`] | `GET /api/v2/users/search?query=…` | agents |
//! | [`Session::requested_tickets`] | `GET /api/v2/users/{id}/tickets/requested` | agents |
//! | [`Session::create_ticket`] | `POST /api/v2/tickets` | agents |
//! | [`Session::staff`] | `GET /api/v2/users?role[]=agent&role[]=admin` | agents |

use super::Config;
use bridge::http::{BaseUrl, Client, RequestBuilder, Response, StatusCode, TenantUrl, Url};
use bridge::{Error, FieldError, FromRequest, RequestParts, Secret};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where Zendesk accounts live: `https://<account>.zendesk.com`.
pub const PARENT_DOMAIN: &str = "zendesk.com";

/// The `auth` of every request: the fields of Talkdesk's own Zendesk configuration, which the derive writes into
/// the generated `authentication_configuration`.
#[derive(Debug, Deserialize, bridge::AuthFields)]
pub struct Credentials {
    /// The account's subdomain: `acme` for `https://acme.zendesk.com`.
    #[bridge(display = "Account", format = "https://{{account}}.zendesk.com")]
    pub account: String,
    /// The email of the Zendesk user the bridge acts as: an agent or an admin (see [`super::handlers`]).
    #[bridge(display = "Agent Email")]
    pub email: String,
    /// That user's API token (Admin Center › Apps and integrations › Zendesk API).
    #[bridge(display = "API Token", help = "Find under Settings > Channels")]
    pub token: Secret,
}

/// What every handler shares (as `State<Zendesk>`): the HTTP client and its one pool, where accounts live, and the
/// sizes of what is asked for.
#[derive(Debug, Clone)]
pub struct Zendesk {
    client: Client,
    accounts: TenantUrl,
    budget: Duration,
    /// Users asked for per page of the incremental user export (Zendesk allows up to 1000); the user list, with an
    /// agent's credentials, asks for at most [`USERS_PAGE_MAX`].
    pub contact_page_size: u32,
    /// Agents per page of agent synchronization (Zendesk allows up to 100).
    pub agent_page_size: u32,
    /// The most recent tickets returned per interaction retrieval (Zendesk allows up to 100 per page).
    pub ticket_limit: u32,
}

impl Zendesk {
    /// The budget of each request's calls and the page sizes come from `config`.
    pub fn new(client: Client, accounts: TenantUrl, config: &Config) -> Self {
        Self {
            client,
            accounts,
            budget: config.call_budget,
            contact_page_size: config.contact_page_size,
            agent_page_size: config.agent_page_size,
            ticket_limit: config.ticket_limit,
        }
    }

    /// A session for one Talkdesk request: the account is checked (a `400` naming `auth.account` otherwise, before
    /// any URL exists) and the email too (it becomes half of a Basic credential).
    pub fn session(&self, auth: &Credentials) -> Result<Session, Error> {
        let base = self.accounts.tenant("auth.account", &auth.account)?;
        let email = auth.email.trim();
        if email.is_empty() || !email.contains('@') || email.contains(':') || email.chars().any(char::is_control) {
            return Err(field_error("auth.email", "must be the email address of a Zendesk agent or admin"));
        }
        Ok(Session {
            client: self.client.clone(),
            base,
            username: format!("{email}/token"),
            token: auth.token.clone(),
            deadline: Instant::now() + self.budget,
        })
    }
}

/// The calls of one Talkdesk request, all made as the user of its credentials and all within one deadline.
pub struct Session {
    client: Client,
    base: BaseUrl,
    /// `{email}/token`: Zendesk's Basic user name for API-token authentication.
    username: String,
    token: Secret,
    deadline: Instant,
}

/// The most users a page of `GET /api/v2/users` holds (Zendesk's limit for cursor pagination).
pub const USERS_PAGE_MAX: u32 = 100;

/// Where an incremental user export starts.
#[derive(Debug, Clone, Copy)]
pub enum ExportFrom<'a> {
    /// Users changed at or after this Unix time (the first page of a sync).
    Time(i64),
    /// The page after this cursor (an `after_cursor` Zendesk sent).
    Cursor(&'a str),
}

/// Every handler's session: the request's credentials, checked and bound to their account, with the request's time
/// budget.
impl FromRequest for Session {
    async fn from_request(request: &RequestParts) -> Result<Self, Error> {
        let zendesk: Zendesk = request.state()?;
        zendesk.session(&request.auth::<Credentials>()?)
    }
}

impl Session {
    /// The account's base URL: `https://<account>.zendesk.com/`, or the operator's `ZENDESK_BASE_URL`.
    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    /// A link into Zendesk's agent interface: `agent/users/42`, `agent/tickets/7`.
    pub fn agent_url(&self, kind: &str, id: u64) -> Result<Url, Error> {
        self.base.join(["agent", kind, &id.to_string()])
    }

    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        request.basic_auth(&self.username, &self.token).deadline(self.deadline)
    }

    fn get(&self, path: &[&str]) -> Result<RequestBuilder, Error> {
        Ok(self.authorized(self.client.get(self.base.join(path)?)))
    }

    /// The user the credentials authenticate, or `None` when nothing answers for this account (`404`).
    ///
    /// Zendesk answers bad credentials on this endpoint with `200` and its *anonymous user* (`"id": null`), not
    /// with a `401`: the caller must look at the user.
    pub async fn me(&self) -> Result<Option<User>, Error> {
        let me: Option<UserResponse> = self.get(&["api", "v2", "users", "me"])?.fetch_optional().await?;
        Ok(me.map(|answer| answer.user))
    }

    /// The user the credentials authenticate: a `401` when Zendesk answers with its anonymous user, a `400` naming
    /// `auth.account` when no account answers there.
    pub async fn authenticated(&self) -> Result<User, Error> {
        let Some(me) = self.me().await? else {
            return Err(field_error("auth.account", "no Zendesk account answers at this address"));
        };
        if me.id.is_none() {
            return Err(Error::credentials_rejected()); // Zendesk's anonymous user: it did not recognise them
        }
        Ok(me)
    }

    /// One page of the cursor-based incremental user export, with each user's identities and organization
    /// sideloaded (no extra call).
    pub async fn export_users(&self, from: ExportFrom<'_>, per_page: u32) -> Result<UserExport, Error> {
        let request = self.get(&["api", "v2", "incremental", "users", "cursor"])?;
        let request = match from {
            ExportFrom::Time(start_time) => request.query("start_time", start_time),
            ExportFrom::Cursor(cursor) => request.query("cursor", cursor),
        };
        request.query("per_page", per_page).query("include", "identities,organizations").fetch().await
    }

    /// One page of the account's end users, most recently updated first (`sort=-updated_at`), with cursor
    /// pagination: the first page without `after`, the next ones after the `meta.after_cursor` Zendesk sent. Each
    /// user's identities and organization are sideloaded (no extra call). Agents may call it.
    pub async fn end_users(&self, after: Option<&str>, per_page: u32) -> Result<UsersCursorPage, Error> {
        let mut request = self
            .get(&["api", "v2", "users"])?
            .query("role", "end-user")
            .query("sort", "-updated_at")
            .query("page[size]", per_page.clamp(1, USERS_PAGE_MAX))
            .query("include", "identities,organizations");
        if let Some(cursor) = after {
            request = request.query("page[after]", cursor);
        }
        request.fetch().await
    }

    /// The users a search finds (`email:jane@example.com`, `phone:+15551234567`): the first page is enough to
    /// identify a contact.
    pub async fn search_users(&self, query: &str) -> Result<Vec<User>, Error> {
        let page: UsersPage =
            self.get(&["api", "v2", "users", "search"])?.query("query", query).query("per_page", 10).fetch().await?;
        Ok(page.users)
    }

    /// The `limit` most recently updated tickets `user_id` requested, or `None` when there is no such user.
    pub async fn requested_tickets(&self, user_id: u64, limit: u32) -> Result<Option<Vec<Ticket>>, Error> {
        let page: Option<TicketsPage> = self
            .get(&["api", "v2", "users", &user_id.to_string(), "tickets", "requested"])?
            .query("sort_by", "updated_at")
            .query("sort_order", "desc")
            .query("per_page", limit)
            .fetch_optional()
            .await?;
        Ok(page.map(|page| page.tickets))
    }

    /// Page `page` (from 1) of the account's agents and admins.
    pub async fn staff(&self, page: u32, per_page: u32) -> Result<UsersPage, Error> {
        self.get(&["api", "v2", "users"])?
            .query("role[]", "agent")
            .query("role[]", "admin")
            .query("page", page)
            .query("per_page", per_page)
            .fetch()
            .await
    }

    /// Creates a ticket. Zendesk's `422` (and `400`) become a `400` whose message is Zendesk's own explanation
    /// (`Requester: could not be found`); anything else maps as every call does.
    pub async fn create_ticket(&self, ticket: NewTicket<'_>) -> Result<Ticket, Error> {
        let url = self.base.join(["api", "v2", "tickets"])?;
        let response = self.authorized(self.client.post(url)).json(&TicketRequest { ticket }).send_unchecked().await?;
        if matches!(response.status(), StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST) {
            return Err(Error::action_failed(format!("Zendesk refused the ticket: {}", Self::rejection(&response))));
        }
        let created: TicketResponse = response.error_for_status()?.json()?;
        Ok(created.ticket)
    }

    /// What Zendesk said about a rejected write: the `description` of each entry of `details` (which name the
    /// field), else the top-level `description` or `error`. One line, bounded, without the token.
    fn rejection(response: &Response) -> String {
        let said = serde_json::from_slice::<Rejection>(response.bytes()).ok();
        let mut reasons: Vec<String> = Vec::new();
        if let Some(said) = &said {
            for (field, problems) in &said.details {
                for problem in problems {
                    let text = problem.description.clone().unwrap_or_else(|| format!("{field} is invalid"));
                    reasons.push(text);
                }
            }
            if reasons.is_empty() {
                reasons.extend(said.description.clone());
            }
            if reasons.is_empty() {
                reasons.extend(said.error.as_ref().and_then(|e| e.as_str()).map(str::to_owned));
            }
        }
        if reasons.is_empty() {
            reasons.push(format!("{} with no explanation", response.status()));
        }
        // One line, bounded, without any credential of the call, as bridge::http's own messages.
        response.quote(&reasons.join("; "))
    }
}

/// A `400` naming one request field.
pub fn field_error(field: &str, message: impl Into<String>) -> Error {
    Error::invalid_fields(vec![FieldError { field: field.to_owned(), message: message.into() }])
}

// --- What Zendesk sends ------------------------------------------------------------------------------------------

/// A Zendesk user (`UserObject`), as far as the bridge reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// `null` for the anonymous user Zendesk answers `/users/me` with when the credentials are wrong.
    pub id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    /// The primary email.
    #[serde(default)]
    pub email: Option<String>,
    /// The primary phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// `end-user`, `agent` or `admin`.
    #[serde(default)]
    pub role: Option<String>,
    /// The kind of agent: `1` for a light agent, `3` for a contributor, `4` for an admin (`null` or `0` for others).
    #[serde(default)]
    pub role_type: Option<i64>,
    /// `false` once the user is deleted.
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub suspended: Option<bool>,
    #[serde(default)]
    pub organization_id: Option<u64>,
    #[serde(default)]
    pub photo: Option<Photo>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl User {
    /// Whether the user is neither deleted nor suspended.
    pub fn is_live(&self) -> bool {
        self.active != Some(false) && self.suspended != Some(true)
    }
}

/// A user's profile picture (an attachment).
#[derive(Debug, Clone, Deserialize)]
pub struct Photo {
    #[serde(default)]
    pub content_url: Option<String>,
}

/// A user identity (sideloaded with `include=identities`): one email, phone number, Twitter handle…
#[derive(Debug, Clone, Deserialize)]
pub struct Identity {
    pub user_id: u64,
    /// `email`, `phone_number`, `twitter`…
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    #[serde(default)]
    pub primary: Option<bool>,
}

/// An organization (sideloaded with `include=organizations`).
#[derive(Debug, Clone, Deserialize)]
pub struct Organization {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct UserResponse {
    user: User,
}

/// A page of the cursor-based incremental user export (`CursorBasedExportIncrementalUsersResponse`), with its
/// sideloads.
#[derive(Debug, Deserialize)]
pub struct UserExport {
    /// In ascending `updated_at` order (ties by id), every role, deleted users included.
    pub users: Vec<User>,
    /// Where the next page starts. Zendesk sends none when a time-based start found nothing.
    #[serde(default)]
    pub after_cursor: Option<String>,
    /// Whether this page reaches the present (minus the last minute, which Zendesk never exports).
    pub end_of_stream: bool,
    #[serde(default)]
    pub organizations: Vec<Organization>,
    #[serde(default)]
    pub identities: Vec<Identity>,
}

/// A page of `GET /api/v2/users` with cursor pagination (`UsersResponse`, its `meta` and sideloads).
#[derive(Debug, Deserialize)]
pub struct UsersCursorPage {
    pub users: Vec<User>,
    pub meta: CursorMeta,
    #[serde(default)]
    pub organizations: Vec<Organization>,
    #[serde(default)]
    pub identities: Vec<Identity>,
}

/// Where a cursor-paginated list stands (`meta` of the response).
#[derive(Debug, Deserialize)]
pub struct CursorMeta {
    pub has_more: bool,
    /// The cursor of the next page (`page[after]`).
    #[serde(default)]
    pub after_cursor: Option<String>,
}

/// A page of users with offset pagination (`UsersResponse` and its `next_page`).
#[derive(Debug, Deserialize)]
pub struct UsersPage {
    pub users: Vec<User>,
    #[serde(default)]
    pub next_page: Option<String>,
}

/// A ticket (`TicketObject`), as far as the bridge reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Ticket {
    pub id: u64,
    /// May be `null`.
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub raw_subject: Option<String>,
    /// The first comment.
    #[serde(default)]
    pub description: Option<String>,
    /// `new`, `open`, `pending`, `hold`, `solved` or `closed` (the category, with custom statuses).
    #[serde(default)]
    pub status: Option<String>,
    /// `low`, `normal`, `high`, `urgent`, or `null`.
    #[serde(default)]
    pub priority: Option<String>,
    pub created_at: String,
    /// The due date of a `task`.
    #[serde(default)]
    pub due_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TicketsPage {
    tickets: Vec<Ticket>,
}

#[derive(Debug, Deserialize)]
struct TicketResponse {
    ticket: Ticket,
}

/// The body of a refused write: `{"error": "RecordInvalid", "description": …, "details": {"requester": [{…}]}}`.
#[derive(Debug, Default, Deserialize)]
struct Rejection {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    details: BTreeMap<String, Vec<RejectionDetail>>,
}

#[derive(Debug, Deserialize)]
struct RejectionDetail {
    #[serde(default)]
    description: Option<String>,
}

// --- What the bridge sends ---------------------------------------------------------------------------------------

/// A ticket to create (`TicketCreateRequest`).
#[derive(Debug, Serialize)]
pub struct NewTicket<'a> {
    pub subject: &'a str,
    pub comment: Comment<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<&'static str>,
    /// Defaults to the authenticated user when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<u64>,
}

/// The first comment of a new ticket: its description.
#[derive(Debug, Serialize)]
pub struct Comment<'a> {
    pub body: &'a str,
}

#[derive(Serialize)]
struct TicketRequest<'a> {
    ticket: NewTicket<'a>,
}
