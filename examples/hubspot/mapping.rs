//! HubSpot → Talkdesk: contacts, owners as agents, and six kinds of CRM records as interactions, with HubSpot's
//! priorities and statuses mapped onto Talkdesk's sets.
//!
//! Pure functions, one rule in one place:
//!
//! | HubSpot | Talkdesk |
//! |---|---|
//! | task status `NOT_STARTED` | `new` |
//! | task status `IN_PROGRESS` | `open` |
//! | task status `WAITING`, `DEFERRED` | `pending` (waiting on someone, or put off) |
//! | task status `COMPLETED` | `solved` |
//! | task priority `LOW`, `MEDIUM`, `HIGH`, `NONE` | `low`, `normal`, `high`, `none` |
//! | ticket priority `LOW`, `MEDIUM`, `HIGH`, `URGENT` | `low`, `normal`, `high`, `urgent` |
//! | ticket stage (default pipeline) `1` new, `2` waiting on contact, `3` waiting on us, `4` closed | `new`, `pending`, `open`, `closed` |
//! | call status `COMPLETED`; `QUEUED`, `RINGING`, `CONNECTING`, `IN_PROGRESS`, `CALLING_CRM_USER`; `BUSY`, `NO_ANSWER`, `FAILED`, `CANCELED` | `solved`; `open`; `closed` |
//! | email status `SCHEDULED`, `SENDING`; `SENT`; `BOUNCED`, `FAILED` | `pending`; `closed`; `open` (needs a look) |
//! | meeting outcome `SCHEDULED`, `RESCHEDULED`; `COMPLETED`; `NO_SHOW`, `CANCELED` | `pending`; `solved`; `closed` |
//! | anything else | left out, rather than guessed |
//! | dates: RFC 3339 (milliseconds) or Unix milliseconds | `YYYY-MM-DD HH:MM:SS UTC` |

use super::hubspot::{Object, Owner};
use bridge::{Agent, Contact, Error, Interaction, Priority, Status, TalkdeskDate};

/// The longest preview kept, in characters.
pub const PREVIEW_CHARS: usize = 280;

/// One kind of HubSpot record the bridge retrieves as interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The interaction type, as `interaction_types` declares it.
    pub interaction_type: &'static str,
    /// HubSpot's object type, in URLs.
    pub object_type: &'static str,
    /// The properties read.
    pub properties: &'static [&'static str],
}

/// Notes, tasks, calls, emails, meetings and tickets: every kind of record associated with a contact.
pub const KINDS: [Kind; 6] = [
    Kind { interaction_type: "note", object_type: "notes", properties: &["hs_note_body", "hs_timestamp"] },
    Kind {
        interaction_type: "task",
        object_type: "tasks",
        properties: &["hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority", "hs_timestamp"],
    },
    Kind {
        interaction_type: "call",
        object_type: "calls",
        properties: &["hs_call_title", "hs_call_body", "hs_call_status", "hs_timestamp"],
    },
    Kind {
        interaction_type: "email",
        object_type: "emails",
        properties: &["hs_email_subject", "hs_email_text", "hs_email_status", "hs_timestamp"],
    },
    Kind {
        interaction_type: "meeting",
        object_type: "meetings",
        properties: &[
            "hs_meeting_title",
            "hs_meeting_body",
            "hs_meeting_outcome",
            "hs_meeting_start_time",
            "hs_timestamp",
        ],
    },
    Kind {
        interaction_type: "ticket",
        object_type: "tickets",
        properties: &["subject", "content", "hs_pipeline_stage", "hs_ticket_priority", "createdate"],
    },
];

/// The contact properties read.
pub const CONTACT_PROPERTIES: [&str; 9] = [
    "firstname",
    "lastname",
    "email",
    "phone",
    "mobilephone",
    "company",
    "jobtitle",
    "lastmodifieddate",
    "hs_object_id",
];

