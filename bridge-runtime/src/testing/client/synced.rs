//! A whole synchronization followed for the author ([`TestClient::sync_all`]): every page, in order, the way
//! Talkdesk asks them, and a checker the author feeds the source's truth to ([`SyncTruth`]).

use super::TestClient;
use crate::protocol::{Agent, AgentPage, Contact, ContactPage};
use crate::testing::simulator::checks::CheckpointOrder;
use crate::testing::simulator::DEFAULT_MAX_PAGES;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

impl TestClient {
    /// A whole synchronization, followed page by page as Talkdesk does: `.contacts()` or `.agents()` (see
    /// [`SyncAll`]). The answer holds every page, the checkpoint, and each contact once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use bridge::sync::Paged;
    /// use bridge::testing::TestClient;
    /// use bridge::{Auth, Bridge, Contact, ContactPage, ContactSyncMeta, Error};
    ///
    /// #[bridge::contact_retriever]
    /// async fn contacts(_auth: Auth<serde_json::Value>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    ///     let after = meta.offset_as::<u32>()?.unwrap_or(0);
    ///     let page = Paged::new((after + 1..=7.min(after + 3)).collect(), 2);
    ///     let next = page.next_offset(|n| *n);
    ///     let last = page.items.last().copied().unwrap_or(after);
    ///     let contacts = page.items.iter().map(|n| Contact::new(n.to_string(), format!("Customer {n}"))).collect();
    ///     let answer = ContactPage::new(contacts, last.to_string());
    ///     Ok(match next { Some(offset) => answer.next_offset(offset), None => answer })
    /// }
    ///
    /// let client = TestClient::new(Bridge::new().endpoint(contacts {})).unwrap();
    /// let synced = client.sync_all().auth(serde_json::json!({})).contacts().await.unwrap();
    /// assert_eq!((synced.pages(), synced.checkpoint(), synced.contacts().len()), (4, "7", 7));
    /// # }
    /// ```
    pub fn sync_all(&self) -> SyncAll<'_> {
        SyncAll::new(self)
    }
}

/// A synchronization to follow page by page: built by [`TestClient::sync_all`], run by
/// [`contacts`](Self::contacts) or [`agents`](Self::agents).
pub struct SyncAll<'a> {
    client: &'a TestClient,
    auth: Value,
    checkpoint: Option<String>,
    max_pages: usize,
    between_pages: Option<Box<dyn FnMut(usize) + Send + 'a>>,
}

