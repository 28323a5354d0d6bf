//! Salesforce → Talkdesk: Contacts and Leads as contacts, active Users as agents, Cases, Tasks and Events as
//! interactions, and Salesforce's times, statuses and priorities onto Talkdesk's.
//!
//! | Salesforce | Talkdesk |
//! |---|---|
//! | Case `Status` `New`; `Working`, `Escalated`; `On Hold`; `Closed` | `new`; `open`; `pending`; `closed` |
//! | Task `Status` `Not Started`; `In Progress`; `Waiting on someone else`, `Deferred`; `Completed` | `new`; `open`; `pending`; `solved` |
//! | `Priority` `Low`, `Medium`, `High` (Cases and Tasks) | `low`, `normal`, `high` |
//! | anything else | left out, rather than guessed |
//! | `2024-06-03T12:00:00.000+0000` | `2024-06-03 12:00:00 UTC` |

use bridge::{Agent, Contact, Error, Interaction, Priority, Status, TalkdeskDate};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// One kind of record the bridge retrieves as interactions, through a relationship of the Contact or Lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The interaction type, as `interaction_types` declares it.
    pub interaction_type: &'static str,
    /// The child relationship's name on a Contact (`Cases`, `Tasks`, `Events`).
    pub relationship: &'static str,
    /// The subquery that reads them, newest first (code: no value of the request is in it).
    pub subquery: &'static str,
    /// Whether Leads have them too (Cases belong to Contacts only).
    pub on_leads: bool,
}

/// Cases, Tasks (logged calls among them) and Events.
pub const KINDS: [Kind; 3] = [
    Kind {
        interaction_type: "case",
        relationship: "Cases",
        subquery: "(SELECT Id, CaseNumber, Subject, Description, Status, Priority, CreatedDate FROM Cases \
                   ORDER BY CreatedDate DESC LIMIT 25)",
        on_leads: false,
    },
    Kind {
        interaction_type: "task",
        relationship: "Tasks",
        subquery: "(SELECT Id, Subject, Description, Status, Priority, TaskSubtype, CreatedDate FROM Tasks \
                   ORDER BY CreatedDate DESC LIMIT 25)",
        on_leads: true,
    },
    Kind {
        interaction_type: "event",
        relationship: "Events",
        subquery: "(SELECT Id, Subject, Description, StartDateTime, CreatedDate FROM Events \
                   ORDER BY CreatedDate DESC LIMIT 25)",
        on_leads: true,
    },
];

/// The fields of a Contact or Lead the sync reads.
pub const PERSON_FIELDS: &str = "Id, FirstName, LastName, Email, Phone, MobilePhone, Title, SystemModstamp";

/// A time of last change, in Unix milliseconds: the sync's key. Its text is Salesforce's form with milliseconds,
/// UTC (`2024-06-03T12:00:00.000Z`), which is also the checkpoint Talkdesk stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(pub i64);

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&iso_millis(self.0))
    }
}

impl FromStr for Stamp {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        millis(text).map(Stamp).ok_or_else(|| format!("`{text}` is not a time"))
    }
}

/// Latest time a `TalkdeskDate` can say, in milliseconds (9999-12-31T23:59:59.999Z).
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// A Salesforce dateTime (`2024-06-03T12:00:00.000+0000`, or RFC 3339) in Unix milliseconds.
pub fn millis(text: &str) -> Option<i64> {
    let text = text.trim();
    let rfc3339 = match text.len().checked_sub(5).map(|at| text.split_at(at)) {
        Some((head, zone)) if (zone.starts_with('+') || zone.starts_with('-')) && !zone.contains(':') => {
            format!("{head}{}:{}", &zone[..3], &zone[3..])
        }
        _ => text.to_owned(),
    };
    let date = TalkdeskDate::parse_rfc3339(&rfc3339).ok()?;
    let ms = i64::try_from(date.as_offset_date_time().unix_timestamp_nanos() / 1_000_000).ok()?;
    (0..=MAX_MILLIS).contains(&ms).then_some(ms)
}

/// Unix milliseconds as `2024-06-03T12:00:00.123Z`.
pub fn iso_millis(ms: i64) -> String {
    let ms = ms.clamp(0, MAX_MILLIS);
    let date = TalkdeskDate::from_unix_timestamp(ms.div_euclid(1000)).expect("a date in range").to_string();
    let date = date.strip_suffix(" UTC").expect("a TalkdeskDate ends with UTC");
    format!("{}.{:03}Z", date.replacen(' ', "T", 1), ms.rem_euclid(1000))
}

/// A field's text, when set and not blank.
pub fn text<'a>(record: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    record.get(field)?.as_str().map(str::trim).filter(|v| !v.is_empty())
}

/// A record's date field as Talkdesk's; an unreadable one is Salesforce's fault (`502`).
fn date(record: &Map<String, Value>, field: &str) -> Result<TalkdeskDate, Error> {
    let text = text(record, field).unwrap_or_default();
    millis(text)
        .and_then(|ms| TalkdeskDate::from_unix_timestamp(ms.div_euclid(1000)))
        .ok_or_else(|| Error::upstream(format!("Salesforce sent an unreadable {field}: `{text}`")))
}