/// A HubSpot contact as a Talkdesk contact: name, email, phone and mobile phone, company, job title.
pub fn contact(object: &Object) -> Contact {
    let name = [object.property("firstname"), object.property("lastname")].into_iter().flatten().collect::<Vec<_>>();
    let name = match (name.is_empty(), object.property("email")) {
        (false, _) => name.join(" "),
        (true, Some(email)) => email.to_owned(),
        (true, None) => format!("HubSpot contact {}", object.id),
    };
    let mut contact = Contact::new(object.id.clone(), name);
    contact.emails.extend(object.property("email").map(str::to_owned));
    for phone in [object.property("phone"), object.property("mobilephone")].into_iter().flatten() {
        if !contact.phones.iter().any(|known| known == phone) {
            contact.phones.push(phone.to_owned());
        }
    }
    contact.company = object.property("company").map(str::to_owned);
    contact.title = object.property("jobtitle").map(str::to_owned);
    contact
}

/// A HubSpot owner as a Talkdesk agent; `None` for archived owners, queues and owners without an email.
pub fn agent(owner: &Owner) -> Option<Agent> {
    let email = owner.email.as_deref().map(str::trim).filter(|e| !e.is_empty())?;
    if owner.archived || owner.kind.as_deref().is_some_and(|kind| kind != "PERSON") {
        return None;
    }
    let name = [owner.first_name.as_deref(), owner.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Agent::new(owner.id.clone(), if name.is_empty() { email.to_owned() } else { name }, email))
}

/// A record of `kind` as a Talkdesk interaction.
pub fn interaction(kind: &Kind, object: &Object) -> Result<Interaction, Error> {
    let p = |name: &str| object.property(name);
    let (subject, body, status, priority, when) = match kind.interaction_type {
        "note" => {
            let body = p("hs_note_body").map(strip_html);
            let subject = body.as_deref().map(|b| first_words(b, 80)).filter(|s| !s.is_empty());
            (subject, body, None, None, p("hs_timestamp"))
        }
        "task" => (
            p("hs_task_subject").map(str::to_owned),
            p("hs_task_body").map(strip_html),
            p("hs_task_status").and_then(task_status),
            Some(task_priority(p("hs_task_priority"))),
            p("hs_timestamp"),
        ),
        "call" => (
            p("hs_call_title").map(str::to_owned),
            p("hs_call_body").map(strip_html),
            p("hs_call_status").and_then(call_status),
            None,
            p("hs_timestamp"),
        ),
        "email" => (
            p("hs_email_subject").map(str::to_owned),
            p("hs_email_text").map(str::to_owned),
            p("hs_email_status").and_then(email_status),
            None,
            p("hs_timestamp"),
        ),
        "meeting" => (
            p("hs_meeting_title").map(str::to_owned),
            p("hs_meeting_body").map(strip_html),
            p("hs_meeting_outcome").and_then(meeting_status),
            None,
            p("hs_meeting_start_time").or(p("hs_timestamp")),
        ),
        _ => (
            p("subject").map(str::to_owned),
            p("content").map(str::to_owned),
            p("hs_pipeline_stage").and_then(ticket_status),
            Some(ticket_priority(p("hs_ticket_priority"))),
            p("createdate"),
        ),
    };
    let field = format!("{}[{}]", kind.object_type, object.id);
    let date = date(when.unwrap_or(&object.created_at), &field)?;
    let subject = subject.unwrap_or_else(|| format!("{} {}", capitalized(kind.interaction_type), object.id));
    let mut interaction = Interaction::new(object.id.clone(), kind.interaction_type, subject, date);
    if let Some(preview) = body.as_deref().map(preview).filter(|p| !p.is_empty()) {
        interaction = interaction.description(preview);
    }
    if let Some(priority) = priority {
        interaction = interaction.priority(priority);
    }
    if let Some(status) = status {
        interaction = interaction.status(status);
    }
    Ok(interaction)
}