impl fmt::Debug for SyncAll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncAll")
            .field("auth", &"<redacted>")
            .field("checkpoint", &self.checkpoint)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl<'a> SyncAll<'a> {
    pub(crate) fn new(client: &'a TestClient) -> Self {
        Self { client, auth: json!({}), checkpoint: None, max_pages: DEFAULT_MAX_PAGES, between_pages: None }
    }

    /// The request's `auth`, sent with every page.
    ///
    /// # Panics
    ///
    /// When `auth` does not serialize to JSON.
    pub fn auth(mut self, auth: impl Serialize) -> Self {
        self.auth = serde_json::to_value(auth).expect("auth serializes to JSON");
        self
    }

    /// Makes this an incremental contact sync from `checkpoint` (an initial sync without it).
    pub fn checkpoint(mut self, checkpoint: impl Into<String>) -> Self {
        self.checkpoint = Some(checkpoint.into());
        self
    }

    /// The most pages followed before the sync is declared endless (default [`DEFAULT_MAX_PAGES`]).
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// Runs `change` after each page but the last, with the number of pages answered so far: the source changing
    /// while Talkdesk syncs (another writer, an import).
    pub fn between_pages(mut self, change: impl FnMut(usize) + Send + 'a) -> Self {
        self.between_pages = Some(Box::new(change));
        self
    }

    /// Every page of a contact synchronization: `meta.offset` and `meta.context` sent back as the bridge answered
    /// them, until a page has no `next_offset`.
    ///
    /// `Err` when a page is not a `200` with a contact page, when a checkpoint moves backwards (compared as
    /// dates, RFC 3339 timestamps or integers; others are not compared), when the bridge asks for the same page
    /// twice in a row, or past [`max_pages`](Self::max_pages).
    pub async fn contacts(mut self) -> Result<SyncedContacts, SyncFailure> {
        let mut meta = Map::new();
        if let Some(checkpoint) = &self.checkpoint {
            meta.insert("synchronization_checkpoint".into(), json!(checkpoint));
        }
        let mut synced = SyncedContacts { sent: Vec::new(), checkpoints: Vec::new() };
        let mut last_checkpoint = self.checkpoint.clone();
        loop {
            let page_number = synced.checkpoints.len() + 1;
            if page_number > self.max_pages {
                return Err(SyncFailure::new(page_number, format!("more than {} pages", self.max_pages)));
            }
            let answer = self.client.contact_sync().auth(&self.auth).meta(&meta).send().await;
            if answer.status() != 200 {
                let why = format!("answered {}: {}", answer.status().as_u16(), answer.text());
                return Err(SyncFailure::new(page_number, why));
            }
            let page: ContactPage =
                answer.json().map_err(|err| SyncFailure::new(page_number, format!("not a contact page: {err}")))?;
            if let Some(before) = &last_checkpoint {
                let now = &page.synchronization_checkpoint;
                if CheckpointOrder::Auto.compare(now, before) == Some(std::cmp::Ordering::Less) {
                    let why = format!("the checkpoint moved backwards, from {before:?} to {now:?}");
                    return Err(SyncFailure::new(page_number, why));
                }
            }
            last_checkpoint = Some(page.synchronization_checkpoint.clone());
            synced.checkpoints.push(page.synchronization_checkpoint);
            synced.sent.push(page.contacts);
            let Some(offset) = page.next_offset else { return Ok(synced) };
            let context = page.context.unwrap_or(Value::Null);
            if meta.get("offset") == Some(&json!(offset)) && meta.get("context").unwrap_or(&Value::Null) == &context {
                let why = format!("next_offset {offset:?} and its context are the request's own: the sync cannot end");
                return Err(SyncFailure::new(page_number, why));
            }
            meta.insert("offset".into(), json!(offset));
            meta.insert("context".into(), context);
            if let Some(change) = self.between_pages.as_mut() {
                change(page_number);
            }
        }
    }

    /// Every page of an agent synchronization: `meta.offset` sent back as the bridge answered it, until a page has
    /// no `next_offset`. `Err` as for [`contacts`](Self::contacts).
    pub async fn agents(mut self) -> Result<SyncedAgents, SyncFailure> {
        let mut agents = Vec::new();
        let mut offset: Option<String> = None;
        for page_number in 1.. {
            if page_number > self.max_pages {
                return Err(SyncFailure::new(page_number, format!("more than {} pages", self.max_pages)));
            }
            let mut call = self.client.agent_sync().auth(&self.auth);
            if let Some(offset) = &offset {
                call = call.offset(offset);
            }
            let answer = call.send().await;
            if answer.status() != 200 {
                let why = format!("answered {}: {}", answer.status().as_u16(), answer.text());
                return Err(SyncFailure::new(page_number, why));
            }
            let page: AgentPage =
                answer.json().map_err(|err| SyncFailure::new(page_number, format!("not an agent page: {err}")))?;
            agents.push(page.agents);
            match page.next_offset {
                None => break,
                Some(next) if offset.as_deref() == Some(next.as_str()) => {
                    let why = format!("next_offset {next:?} is the request's own: the sync cannot end");
                    return Err(SyncFailure::new(page_number, why));
                }
                Some(next) => offset = Some(next),
            }
            if let Some(change) = self.between_pages.as_mut() {
                change(page_number);
            }
        }
        Ok(SyncedAgents { pages: agents })
    }
}

/// A contact synchronization, every page of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncedContacts {
    /// The contacts of each page, as sent.
    pub sent: Vec<Vec<Contact>>,
    /// The checkpoint of each page.
    pub checkpoints: Vec<String>,
}

impl SyncedContacts {
    /// How many pages the sync took.
    pub fn pages(&self) -> usize {
        self.sent.len()
    }

    /// The checkpoint of the last page: where the next sync starts.
    pub fn checkpoint(&self) -> &str {
        self.checkpoints.last().map_or("", String::as_str)
    }

    /// Every contact sent, in order, repeats included.
    pub fn all_sent(&self) -> impl Iterator<Item = &Contact> {
        self.sent.iter().flatten()
    }

    /// Each contact once, as it was sent last (what Talkdesk holds afterwards), by id.
    pub fn contacts(&self) -> BTreeMap<String, Contact> {
        self.all_sent().map(|c| (c.id.clone(), c.clone())).collect()
    }

    /// The ids of the contacts sent, each once.
    pub fn ids(&self) -> BTreeSet<String> {
        self.all_sent().map(|c| c.id.clone()).collect()
    }

    /// The ids of contacts sent more than once exactly as they were: a repeat no change explains (a page
    /// boundary sent one twice, or the source reported a change the contact does not show).
    pub fn repeated_unchanged(&self) -> Vec<String> {
        let mut seen: BTreeMap<&str, &Contact> = BTreeMap::new();
        let mut repeated = BTreeSet::new();
        for contact in self.all_sent() {
            if seen.insert(&contact.id, contact) == Some(contact) {
                repeated.insert(contact.id.clone());
            }
        }
        repeated.into_iter().collect()
    }
}

/// An agent synchronization, every page of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedAgents {
    /// The agents of each page, as sent.
    pub pages: Vec<Vec<Agent>>,
}

