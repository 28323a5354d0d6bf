//! Zendesk → Talkdesk: users become contacts and agents, tickets become interactions, and Zendesk's priorities and
//! statuses become Talkdesk's sets.
//!
//! Pure functions, so that each rule is one place to read and one place to test:
//!
//! | Zendesk | Talkdesk |
//! |---|---|
//! | priority `low`, `normal`, `high`, `urgent` | the same |
//! | priority `null` (none set) | `none` |
//! | status `new`, `open`, `pending`, `solved`, `closed` | the same |
//! | status `hold` (waiting on a third party) | `pending` (waiting on someone) |
//! | an unknown status | left out, rather than guessed |
//! | dates (RFC 3339) | `YYYY-MM-DD HH:MM:SS UTC` |

use super::zendesk::{Identity, Session, Ticket, User};
use bridge::{Agent, Contact, Error, Interaction, Priority, Status, TalkdeskDate};
use std::collections::HashMap;

/// The interaction type of Zendesk tickets, as the integration declares it in `interaction_types`.
pub const TICKET: &str = "ticket";

/// The longest ticket description kept as an interaction's preview, in characters.
pub const PREVIEW_CHARS: usize = 280;

/// Whether a user of the export is a Talkdesk contact: a live end user.
pub fn is_contact(user: &User) -> bool {
    user.id.is_some() && user.role.as_deref() == Some("end-user") && user.is_live()
}

/// A Zendesk end user as a Talkdesk contact: name, every email and phone number (the primary first, then the
/// other identities), photo, company (the organization's name, when it was sideloaded) and the user's page in the
/// agent interface.
pub fn contact(
    user: &User,
    organizations: &HashMap<u64, &str>,
    identities: &[&Identity],
    session: &Session,
) -> Result<Contact, Error> {
    let id = user.id.ok_or_else(|| Error::upstream("Zendesk's user export sent a user without an id"))?;
    let mut contact = Contact::new(id.to_string(), display_name(user, id));
    push_unique(&mut contact.emails, user.email.as_deref());
    push_unique(&mut contact.phones, user.phone.as_deref());
    // Primary identities first, as Zendesk lists them; the user's own fields above are the primary ones anyway.
    let mut sorted: Vec<&&Identity> = identities.iter().collect();
    sorted.sort_by_key(|identity| identity.primary != Some(true));
    for identity in sorted {
        match identity.kind.as_str() {
            "email" => push_unique(&mut contact.emails, Some(&identity.value)),
            "phone_number" => push_unique(&mut contact.phones, Some(&identity.value)),
            "twitter" if contact.twitter.is_none() => contact.twitter = Some(identity.value.clone()),
            _ => {}
        }
    }
    if let Some(url) = user.photo.as_ref().and_then(|photo| photo.content_url.as_deref()) {
        contact.photo_url = Some(url.to_owned());
    }
    if let Some(name) = user.organization_id.and_then(|org| organizations.get(&org)) {
        contact.company = Some((*name).to_owned());
    }
    contact.url = Some(session.agent_url("users", id)?.to_string());
    Ok(contact)
}

fn display_name(user: &User, id: u64) -> String {
    match (user.name.as_deref().map(str::trim), user.email.as_deref()) {
        (Some(name), _) if !name.is_empty() => name.to_owned(),
        (_, Some(email)) if !email.is_empty() => email.to_owned(),
        _ => format!("Zendesk user {id}"),
    }
}

fn push_unique(list: &mut Vec<String>, value: Option<&str>) {
    if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
        if !list.iter().any(|known| known.eq_ignore_ascii_case(value)) {
            list.push(value.to_owned());
        }
    }
}

/// A Zendesk agent or admin as a Talkdesk agent; `None` for users Talkdesk cannot use (deleted, suspended, without
/// an email).
pub fn agent(user: &User) -> Option<Agent> {
    let id = user.id?;
    let email = user.email.as_deref().filter(|e| !e.is_empty())?;
    if !user.is_live() || !matches!(user.role.as_deref(), Some("agent" | "admin")) {
        return None;
    }
    Some(Agent::new(id.to_string(), display_name(user, id), email))
}

