//! The same work on plain serde structs: what one writes without the framework, and without bridge's protocol
//! types. `String` fields (dates included, rendered once by the service), `&'static str` for priorities and
//! statuses, `#[derive(Serialize, Deserialize)]` and nothing else; each answer has exactly the fields the
//! benchmark's answers have, in bridge's order, so that the bytes are the same as bridge's (`scripts/bench.sh`
//! compares them).
//!
//! `bench-warp-strings`, `bench-hyper-strings` and `bench-axum-strings` are `bench-warp`, `bench-hyper` and
//! `bench-axum` on these types: the figure bridge's protocol types are held to (issue 15).

use super::{interaction_timestamps, Model, Refusal, CONTACTS, INTERACTIONS, PASSWORD, USERNAME};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// `{auth, meta, data}`, derived: `meta` and `data` may be left out.
#[derive(Debug, Deserialize)]
pub struct Request<M, D> {
    pub auth: Credentials,
    #[serde(default)]
    pub meta: M,
    #[serde(default)]
    pub data: D,
}

#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct InteractionMeta {
    pub interaction_types: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InteractionData {
    pub contact_external_id: Option<String>,
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_emails: Vec<String>,
    #[serde(default)]
    pub contact_phones: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactSyncMeta {
    pub synchronization_checkpoint: Option<String>,
    pub offset: Option<String>,
    pub context: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ActionMeta {
    pub contact_external_id: Option<String>,
    pub agent_external_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    None,
    Low,
    Normal,
    High,
    Urgent,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewTicket {
    pub subject: String,
    pub description: String,
    #[serde(default)]
    pub priority: Option<Priority>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Interaction {
    pub id: String,
    pub subject: String,
    pub description: String,
    pub date: String,
    pub url: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub priority: &'static str,
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub company: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactPage {
    pub contacts: Vec<Contact>,
    pub synchronization_checkpoint: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub message: String,
    pub external_id: String,
}

/// The in-memory "external service" of [`super::Service`], with plain types.
#[derive(Debug)]
pub struct Service {
    pub contacts: Vec<Contact>,
    /// The interactions' dates, rendered as Talkdesk reads them (`YYYY-MM-DD HH:MM:SS UTC`) when the service
    /// starts: the plain servers never format a date on the request path.
    pub interaction_dates: Vec<String>,
    pub next_ticket: AtomicU64,
}

impl Service {
    fn check(&self, credentials: &Credentials) -> Result<(), Refusal> {
        if credentials.username == USERNAME && credentials.password == PASSWORD {
            Ok(())
        } else {
            Err(Refusal::BadCredentials)
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC`, by the civil-from-days algorithm (no dependency for a start-up computation).
fn render(seconds: i64) -> String {
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) = (second_of_day / 3_600, second_of_day / 60 % 60, second_of_day % 60);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC")
}

impl Model for Service {
    type InteractionRequest = Request<InteractionMeta, InteractionData>;
    type ContactRequest = Request<ContactSyncMeta, IgnoredAny>;
    type ActionRequest = Request<ActionMeta, NewTicket>;
    type Interactions = Vec<Interaction>;
    type ContactPage = ContactPage;
    type Outcome = Outcome;

    fn start() -> Arc<Self> {
        let contacts = (1..=CONTACTS)
            .map(|n| Contact {
                id: n.to_string(),
                name: format!("Contact {n}"),
                company: "Example Corp.".to_owned(),
                emails: vec![format!("contact{n}@example.com")],
                phones: vec![format!("+1555{n:07}")],
                url: format!("https://service.example.com/contacts/{n}"),
            })
            .collect();
        let interaction_dates = interaction_timestamps().map(render).collect();
        Arc::new(Service { contacts, interaction_dates, next_ticket: AtomicU64::new(100) })
    }

    fn interactions(&self, request: &Self::InteractionRequest) -> Result<Vec<Interaction>, Refusal> {
        self.check(&request.auth)?;
        let contact = request.data.contact_external_id.as_deref().unwrap_or("0");
        let name = request.data.contact_name.as_deref().unwrap_or("the contact");
        let mut out = Vec::with_capacity(INTERACTIONS);
        for (n, date) in self.interaction_dates.iter().enumerate() {
            let kind = if n % 2 == 0 { "case" } else { "note" };
            if !request.meta.interaction_types.iter().any(|t| t == kind) {
                continue;
            }
            let id = format!("{contact}-{n}");
            out.push(Interaction {
                subject: format!("Follow-up #{n} with {name}"),
                description: "Your order is ready to be shipped".to_owned(),
                date: date.clone(),
                url: format!("https://service.example.com/interactions/{id}"),
                kind: kind.to_owned(),
                priority: if n % 3 == 0 { "high" } else { "normal" },
                status: if n % 4 == 0 { "pending" } else { "open" },
                id,
            });
        }
        Ok(out)
    }

    fn contacts(&self, request: &Self::ContactRequest) -> Result<ContactPage, Refusal> {
        self.check(&request.auth)?;
        let checkpoint = request.meta.synchronization_checkpoint.as_deref().unwrap_or("2012-11-21 00:00:00 UTC");
        Ok(ContactPage { contacts: self.contacts.clone(), synchronization_checkpoint: checkpoint.to_owned() })
    }

    fn create_ticket(&self, request: &Self::ActionRequest) -> Result<Outcome, Refusal> {
        self.check(&request.auth)?;
        if request.meta.contact_external_id.is_none() {
            return Err(Refusal::NoContact);
        }
        let ticket = &request.data;
        let _ = (&ticket.description, ticket.priority);
        let id = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        Ok(Outcome { message: format!("Ticket #{id} created: {}", ticket.subject), external_id: id.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_dates_as_bridge_does() {
        for at in interaction_timestamps().chain([0, -1, -62_135_596_800, 253_402_300_799, 951_782_400]) {
            let bridge = bridge::TalkdeskDate::from_unix_timestamp(at).unwrap().to_string();
            assert_eq!(render(at), bridge, "{at}");
        }
    }

    #[test]
    fn answers_the_same_bytes_as_bridge_types() {
        let (plain, bridge) = (<Service as Model>::start(), <super::super::Service as Model>::start());
        for endpoint in crate::Endpoint::ALL {
            let body = endpoint.body().as_bytes();
            let (a, b) = match endpoint {
                crate::Endpoint::Interactions => (
                    serde_json::to_vec(&plain.interactions(&serde_json::from_slice(body).unwrap()).unwrap()),
                    serde_json::to_vec(&Model::interactions(&*bridge, &serde_json::from_slice(body).unwrap()).unwrap()),
                ),
                crate::Endpoint::Contacts => (
                    serde_json::to_vec(&plain.contacts(&serde_json::from_slice(body).unwrap()).unwrap()),
                    serde_json::to_vec(&Model::contacts(&*bridge, &serde_json::from_slice(body).unwrap()).unwrap()),
                ),
                crate::Endpoint::Action => (
                    serde_json::to_vec(&plain.create_ticket(&serde_json::from_slice(body).unwrap()).unwrap()),
                    serde_json::to_vec(
                        &Model::create_ticket(&*bridge, &serde_json::from_slice(body).unwrap()).unwrap(),
                    ),
                ),
            };
            assert_eq!(String::from_utf8(a.unwrap()).unwrap(), String::from_utf8(b.unwrap()).unwrap());
        }
    }
}