/// A Contact or Lead as a Talkdesk contact, its `url` the record in Lightning (`<instance>/<id>`).
pub fn contact(record: &Map<String, Value>, instance: &str) -> Result<Contact, Error> {
    let id = text(record, "Id").ok_or_else(|| Error::upstream("Salesforce sent a record without an Id"))?;
    let name = [text(record, "FirstName"), text(record, "LastName")].into_iter().flatten().collect::<Vec<_>>();
    let name = match name.is_empty() {
        false => name.join(" "),
        true => text(record, "Email").unwrap_or("Unknown").to_owned(),
    };
    let mut contact = Contact::new(id, name).url(format!("{}{id}", instance));
    if let Some(email) = text(record, "Email") {
        contact = contact.email(email);
    }
    for phone in [text(record, "Phone"), text(record, "MobilePhone")].into_iter().flatten() {
        contact = contact.phone(phone);
    }
    if let Some(title) = text(record, "Title") {
        contact = contact.title(title);
    }
    if let Some(company) = text(record, "Company") {
        contact = contact.company(company);
    }
    Ok(contact)
}

/// An active User as an agent (a User without an email is left out).
pub fn agent(user: &Map<String, Value>) -> Option<Agent> {
    let email = text(user, "Email")?;
    let name = text(user, "Name").unwrap_or(email);
    Some(Agent::new(text(user, "Id")?, name, email))
}

/// A Case, Task or Event as an interaction.
pub fn interaction(kind: &Kind, record: &Map<String, Value>, instance: &str) -> Result<Interaction, Error> {
    let id = text(record, "Id").ok_or_else(|| Error::upstream("Salesforce sent a record without an Id"))?;
    let subject = match (kind.interaction_type, text(record, "Subject")) {
        (_, Some(subject)) => subject.to_owned(),
        ("case", None) => format!("Case {}", text(record, "CaseNumber").unwrap_or(id)),
        _ => format!("({} without a subject)", kind.interaction_type),
    };
    let field = if kind.interaction_type == "event" && record.get("StartDateTime").is_some_and(Value::is_string) {
        "StartDateTime"
    } else {
        "CreatedDate"
    };
    let mut interaction =
        Interaction::new(id, kind.interaction_type, subject, date(record, field)?).url(format!("{instance}{id}"));
    if let Some(description) = text(record, "Description") {
        interaction = interaction.description(description.chars().take(280).collect::<String>());
    }
    if let Some(priority) = text(record, "Priority").and_then(priority) {
        interaction = interaction.priority(priority);
    }
    let status = match kind.interaction_type {
        "case" => text(record, "Status").and_then(case_status),
        "task" => text(record, "Status").and_then(task_status),
        _ => None,
    };
    if let Some(status) = status {
        interaction = interaction.status(status);
    }
    Ok(interaction)
}

fn case_status(status: &str) -> Option<Status> {
    match status {
        "New" => Some(Status::New),
        "Working" | "Escalated" => Some(Status::Open),
        "On Hold" => Some(Status::Pending),
        "Closed" => Some(Status::Closed),
        _ => None,
    }
}

fn task_status(status: &str) -> Option<Status> {
    match status {
        "Not Started" => Some(Status::New),
        "In Progress" => Some(Status::Open),
        "Waiting on someone else" | "Deferred" => Some(Status::Pending),
        "Completed" => Some(Status::Solved),
        _ => None,
    }
}

fn priority(priority: &str) -> Option<Priority> {
    match priority {
        "Low" => Some(Priority::Low),
        "Medium" => Some(Priority::Normal),
        "High" => Some(Priority::High),
        _ => None,
    }
}

/// A priority as the `create_case` action takes it (`low`, `normal` or `medium`, `high`), as Salesforce's
/// picklist value; absent: Salesforce's default.
pub fn salesforce_priority(text: Option<&str>) -> Result<Option<&'static str>, String> {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(None),
        Some("low") => Ok(Some("Low")),
        Some("normal" | "medium") => Ok(Some("Medium")),
        Some("high") => Ok(Some("High")),
        Some(_) => Err("expected low, normal or high".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_times_read_with_and_without_a_colon_in_the_zone() {
        let ms = 1_717_416_000_123;
        assert_eq!(millis("2024-06-03T12:00:00.123+0000"), Some(ms));
        assert_eq!(millis("2024-06-03T14:00:00.123+0200"), Some(ms));
        assert_eq!(millis(&iso_millis(ms)), Some(ms));
        assert_eq!(millis("yesterday"), None);
        assert_eq!("2024-06-03T12:00:00.123Z".parse::<Stamp>(), Ok(Stamp(ms)));
        assert_eq!(Stamp(ms).to_string(), "2024-06-03T12:00:00.123Z");
    }

    #[test]
    fn statuses_and_priorities_fit_talkdesk_sets() {
        assert_eq!(case_status("On Hold"), Some(Status::Pending));
        assert_eq!(task_status("Completed"), Some(Status::Solved));
        assert_eq!(case_status("Custom"), None);
        assert_eq!(priority("Medium"), Some(Priority::Normal));
        assert_eq!(salesforce_priority(Some(" Normal ")), Ok(Some("Medium")));
        assert_eq!(salesforce_priority(None), Ok(None));
        assert!(salesforce_priority(Some("urgent")).is_err());
    }
}