/// A task's status as Talkdesk's.
pub fn task_status(hubspot: &str) -> Option<Status> {
    match hubspot {
        "NOT_STARTED" => Some(Status::New),
        "IN_PROGRESS" => Some(Status::Open),
        "WAITING" | "DEFERRED" => Some(Status::Pending),
        "COMPLETED" => Some(Status::Solved),
        _ => None,
    }
}

/// A task's priority as Talkdesk's (none set: `none`).
pub fn task_priority(hubspot: Option<&str>) -> Priority {
    match hubspot {
        Some("LOW") => Priority::Low,
        Some("MEDIUM") => Priority::Normal,
        Some("HIGH") => Priority::High,
        _ => Priority::None,
    }
}

/// A ticket's priority as Talkdesk's.
pub fn ticket_priority(hubspot: Option<&str>) -> Priority {
    match hubspot {
        Some("URGENT") => Priority::Urgent,
        other => task_priority(other),
    }
}

/// A ticket's stage in HubSpot's default support pipeline as Talkdesk's status; custom stages are left out.
pub fn ticket_status(stage: &str) -> Option<Status> {
    match stage {
        "1" => Some(Status::New),
        "2" => Some(Status::Pending),
        "3" => Some(Status::Open),
        "4" => Some(Status::Closed),
        _ => None,
    }
}

fn call_status(hubspot: &str) -> Option<Status> {
    match hubspot {
        "COMPLETED" => Some(Status::Solved),
        "QUEUED" | "RINGING" | "CONNECTING" | "IN_PROGRESS" | "CALLING_CRM_USER" => Some(Status::Open),
        "BUSY" | "NO_ANSWER" | "FAILED" | "CANCELED" => Some(Status::Closed),
        _ => None,
    }
}

fn email_status(hubspot: &str) -> Option<Status> {
    match hubspot {
        "SCHEDULED" | "SENDING" => Some(Status::Pending),
        "SENT" => Some(Status::Closed),
        "BOUNCED" | "FAILED" => Some(Status::Open),
        _ => None,
    }
}

fn meeting_status(hubspot: &str) -> Option<Status> {
    match hubspot {
        "SCHEDULED" | "RESCHEDULED" => Some(Status::Pending),
        "COMPLETED" => Some(Status::Solved),
        "NO_SHOW" | "CANCELED" => Some(Status::Closed),
        _ => None,
    }
}

/// The `priority` input of `create_task` as HubSpot's: `LOW`, `MEDIUM`, `HIGH`, or Talkdesk's `low`, `normal`,
/// `high`, in any case; `none` or nothing for none.
pub fn hubspot_task_priority(input: Option<&str>) -> Result<Option<&'static str>, String> {
    let Some(text) = input.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    match text.to_ascii_lowercase().as_str() {
        "none" => Ok(None),
        "low" => Ok(Some("LOW")),
        "medium" | "normal" => Ok(Some("MEDIUM")),
        "high" => Ok(Some("HIGH")),
        _ => Err("must be one of low, normal (or medium), high, none".to_owned()),
    }
}

/// The last millisecond of year 9999: later dates are not dates this bridge reads or writes.
pub const MAX_MILLIS: i64 = 253_402_300_799_999;

/// A HubSpot date (RFC 3339, or Unix milliseconds) in Unix milliseconds; `None` when unreadable, before 1970 or
/// after 9999.
pub fn millis(text: &str) -> Option<i64> {
    let text = text.trim();
    let ms = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()?
    } else {
        let date = TalkdeskDate::parse_rfc3339(text).ok()?;
        i64::try_from(date.as_offset_date_time().unix_timestamp_nanos() / 1_000_000).ok()?
    };
    (0..=MAX_MILLIS).contains(&ms).then_some(ms)
}

/// A HubSpot date as Talkdesk's; an unreadable one is HubSpot's fault (`502`), named by `field`.
pub fn date(text: &str, field: &str) -> Result<TalkdeskDate, Error> {
    millis(text)
        .and_then(|ms| TalkdeskDate::from_unix_timestamp(ms.div_euclid(1000)))
        .ok_or_else(|| Error::upstream(format!("HubSpot sent an unreadable date in {field}: `{text}`")))
}