/// A ticket as a Talkdesk interaction of type `ticket`: its subject (`Ticket #id` when Zendesk has none), the start
/// of its description, its date (the due date of a task that has one, otherwise when it was created), its page in
/// the agent interface, and its priority and status mapped as the module documentation says.
pub fn interaction(ticket: &Ticket, session: &Session) -> Result<Interaction, Error> {
    let subject = [ticket.subject.as_deref(), ticket.raw_subject.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map_or_else(|| format!("Ticket #{}", ticket.id), str::to_owned);
    let when = ticket.due_at.as_deref().unwrap_or(&ticket.created_at);
    let date = date(when, "tickets[].created_at")?;
    let mut interaction = Interaction::new(ticket.id.to_string(), TICKET, subject, date)
        .url(session.agent_url("tickets", ticket.id)?.to_string())
        .priority(priority(ticket.priority.as_deref()));
    if let Some(preview) = ticket.description.as_deref().map(preview).filter(|p| !p.is_empty()) {
        interaction = interaction.description(preview);
    }
    if let Some(status) = ticket.status.as_deref().and_then(status) {
        interaction = interaction.status(status);
    }
    Ok(interaction)
}

/// Zendesk's priority as Talkdesk's: a ticket without one is `none`.
pub fn priority(zendesk: Option<&str>) -> Priority {
    match zendesk {
        Some("low") => Priority::Low,
        Some("normal") => Priority::Normal,
        Some("high") => Priority::High,
        Some("urgent") => Priority::Urgent,
        _ => Priority::None,
    }
}

/// Zendesk's status as Talkdesk's: `hold` is `pending`; anything unknown is left out.
pub fn status(zendesk: &str) -> Option<Status> {
    match zendesk {
        "new" => Some(Status::New),
        "open" => Some(Status::Open),
        "pending" | "hold" => Some(Status::Pending),
        "solved" => Some(Status::Solved),
        "closed" => Some(Status::Closed),
        _ => None,
    }
}

/// The `priority` input of `create_ticket` as Zendesk's: Zendesk's four names, or Talkdesk's `none` (or nothing)
/// for no priority, in any case.
pub fn zendesk_priority(input: Option<&str>) -> Result<Option<&'static str>, String> {
    let Some(text) = input.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    match text.to_ascii_lowercase().as_str() {
        "none" => Ok(None),
        "low" => Ok(Some("low")),
        "normal" => Ok(Some("normal")),
        "high" => Ok(Some("high")),
        "urgent" => Ok(Some("urgent")),
        _ => Err("must be one of low, normal, high, urgent (or none)".to_owned()),
    }
}

/// A Zendesk date (RFC 3339); an unreadable one is Zendesk's fault (`502`), named by `field`.
pub fn date(text: &str, field: &str) -> Result<TalkdeskDate, Error> {
    TalkdeskDate::parse_rfc3339(text)
        .map_err(|e| Error::upstream(format!("Zendesk sent an unreadable date in {field}: {e}")))
}

/// The start of a description, on one line, cut at a word boundary.
fn preview(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= PREVIEW_CHARS {
        return folded;
    }
    let cut: String = folded.chars().take(PREVIEW_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_and_statuses_fit_talkdesk_sets() {
        assert_eq!(priority(None), Priority::None);
        assert_eq!(priority(Some("urgent")), Priority::Urgent);
        assert_eq!(status("hold"), Some(Status::Pending));
        assert_eq!(status("archived"), None);
        assert_eq!(zendesk_priority(Some(" High ")), Ok(Some("high")));
        assert_eq!(zendesk_priority(Some("none")), Ok(None));
        assert!(zendesk_priority(Some("critical")).is_err());
    }

    #[test]
    fn previews_are_one_bounded_line() {
        assert_eq!(preview("My printer\n\n is on   fire"), "My printer is on fire");
        let long = "word ".repeat(100);
        let cut = preview(&long);
        assert!(cut.ends_with("word…") && cut.chars().count() <= PREVIEW_CHARS + 1, "{cut}");
    }
}
