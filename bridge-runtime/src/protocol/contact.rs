//! Contact synchronization: the four situations a request can be in, contacts, and the page a bridge answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `meta` of a contact synchronization request, classified into the protocol's four situations.
///
/// | `synchronization_checkpoint` | `offset` | situation |
/// |---|---|---|
/// | absent | absent | [`SyncSituation::Initial`] |
/// | absent | present | [`SyncSituation::InitialNextPage`] |
/// | present | absent | [`SyncSituation::Incremental`] |
/// | present | present | [`SyncSituation::IncrementalNextPage`] |
///
/// Offsets may arrive as strings or numbers; `null` and empty strings count as absent.
///
/// ```
/// use bridge::{ContactSyncMeta, SyncSituation};
///
/// let meta: ContactSyncMeta = serde_json::from_str(
///     r#"{"offset": "2", "synchronization_checkpoint": "2012-11-20 23:01:00 UTC", "context": null}"#,
/// ).unwrap();
/// assert_eq!(
///     meta.situation,
///     SyncSituation::IncrementalNextPage {
///         checkpoint: "2012-11-20 23:01:00 UTC".into(),
///         offset: "2".into(),
///     }
/// );
/// assert_eq!(meta.context, None);
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawContactSyncMeta")]
pub struct ContactSyncMeta {
    /// Which of the four situations this request is in.
    pub situation: SyncSituation,
    /// The `context` the bridge returned with the previous page (`None` on a first page, or when it was `null`).
    pub context: Option<Value>,
}

/// The four situations of a contact synchronization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncSituation {
    /// The first sync of an account, first page: answer with the first page of all contacts.
    Initial,
    /// The first sync of an account, a later page.
    InitialNextPage {
        /// The `next_offset` the bridge returned with the previous page.
        offset: String,
    },
    /// An incremental sync, first page: contacts changed after the checkpoint.
    Incremental {
        /// The `synchronization_checkpoint` the bridge returned at the end of the previous sync.
        checkpoint: String,
    },
    /// An incremental sync, a later page.
    IncrementalNextPage {
        /// The checkpoint the incremental sync started from.
        checkpoint: String,
        /// The `next_offset` the bridge returned with the previous page.
        offset: String,
    },
}

impl SyncSituation {
    /// The checkpoint Talkdesk sent, if this is an incremental sync.
    #[inline]
    pub fn checkpoint(&self) -> Option<&str> {
        match self {
            Self::Incremental { checkpoint } | Self::IncrementalNextPage { checkpoint, .. } => Some(checkpoint),
            Self::Initial | Self::InitialNextPage { .. } => None,
        }
    }

    /// The offset Talkdesk sent, if this is not a first page.
    #[inline]
    pub fn offset(&self) -> Option<&str> {
        match self {
            Self::InitialNextPage { offset } | Self::IncrementalNextPage { offset, .. } => Some(offset),
            Self::Initial | Self::Incremental { .. } => None,
        }
    }

    /// Whether this is the first page of a sync (no offset).
    #[inline]
    pub fn is_first_page(&self) -> bool {
        self.offset().is_none()
    }
}

#[derive(Deserialize)]
struct RawContactSyncMeta {
    #[serde(default, deserialize_with = "super::id::optional")]
    synchronization_checkpoint: Option<String>,
    #[serde(default, deserialize_with = "super::id::optional")]
    offset: Option<String>,
    #[serde(default)]
    context: Option<Value>,
}

impl From<RawContactSyncMeta> for ContactSyncMeta {
    fn from(raw: RawContactSyncMeta) -> Self {
        let situation = match (raw.synchronization_checkpoint, raw.offset) {
            (None, None) => SyncSituation::Initial,
            (None, Some(offset)) => SyncSituation::InitialNextPage { offset },
            (Some(checkpoint), None) => SyncSituation::Incremental { checkpoint },
            (Some(checkpoint), Some(offset)) => SyncSituation::IncrementalNextPage { checkpoint, offset },
        };
        ContactSyncMeta { situation, context: raw.context.filter(|c| !c.is_null()) }
    }
}