/// Unix milliseconds as RFC 3339 with milliseconds, as HubSpot writes dates: `2024-06-03T12:00:00.123Z`.
pub fn iso_millis(ms: i64) -> String {
    let ms = ms.clamp(0, MAX_MILLIS);
    let date = TalkdeskDate::from_unix_timestamp(ms.div_euclid(1000)).expect("a date in range").to_string();
    let date = date.strip_suffix(" UTC").expect("a TalkdeskDate ends with UTC");
    format!("{}.{:03}Z", date.replacen(' ', "T", 1), ms.rem_euclid(1000))
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// HubSpot's rich text (`<p>Called <b>Ann</b></p>`) as plain text: block tags (`p`, `div`, `br`, `li`…) become
/// spaces, inline ones (`b`, `a`, `span`…) vanish, the usual entities are decoded.
fn strip_html(text: &str) -> String {
    const BLOCKS: [&str; 10] = ["p", "div", "br", "li", "ul", "ol", "tr", "td", "h1", "h2"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim_start_matches('/');
        let name: String = tag.chars().take_while(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        if BLOCKS.contains(&name.as_str()) {
            out.push(' ');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

fn first_words(text: &str, chars: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= chars {
        return folded;
    }
    let cut: String = folded.chars().take(chars).collect();
    format!("{}…", cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head))
}

fn preview(text: &str) -> String {
    first_words(text, PREVIEW_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_priorities_fit_talkdesk_sets() {
        assert_eq!(task_status("NOT_STARTED"), Some(Status::New));
        assert_eq!(task_status("IN_PROGRESS"), Some(Status::Open));
        assert_eq!(task_status("WAITING"), Some(Status::Pending));
        assert_eq!(task_status("DEFERRED"), Some(Status::Pending));
        assert_eq!(task_status("COMPLETED"), Some(Status::Solved));
        assert_eq!(task_status("ARCHIVED"), None);
        assert_eq!(task_priority(Some("LOW")), Priority::Low);
        assert_eq!(task_priority(Some("MEDIUM")), Priority::Normal);
        assert_eq!(task_priority(Some("HIGH")), Priority::High);
        assert_eq!(task_priority(None), Priority::None);
        assert_eq!(ticket_priority(Some("URGENT")), Priority::Urgent);
        assert_eq!(ticket_status("2"), Some(Status::Pending));
        assert_eq!(ticket_status("custom-stage-9"), None);
        assert_eq!(hubspot_task_priority(Some(" Normal ")), Ok(Some("MEDIUM")));
        assert_eq!(hubspot_task_priority(Some("none")), Ok(None));
        assert!(hubspot_task_priority(Some("urgent")).is_err());
    }

    #[test]
    fn dates_round_trip_in_milliseconds() {
        let ms = 1_717_416_000_123;
        assert_eq!(iso_millis(ms), "2024-06-03T12:00:00.123Z");
        assert_eq!(millis(&iso_millis(ms)), Some(ms));
        assert_eq!(millis("1717416000123"), Some(ms));
        assert_eq!(millis("2024-06-03T12:00:00Z"), Some(1_717_416_000_000));
        assert_eq!(millis("yesterday"), None);
        assert_eq!(millis("99999999999999999"), None);
        assert_eq!(millis("1969-12-31T23:59:59Z"), None);
        assert_eq!(iso_millis(i64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(date("2024-06-03T12:00:00.999Z", "x").unwrap().to_string(), "2024-06-03 12:00:00 UTC");
    }

    #[test]
    fn rich_text_becomes_one_plain_line() {
        assert_eq!(
            preview(&strip_html("<p>Called <b>Ann</b></p>\n<p>about&nbsp;renewal</p>")),
            "Called Ann about renewal"
        );
    }
}