impl SyncedAgents {
    /// Every agent sent, in order.
    pub fn agents(&self) -> Vec<&Agent> {
        self.pages.iter().flatten().collect()
    }

    /// The ids of the agents sent, each once.
    pub fn ids(&self) -> BTreeSet<String> {
        self.pages.iter().flatten().map(|a| a.id.clone()).collect()
    }
}

/// Why a followed synchronization stopped: the page, and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFailure {
    /// The page (1 for the first).
    pub page: usize,
    /// What was wrong.
    pub message: String,
}

impl SyncFailure {
    fn new(page: usize, message: String) -> Self {
        Self { page, message }
    }
}

impl fmt::Display for SyncFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "page {} of the sync: {}", self.page, self.message)
    }
}

impl std::error::Error for SyncFailure {}

/// The source's truth, as the test's author knows it, to check a synchronization against: the contacts that
/// existed before the sync, and those changed while it ran.
///
/// ```
/// use bridge::testing::{SyncTruth, SyncedContacts};
/// use bridge::Contact;
///
/// let synced = SyncedContacts {
///     sent: vec![vec![Contact::new("1", "Ann"), Contact::new("2", "Bob")], vec![Contact::new("1", "Ann Lee")]],
///     checkpoints: vec!["5".into(), "6".into()],
/// };
/// let truth = SyncTruth::new().existed(["1", "2"]).changed(Contact::new("1", "Ann Lee"));
/// truth.check(&synced).unwrap();
/// let stale = SyncTruth::new().existed(["1", "2", "3"]).changed(Contact::new("2", "Bob Ray"));
/// let problems = stale.check(&synced).unwrap_err();
/// assert_eq!(problems.len(), 2, "{problems:?}");
/// ```
#[derive(Debug, Clone, Default)]
pub struct SyncTruth {
    existed: BTreeSet<String>,
    changed: Vec<Contact>,
}

impl SyncTruth {
    /// No truth yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The ids of contacts that existed before the sync started: each must arrive.
    pub fn existed<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.existed.extend(ids.into_iter().map(Into::into));
        self
    }

    /// A contact as a change made during the sync left it: it must arrive changed. Only what `expected` states is
    /// compared: its name when not empty, each `Some` field, each non-empty list.
    pub fn changed(mut self, expected: Contact) -> Self {
        self.changed.push(expected);
        self
    }

    /// `Ok` when the sync holds to the truth; otherwise every way it does not.
    pub fn check(&self, synced: &SyncedContacts) -> Result<(), Vec<String>> {
        let got = synced.contacts();
        let mut problems: Vec<String> = self
            .existed
            .iter()
            .filter(|id| !got.contains_key(*id))
            .map(|id| format!("contact {id} was lost"))
            .collect();
        for expected in &self.changed {
            match got.get(&expected.id) {
                None => problems.push(format!("contact {}, changed during the sync, was lost", expected.id)),
                Some(last) => {
                    if let Some(field) = differs(expected, last) {
                        problems.push(format!(
                            "contact {} arrived without its change: its {field} is {} where the source has {}",
                            expected.id,
                            show(last, field),
                            show(expected, field)
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// [`check`](Self::check), as an assertion.
    ///
    /// # Panics
    ///
    /// When the sync does not hold to the truth, listing every way.
    #[track_caller]
    pub fn assert(&self, synced: &SyncedContacts) {
        if let Err(problems) = self.check(synced) {
            panic!("the sync does not hold to the source's truth:\n- {}", problems.join("\n- "));
        }
    }
}

/// The first field `expected` states that `got` does not have.
fn differs(expected: &Contact, got: &Contact) -> Option<&'static str> {
    let some = |e: &Option<String>, g: &Option<String>| e.is_some() && e != g;
    let list = |e: &Vec<String>, g: &Vec<String>| !e.is_empty() && e != g;
    [
        (!expected.name.is_empty() && expected.name != got.name, "name"),
        (some(&expected.company, &got.company), "company"),
        (some(&expected.title, &got.title), "title"),
        (list(&expected.emails, &got.emails), "emails"),
        (list(&expected.phones, &got.phones), "phones"),
        (some(&expected.photo_url, &got.photo_url), "photo_url"),
        (some(&expected.address, &got.address), "address"),
        (list(&expected.websites, &got.websites), "websites"),
        (some(&expected.twitter, &got.twitter), "twitter"),
        (some(&expected.url, &got.url), "url"),
    ]
    .into_iter()
    .find_map(|(differs, field)| differs.then_some(field))
}

fn show(contact: &Contact, field: &str) -> String {
    let value = serde_json::to_value(contact).unwrap_or_default();
    value.get(field).map_or_else(|| "absent".to_owned(), Value::to_string)
}