/// A contact as Talkdesk stores it. `id` and `name` are mandatory; empty lists and `None`s are left out of the JSON.
///
/// ```
/// use bridge::Contact;
///
/// let jane = Contact::new("1", "Jane Doe").email("jane@example.com").company("Example Corp.");
/// assert_eq!(
///     serde_json::to_value(&jane).unwrap(),
///     serde_json::json!({"id": "1", "name": "Jane Doe", "emails": ["jane@example.com"], "company": "Example Corp."})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    /// The contact's id in the external service (unique).
    #[serde(deserialize_with = "super::id::required")]
    pub id: String,
    /// The contact's full name.
    pub name: String,
    /// The contact's company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// The contact's title within the company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The contact's emails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// The contact's phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    /// URL of the contact's photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    /// The contact's full address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The contact's websites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<String>,
    /// The contact's Twitter username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twitter: Option<String>,
    /// URL of the contact in the external service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Contact {
    /// A contact with its two mandatory fields.
    #[inline]
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self { id: id.into(), name: name.into(), ..Self::default() }
    }

    /// Adds an email.
    #[inline]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.emails.push(email.into());
        self
    }

    /// Adds a phone number.
    #[inline]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phones.push(phone.into());
        self
    }

    /// Sets the company.
    #[inline]
    pub fn company(mut self, company: impl Into<String>) -> Self {
        self.company = Some(company.into());
        self
    }

    /// Sets the title.
    #[inline]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the photo URL.
    #[inline]
    pub fn photo_url(mut self, url: impl Into<String>) -> Self {
        self.photo_url = Some(url.into());
        self
    }

    /// Sets the URL of the contact in the external service.
    #[inline]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the full address, on one line (`37, Famous St., New York, US`).
    ///
    /// ```
    /// use bridge::Contact;
    ///
    /// let jane = Contact::new("1", "Jane Doe")
    ///     .address("37, Famous St., New York, US")
    ///     .website("www.example.com")
    ///     .website("jane.example.org")
    ///     .twitter("jane_doe");
    /// assert_eq!(
    ///     serde_json::to_value(&jane).unwrap(),
    ///     serde_json::json!({"id": "1", "name": "Jane Doe", "address": "37, Famous St., New York, US",
    ///         "websites": ["www.example.com", "jane.example.org"], "twitter": "jane_doe"})
    /// );
    /// ```
    #[inline]
    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// Adds a website.
    #[inline]
    pub fn website(mut self, website: impl Into<String>) -> Self {
        self.websites.push(website.into());
        self
    }

    /// Sets the Twitter user name (`jane_doe`, as the protocol's example writes it, without `@`).
    #[inline]
    pub fn twitter(mut self, username: impl Into<String>) -> Self {
        self.twitter = Some(username.into());
        self
    }
}

/// One page of a contact synchronization: what a contact retriever returns.
///
/// The checkpoint is mandatory (Talkdesk would otherwise re-sync everything every time); return it on
/// every page and never move it backwards. `next_offset` means "there are more pages"; `context` is sent back with
/// the next page's request.
///
/// ```
/// use bridge::{Contact, ContactPage};
///
/// let page = ContactPage::new(vec![Contact::new("1", "Jane")], "2012-12-01 11:21:00 UTC")
///     .next_offset("3");
/// let json = serde_json::to_value(&page).unwrap();
/// assert_eq!(json["next_offset"], "3");
/// assert_eq!(json["synchronization_checkpoint"], "2012-12-01 11:21:00 UTC");
/// assert!(json.get("context").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPage {
    /// The contacts, in ascending order of the field the checkpoint is taken from.
    pub contacts: Vec<Contact>,
    /// The offset of the next page, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::id::optional")]
    pub next_offset: Option<String>,
    /// Marks the last contact synchronized; Talkdesk sends it back on the next sync.
    pub synchronization_checkpoint: String,
    /// The bridge's own state between pages, sent back with the next page's request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
}

impl ContactPage {
    /// A last page (no `next_offset`) with its checkpoint.
    #[inline]
    pub fn new(contacts: Vec<Contact>, synchronization_checkpoint: impl Into<String>) -> Self {
        Self {
            contacts,
            next_offset: None,
            synchronization_checkpoint: synchronization_checkpoint.into(),
            context: None,
        }
    }

    /// Announces a next page at `offset`.
    #[inline]
    pub fn next_offset(mut self, offset: impl Into<String>) -> Self {
        self.next_offset = Some(offset.into());
        self
    }

    /// State to receive back with the next page's request.
    #[inline]
    pub fn context(mut self, context: Value) -> Self {
        self.context = Some(context);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn situation(json: &str) -> SyncSituation {
        serde_json::from_str::<ContactSyncMeta>(json).unwrap().situation
    }

    #[test]
    fn classifies_the_four_situations() {
        assert_eq!(situation("{}"), SyncSituation::Initial);
        assert_eq!(situation(r#"{"offset": 2}"#), SyncSituation::InitialNextPage { offset: "2".into() });
        assert_eq!(
            situation(r#"{"synchronization_checkpoint": "c"}"#),
            SyncSituation::Incremental { checkpoint: "c".into() }
        );
        assert_eq!(
            situation(r#"{"synchronization_checkpoint": "c", "offset": "o"}"#),
            SyncSituation::IncrementalNextPage { checkpoint: "c".into(), offset: "o".into() }
        );
        assert_eq!(situation(r#"{"synchronization_checkpoint": null, "offset": ""}"#), SyncSituation::Initial);
    }

    #[test]
    fn keeps_a_non_null_context() {
        let meta: ContactSyncMeta = serde_json::from_str(r#"{"offset": "2", "context": {"cursor": "x"}}"#).unwrap();
        assert_eq!(meta.context, Some(serde_json::json!({"cursor": "x"})));
    }

    #[test]
    fn parses_the_spec_response_example() {
        let page: ContactPage = serde_json::from_str(
            r#"{"next_offset": "3", "synchronization_checkpoint": "2012-12-01 11:21:00 UTC", "context": null,
                "contacts": [{"id": "2", "name": "Joe", "title": "Staff", "emails": ["joe@example.com"]}]}"#,
        )
        .unwrap();
        assert_eq!(page.contacts[0].emails, ["joe@example.com"]);
        assert_eq!(page.next_offset.as_deref(), Some("3"));
    }
}
