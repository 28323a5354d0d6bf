//! The HubSpot example (`examples/hubspot`), driven over real HTTP as Talkdesk would, OAuth refreshes included,
//! against its fake HubSpot on 127.0.0.1: a 50,000-contact sync past the search API's 10,000-result limit, then
//! an incremental one; tokens expiring in the middle of a sync; `429`s without `Retry-After`; each kind of
//! interaction; both actions; owners across pages; the `401` that means only "HubSpot refused the token"; the
//! fake's answers against HubSpot's own schemas; and every command the demo prints.

use crate::hubspot_example as example;

use crate::common;

use bridge::http::{Backoff, BaseUrl};
use bridge::RunningBridge;
use common::{contact_ids, post, start, Answer};
use example::fake::{
    rate_limit, Call, Contact, Fake, Fault, RunningFake, ALL_SCOPES, CLIENT_ID, CLIENT_SECRET, FIRST_CONTACT,
    REFRESH_TOKEN, SEARCH_LIMIT, START,
};
use example::Config;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Small limits and short waits, so that failures show within the test's time.
pub(crate) fn test_config() -> Config {
    Config {
        base_url: None,
        timeout: Duration::from_secs(2),
        max_retries: 2,
        max_retry_after: Duration::from_secs(3),
        rate_limit_backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(60)),
        secondly_wait: Duration::from_millis(250),
        call_budget: Duration::from_secs(5),
        deadline: Duration::from_secs(8),
        contact_page_size: 200,
        agent_page_size: 2,
        owners_per_call: 3,
        interaction_limit: 25,
        search_lag: Duration::ZERO,
    }
}

/// The fake, the bridge pointed at it (`HUBSPOT_BASE_URL`), and a Talkdesk holding a refresh token.
struct Setup {
    fake: Fake,
    server: RunningFake,
    bridge: RunningBridge,
    token: Mutex<String>,
    refreshes: Mutex<u32>,
}

async fn setup_with(fake: Fake, tweak: impl FnOnce(&mut Config)) -> Setup {
    let server = fake.start().await.expect("the fake HubSpot starts");
    let mut config = test_config();
    config.base_url = Some(BaseUrl::parse(&server.url()).unwrap());
    tweak(&mut config);
    let bridge = start(example::bridge(config).expect("the bridge builds")).await;
    let token = Mutex::new(fake.issue_token(&ALL_SCOPES));
    Setup { fake, server, bridge, token, refreshes: Mutex::new(0) }
}

async fn setup(fake: Fake) -> Setup {
    setup_with(fake, |_| {}).await
}

/// A whole contact synchronization, page after page, as Talkdesk does it.
struct Synced {
    ids: Vec<String>,
    checkpoint: String,
    pages: usize,
}

impl Setup {
    fn auth(&self) -> Value {
        json!({ "access_token": *self.token.lock().unwrap() })
    }

    /// One request with the current token, as it is.
    async fn call(&self, path: &str, mut body: Value) -> Answer {
        if body.get("auth").is_none() {
            body["auth"] = self.auth();
        }
        post(&self.bridge, path, &body.to_string()).await
    }

    /// Talkdesk's OAuth: a `401` makes it refresh the token at HubSpot's token endpoint and repeat the request,
    /// once.
    async fn talkdesk(&self, path: &str, body: Value) -> Answer {
        let answer = self.call(path, body.clone()).await;
        if answer.status != 401 {
            return answer;
        }
        self.refresh().await;
        self.call(path, body).await
    }

    async fn refresh(&self) {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", REFRESH_TOKEN),
        ];
        let url = format!("{}/oauth/v1/token", self.server.url());
        let answer: Value = reqwest::Client::new()
            .post(url)
            .form(&form)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        *self.token.lock().unwrap() = answer["access_token"].as_str().unwrap().to_owned();
        *self.refreshes.lock().unwrap() += 1;
    }

    /// Every page from `checkpoint` (an initial sync when `None`), checking each: at most a page of contacts, a
    /// checkpoint on every page that never moves backwards.
    async fn sync(&self, checkpoint: Option<&str>) -> Synced {
        let mut meta = json!({});
        if let Some(checkpoint) = checkpoint {
            meta["synchronization_checkpoint"] = json!(checkpoint);
        }
        let mut synced = Synced { ids: Vec::new(), checkpoint: checkpoint.unwrap_or("").to_owned(), pages: 0 };
        loop {
            let page = self.talkdesk("/contact_sync", json!({ "meta": meta })).await.assert_json(200);
            let next_checkpoint = page["synchronization_checkpoint"].as_str().expect("a checkpoint on every page");
            // RFC 3339 in UTC with milliseconds sorts as text as it does in time.
            assert!(
                next_checkpoint >= synced.checkpoint.as_str(),
                "moved back: {} -> {next_checkpoint}",
                synced.checkpoint
            );
            synced.checkpoint = next_checkpoint.to_owned();
            assert!(contact_ids(&page).len() <= 200, "a page larger than asked for");
            synced.ids.extend(contact_ids(&page));
            synced.pages += 1;
            match page.get("next_offset") {
                None => return synced,
                Some(offset) => {
                    meta["offset"] = offset.clone();
                    meta["context"] = page["context"].clone();
                }
            }
        }
    }

    fn hubspot_calls(&self) -> Vec<Call> {
        self.fake.requests().into_iter().filter(|r| !r.path.starts_with("/oauth/")).collect()
    }
}

/// The ids of `contacts` in the order a sync must send them: ascending `lastmodifieddate`, ties by id.
fn in_sync_order(mut contacts: Vec<Contact>) -> Vec<String> {
    contacts.sort_by_key(|c| (c.modified, c.id));
    contacts.iter().map(|c| c.id.to_string()).collect()
}

fn assert_no_duplicates(ids: &[String]) {
    let mut seen = HashSet::new();
    let repeated: Vec<&String> = ids.iter().filter(|id| !seen.insert(*id)).collect();
    assert!(repeated.is_empty(), "sent twice: {repeated:?}");
}

// --- Contact synchronization ---------------------------------------------------------------------------------------

#[tokio::test]
async fn fifty_thousand_contacts_sync_past_the_search_limit_then_incrementally() {
    let env = setup(Fake::sample(50_000)).await;
    let synced = env.sync(None).await;
    assert_no_duplicates(&synced.ids);
    // Every contact, once, oldest first, past the 450 that share one millisecond (longer than a page).
    assert_eq!(synced.ids.len(), 50_000);
    assert_eq!(synced.ids, in_sync_order(env.fake.contacts()));
    assert!((250..=255).contains(&synced.pages), "{} pages", synced.pages);
    let searches: Vec<Call> =
        env.hubspot_calls().into_iter().filter(|r| r.path.ends_with("/contacts/search")).collect();
    assert_eq!(searches.len(), synced.pages, "one search per page");
    assert!(searches.iter().all(|s| s.status == Some(200)));
    let deepest = searches.iter().filter_map(|s| s.json()?["after"].as_str()?.parse::<usize>().ok()).max();
    assert!(deepest.is_some_and(|d| d < SEARCH_LIMIT), "the run of ties paged with after, never deep: {deepest:?}");

    // Changes after the sync: three contacts modified, two created. The incremental sync sends exactly them, and
    // the contacts that share the checkpoint's millisecond (sent again rather than risked).
    let changed = [FIRST_CONTACT + 7, FIRST_CONTACT + 25_000, FIRST_CONTACT + 49_999];
    env.fake.clock().advance(Duration::from_secs(5));
    env.fake.update_contacts(&changed, |c| c.company = Some("Changed Inc".into()));
    let new = env.fake.add_contact(Contact {
        firstname: Some("Nora".into()),
        email: Some("nora@example.com".into()),
        ..Contact::default()
    });
    let at_checkpoint: BTreeSet<String> = env
        .fake
        .contacts()
        .iter()
        .filter(|c| example::mapping::iso_millis(c.modified) == synced.checkpoint && !changed.contains(&c.id))
        .map(|c| c.id.to_string())
        .collect();
    assert!(at_checkpoint.len() <= 3, "ties of the last millisecond: {at_checkpoint:?}");
    let incremental = env.sync(Some(&synced.checkpoint)).await;
    let expected: BTreeSet<String> =
        changed.iter().chain([&new]).map(u64::to_string).chain(at_checkpoint.iter().cloned()).collect();
    assert_eq!(incremental.ids.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_no_duplicates(&incremental.ids);
    assert_eq!(incremental.ids.last(), Some(&new.to_string()), "oldest first: the new contact is the newest");
    assert!(incremental.checkpoint > synced.checkpoint);

    // Nothing changed since: only the contacts of the checkpoint's millisecond come back (here the four changes,
    // all made in the same millisecond).
    let idle = env.sync(Some(&incremental.checkpoint)).await;
    let last_millisecond: BTreeSet<String> = env
        .fake
        .contacts()
        .iter()
        .filter(|c| example::mapping::iso_millis(c.modified) == incremental.checkpoint)
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(last_millisecond.len(), 4);
    assert_eq!(idle.ids.into_iter().collect::<BTreeSet<_>>(), last_millisecond);
}

#[tokio::test]
async fn contacts_changed_during_a_sync_are_sent_and_a_restart_loses_nothing() {
    let env = setup_with(Fake::sample(1_500), |c| c.contact_page_size = 100).await;
    let mut meta = json!({});
    let mut ids = Vec::new();
    let mut checkpoints = Vec::new();
    for page in 0.. {
        let answer = env.talkdesk("/contact_sync", json!({ "meta": meta })).await.assert_json(200);
        ids.extend(contact_ids(&answer));
        checkpoints.push(answer["synchronization_checkpoint"].as_str().unwrap().to_owned());
        if page == 3 {
            // One already sent, one not yet: both move to the end, and both are sent (again).
            env.fake.update_contacts(&[FIRST_CONTACT + 10, FIRST_CONTACT + 1_400], |c| c.jobtitle = Some("CEO".into()));
        }
        let Some(offset) = answer.get("next_offset") else { break };
        meta = json!({"offset": offset, "context": answer["context"]});
    }
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 1_500, "nothing lost");
    let last_two: Vec<&str> = ids.iter().rev().take(2).map(String::as_str).collect();
    assert_eq!(last_two, [(FIRST_CONTACT + 1_400).to_string(), (FIRST_CONTACT + 10).to_string()]);
    assert_eq!(ids.len(), 1_501, "only the contact changed after it was sent came twice");

    // Talkdesk restarts from a middle page's checkpoint: every contact from there on comes again.
    let middle = &checkpoints[5];
    let restarted = env.sync(Some(middle)).await;
    let expected: BTreeSet<String> = env
        .fake
        .contacts()
        .iter()
        .filter(|c| example::mapping::iso_millis(c.modified).as_str() >= middle.as_str())
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(restarted.ids.iter().cloned().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test]
async fn tokens_expiring_in_the_middle_of_a_sync_are_refreshed_and_nothing_is_lost() {
    let env = setup_with(Fake::sample(2_000), |c| c.contact_page_size = 100).await;
    env.fake.token_uses(Some(3));
    env.refresh().await; // a token that dies after three HubSpot calls
    *env.refreshes.lock().unwrap() = 0;
    let synced = env.sync(None).await;
    assert_eq!(synced.ids, in_sync_order(env.fake.contacts()));
    let refreshes = *env.refreshes.lock().unwrap();
    assert!(refreshes >= 5, "a page of 100 among 2,000, three calls per token: {refreshes} refreshes");
    let unauthorized = env.hubspot_calls().iter().filter(|r| r.status == Some(401)).count();
    assert_eq!(unauthorized as u32, refreshes, "each refresh followed exactly one 401 from HubSpot");
}

#[tokio::test]
async fn a_search_answer_out_of_order_is_a_502_never_a_silent_loss() {
    let env = setup(Fake::sample(10)).await;
    env.fake.reverse_next_search();
    let answer = env.call("/contact_sync", json!({})).await.assert_json(502);
    assert!(answer["message"].as_str().unwrap().contains("did not sort by lastmodifieddate"), "{answer}");
    env.call("/contact_sync", json!({})).await.assert_json(200);
}

/// Whatever Talkdesk (or anyone) puts in `meta`, the answer is a `200` or a `400` naming the field: never a `5xx`.
#[tokio::test]
async fn any_offset_checkpoint_or_context_is_a_200_or_a_400() {
    let env = setup(Fake::sample(30)).await;
    let mut values = vec![
        json!(null),
        json!(""),
        json!(" "),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(true),
        json!([]),
        json!({}),
        json!("0+0"),
        json!("+"),
        json!("1+"),
        json!("+1"),
        json!("-0"),
        json!("١٢٣"),
        json!("9223372036854775807"),
        json!("9223372036854775808"),
        json!("253402300799999"),
        json!("253402300800000"),
        json!("1e3"),
        json!("2024-06-03T12:00:00.000Z"),
        json!("2024-06-03 12:00:00 UTC"),
        json!("0000-01-01T00:00:00Z"),
        json!("\u{0}"),
        json!("a".repeat(5000)),
        json!("1717412400033+99999"),
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let alphabet = b"0123456789+-.:TZ aA\\\"{}";
        let text: String =
            (0..(seed % 24)).map(|i| alphabet[((seed >> (i % 50)) % alphabet.len() as u64) as usize] as char).collect();
        values.push(json!(text));
    }
    for value in &values {
        for meta in [
            json!({ "offset": value }),
            json!({ "synchronization_checkpoint": value }),
            json!({ "offset": "1717412400000", "context": value }),
            json!({ "offset": value, "synchronization_checkpoint": value, "context": {"from": value, "seen": value} }),
        ] {
            let answer = env.call("/contact_sync", json!({ "meta": meta })).await;
            assert!(answer.status == 200 || answer.status == 400, "{meta}: {} {}", answer.status, answer.text);
        }
        let answer = env.call("/agent_sync", json!({"meta": {"offset": value}})).await;
        assert!(
            answer.status == 200 || answer.status == 400,
            "agent offset {value}: {} {}",
            answer.status,
            answer.text
        );
    }
}

#[tokio::test]
async fn contact_sync_refuses_what_it_cannot_use() {
    let env = setup(Fake::sample(10)).await;
    for (meta, field) in [
        (json!({"synchronization_checkpoint": "last tuesday"}), "meta.synchronization_checkpoint"),
        (json!({"offset": "page-two"}), "meta.offset"),
        (json!({"offset": "12+"}), "meta.offset"),
        (json!({"offset": "99999999999999999"}), "meta.offset"),
        (json!({"synchronization_checkpoint": "99999999999999999"}), "meta.synchronization_checkpoint"),
    ] {
        let answer = env.call("/contact_sync", json!({ "meta": meta })).await;
        answer.assert_json(400);
        assert_eq!(answer.fields(), [field]);
    }
    // Talkdesk's own date format is read too.
    env.call("/contact_sync", json!({"meta": {"synchronization_checkpoint": "2024-06-03 10:00:00 UTC"}}))
        .await
        .assert_json(200);
    for token in ["", "two words", &"x".repeat(3000)] {
        let answer = env.call("/contact_sync", json!({"auth": {"access_token": token}})).await;
        answer.assert_json(400);
        assert_eq!(answer.fields(), ["auth.access_token"]);
    }
}

// --- OAuth: 401 means the token, and nothing else -------------------------------------------------------------------

fn every_endpoint() -> [(&'static str, Value); 6] {
    [
        ("/auth_validation", json!({})),
        ("/contact_sync", json!({})),
        (
            "/interaction_update",
            json!({"meta": {"interaction_types": ["note"]}, "data": {"contact_external_id": "105"}}),
        ),
        ("/actions/create_task", json!({"meta": {"contact_external_id": "105"}, "data": {"subject": "Call back"}})),
        ("/actions/log_note", json!({"meta": {"contact_external_id": "105"}, "data": {"body": "Called"}})),
        ("/agent_sync", json!({})),
    ]
}

#[tokio::test]
async fn an_expired_or_unknown_token_is_a_401_everywhere_and_a_refresh_fixes_it() {
    let env = setup(Fake::sample(10)).await;
    let records = env.fake.records_of(105, "tasks").len() + env.fake.records_of(105, "notes").len();
    let expired = env.fake.issue_token_for(&ALL_SCOPES, Duration::ZERO);
    for token in [expired.as_str(), "demo-access-never-issued"] {
        for (path, mut body) in every_endpoint() {
            body["auth"] = json!({ "access_token": token });
            let answer = env.call(path, body).await;
            assert_eq!(answer.assert_json(401)["code"], "credentials_rejected", "{path}");
            assert!(!answer.text.contains(token), "{path}: {}", answer.text);
        }
    }
    assert_eq!(env.fake.records_of(105, "tasks").len() + env.fake.records_of(105, "notes").len(), records);

    // Revoked while in use: Talkdesk refreshes and every endpoint answers.
    env.fake.expire_tokens();
    for (path, body) in every_endpoint() {
        let answer = env.talkdesk(path, body).await;
        assert!(answer.status < 300, "{path}: {}", answer.text);
    }
    assert_eq!(*env.refreshes.lock().unwrap(), 1);
}

#[tokio::test]
async fn auth_validation_checks_the_scopes_and_names_the_missing_ones() {
    let env = setup(Fake::sample(3)).await;
    assert_eq!(env.call("/auth_validation", json!({})).await.status, 204);
    let narrow = env.fake.issue_token(&["crm.objects.contacts.read", "crm.objects.owners.read"]);
    let answer = env.call("/auth_validation", json!({"auth": {"access_token": narrow}})).await;
    // Talkdesk's contract for auth validation is 204 or 401: a 401, saying which scopes are missing.
    answer.assert_json(401);
    let message = answer.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("`crm.objects.contacts.write`") && message.contains("`tickets`"), "{message}");
    assert!(!message.contains("`crm.objects.owners.read`"), "{message}");

    // Elsewhere, HubSpot's 403 for a missing scope is a 400 naming it, never a 401 (a refresh would not help).
    let answer = env.call("/agent_sync", json!({"auth": {"access_token": env.fake.issue_token(&["tickets"])}})).await;
    let body = answer.assert_json(400);
    assert!(body["message"].as_str().unwrap().contains("crm.objects.owners.read"), "{body}");
}

#[tokio::test]
async fn hubspot_failing_is_502_and_slow_is_504_never_401() {
    let env = setup_with(Fake::sample(10), |c| c.timeout = Duration::from_millis(300)).await;
    for (fault, status) in
        [(Fault::ServerError, 502), (rate_limit("DAILY"), 502), (Fault::Slow(Duration::from_secs(2)), 504)]
    {
        env.fake.inject(fault.clone());
        let answer = env.call("/contact_sync", json!({})).await;
        assert_eq!(answer.status, status, "{fault:?}: {}", answer.text);
    }
    // Introspection failing is not the token's fault either.
    env.fake.inject(Fault::ServerError);
    env.call("/agent_sync", json!({})).await.assert_json(502);
    env.call("/contact_sync", json!({})).await.assert_json(200);
}

// --- 429 without Retry-After ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_429_without_retry_after_is_backed_off_within_the_budget() {
    let env = setup(Fake::sample(10)).await;
    // The ten-second rolling window, twice: backed off (20-60 ms), then answered.
    env.fake.inject(rate_limit("TEN_SECONDLY_ROLLING"));
    env.fake.inject(rate_limit("TEN_SECONDLY_ROLLING"));
    let page = env.call("/contact_sync", json!({})).await.assert_json(200);
    assert_eq!(contact_ids(&page).len(), 10);
    let statuses: Vec<u16> = env.hubspot_calls().iter().filter_map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);

    // The search API's secondly limit: waited out (250 ms here).
    env.fake.inject(rate_limit("SECONDLY"));
    let started = Instant::now();
    env.call("/contact_sync", json!({})).await.assert_json(200);
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());

    // The daily limit: no waiting helps, a 502 at once, saying why.
    env.fake.inject(rate_limit("DAILY"));
    let started = Instant::now();
    let spent = env.call("/agent_sync", json!({})).await.assert_json(502);
    assert!(started.elapsed() < Duration::from_millis(200));
    assert!(spent["message"].as_str().unwrap().contains("daily API limit"), "{spent}");

    // A real secondly limit on the search API (2 a second): a burst of syncs all answer, none with a 401.
    env.fake.search_rate(Some(2));
    env.fake.clear_requests();
    for _ in 0..5 {
        env.call("/contact_sync", json!({})).await.assert_json(200);
    }
    assert!(env.hubspot_calls().iter().any(|r| r.status == Some(429)), "the limit was hit");
}

// --- Interactions ------------------------------------------------------------------------------------------------------

/// A contact with one record of each kind, with known statuses and priorities.
pub(crate) fn contact_with_everything(fake: &Fake) -> u64 {
    let id = fake.add_contact(Contact {
        firstname: Some("Iris".into()),
        lastname: Some("Everything".into()),
        email: Some("iris@example.com".into()),
        phone: Some("+1 555 777 0000".into()),
        mobilephone: Some("+1 555 777 1111".into()),
        company: Some("Everything Ltd".into()),
        ..Contact::default()
    });
    let day = 86_400_000;
    let at = |days: i64| example::mapping::iso_millis(START - days * day);
    fake.add_record(
        "notes",
        &[("hs_note_body", "<p>Asked about <b>pricing</b></p>"), ("hs_timestamp", &at(1))],
        START - day,
        &[id],
    );
    for (n, (status, priority)) in [
        ("NOT_STARTED", "LOW"),
        ("IN_PROGRESS", "MEDIUM"),
        ("WAITING", "HIGH"),
        ("DEFERRED", "LOW"),
        ("COMPLETED", "HIGH"),
    ]
    .into_iter()
    .enumerate()
    {
        let subject = format!("Task {status}");
        let when = at(2 + n as i64);
        let props = [
            ("hs_task_subject", subject.as_str()),
            ("hs_task_status", status),
            ("hs_task_priority", priority),
            ("hs_timestamp", &when),
        ];
        fake.add_record("tasks", &props, START - day, &[id]);
    }
    fake.add_record(
        "calls",
        &[("hs_call_title", "Discovery call"), ("hs_call_status", "NO_ANSWER"), ("hs_timestamp", &at(8))],
        START,
        &[id],
    );
    fake.add_record(
        "emails",
        &[("hs_email_subject", "Quote"), ("hs_email_status", "SCHEDULED"), ("hs_timestamp", &at(9))],
        START,
        &[id],
    );
    fake.add_record(
        "meetings",
        &[("hs_meeting_title", "Demo"), ("hs_meeting_outcome", "COMPLETED"), ("hs_meeting_start_time", &at(10))],
        START,
        &[id],
    );
    fake.add_record(
        "tickets",
        &[
            ("subject", "Broken login"),
            ("content", "Cannot log in"),
            ("hs_pipeline_stage", "2"),
            ("hs_ticket_priority", "URGENT"),
            ("createdate", &at(11)),
        ],
        START,
        &[id],
    );
    id
}

fn by_type(answer: &Value) -> BTreeMap<String, Vec<Value>> {
    let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for interaction in answer.as_array().unwrap() {
        grouped.entry(interaction["type"].as_str().unwrap().to_owned()).or_default().push(interaction.clone());
    }
    grouped
}

#[tokio::test]
async fn each_kind_of_record_is_an_interaction_mapped_onto_talkdesk_sets() {
    let env = setup(Fake::sample(5)).await;
    let id = contact_with_everything(&env.fake);
    let all = json!(["note", "task", "call", "email", "meeting", "ticket"]);
    let answer = env
        .call(
            "/interaction_update",
            json!({"meta": {"interaction_types": all}, "data": {"contact_external_id": id.to_string()}}),
        )
        .await
        .assert_json(200);
    let grouped = by_type(&answer);
    assert_eq!(
        grouped.keys().map(String::as_str).collect::<Vec<_>>(),
        ["call", "email", "meeting", "note", "task", "ticket"]
    );
    let dates: Vec<&str> = answer.as_array().unwrap().iter().map(|i| i["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");

    let note = &grouped["note"][0];
    assert_eq!(
        (note["subject"].as_str(), note["description"].as_str()),
        (Some("Asked about pricing"), Some("Asked about pricing"))
    );
    assert_eq!(note["date"], "2024-06-02 12:00:00 UTC");
    let tasks: BTreeMap<&str, (&str, &str)> = grouped["task"]
        .iter()
        .map(|t| (t["subject"].as_str().unwrap(), (t["status"].as_str().unwrap(), t["priority"].as_str().unwrap())))
        .collect();
    assert_eq!(tasks["Task NOT_STARTED"], ("new", "low"));
    assert_eq!(tasks["Task IN_PROGRESS"], ("open", "normal"));
    assert_eq!(tasks["Task WAITING"], ("pending", "high"));
    assert_eq!(tasks["Task DEFERRED"], ("pending", "low"));
    assert_eq!(tasks["Task COMPLETED"], ("solved", "high"));
    assert_eq!(grouped["call"][0]["status"], "closed");
    assert_eq!(grouped["email"][0]["status"], "pending");
    assert_eq!(grouped["meeting"][0]["status"], "solved");
    let ticket = &grouped["ticket"][0];
    assert_eq!((ticket["status"].as_str(), ticket["priority"].as_str()), (Some("pending"), Some("urgent")));

    // Only the requested types, and HubSpot is asked only about them.
    env.fake.clear_requests();
    let answer = env
        .call("/interaction_update", json!({"meta": {"interaction_types": ["ticket", "unknown"]}, "data": {"contact_external_id": id.to_string()}}))
        .await
        .assert_json(200);
    assert_eq!(by_type(&answer).keys().collect::<Vec<_>>(), ["ticket"]);
    let asked = |r: &Call| format!("{} {:?}", r.path, r.query);
    let others = ["notes", "tasks", "calls", "emails", "meetings"];
    assert!(
        env.hubspot_calls()
            .iter()
            .map(asked)
            .all(|call| call.contains("tickets") && others.iter().all(|o| !call.contains(o))),
        "{:?}",
        env.hubspot_calls()
    );
}

#[tokio::test]
async fn the_contact_is_found_by_id_else_email_else_phone() {
    let env = setup(Fake::sample(5)).await;
    let id = contact_with_everything(&env.fake);
    let tasks =
        |data: Value| env.call("/interaction_update", json!({"meta": {"interaction_types": ["task"]}, "data": data}));
    let count = |answer: Answer| answer.assert_json(200).as_array().unwrap().len();
    assert_eq!(count(tasks(json!({"contact_external_id": id.to_string()})).await), 5);
    assert_eq!(count(tasks(json!({"contact_external_id": "zd-77", "contact_emails": ["IRIS@example.com"]})).await), 5);
    assert_eq!(
        count(tasks(json!({"contact_emails": ["nobody@example.com"], "contact_phones": ["+1 555 777 1111"]})).await),
        5
    );
    assert_eq!(count(tasks(json!({"contact_emails": ["nobody@example.com"], "contact_phones": ["+1 999"]})).await), 0);
    // One search for all of them, but the first email that finds a contact wins, then the first number, whatever
    // HubSpot's order (the sample contacts, with 2 and 3 tasks, come before Iris in it).
    let both = json!({"contact_emails": ["iris@example.com", "customer2@example.com"]});
    assert_eq!(count(tasks(both).await), 5);
    let both = json!({"contact_emails": ["customer2@example.com", "iris@example.com"]});
    assert_eq!(count(tasks(both).await), 2);
    let both = json!({"contact_emails": ["iris@example.com"], "contact_phones": ["+1 555 0100003"]});
    assert_eq!(count(tasks(both).await), 5);
    let both = json!({"contact_phones": ["+1 999", "+1 555 0100003", "+1 555 777 0000"]});
    assert_eq!(count(tasks(both).await), 3);
    assert_eq!(count(tasks(json!({"contact_external_id": "99999999"})).await), 0);
    // Nothing to look up: an empty list, but the token is still checked.
    assert_eq!(count(tasks(json!({})).await), 0);
    let expired = env.fake.issue_token_for(&ALL_SCOPES, Duration::ZERO);
    let answer = env
        .call(
            "/interaction_update",
            json!({"auth": {"access_token": expired}, "meta": {"interaction_types": ["task"]}, "data": {}}),
        )
        .await;
    assert_eq!(answer.status, 401);
}

// --- Actions ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_task_and_log_note_land_on_the_contact_with_the_owner() {
    let env = setup(Fake::sample(5)).await;
    let contact = FIRST_CONTACT + 2;
    let meta = json!({"contact_external_id": contact.to_string(), "agent_external_id": "503"});
    let data =
        json!({"subject": "Call back", "body": "Missed call", "priority": "normal", "due": "2030-01-15 09:00:00 UTC"});
    let created = env.call("/actions/create_task", json!({"meta": meta, "data": data})).await.assert_json(201);
    let task_id: u64 = created["external_id"].as_str().unwrap().parse().unwrap();
    let task = env.fake.record(task_id).expect("the task exists in HubSpot");
    assert_eq!(task.object_type, "tasks");
    assert_eq!(task.contacts, [contact]);
    let property = |name: &str| task.properties.get(name).map(String::as_str);
    assert_eq!(property("hubspot_owner_id"), Some("503"));
    assert_eq!(property("hs_task_status"), Some("NOT_STARTED"));
    assert_eq!(property("hs_task_priority"), Some("MEDIUM"));
    assert_eq!(property("hs_timestamp"), Some("2030-01-15T09:00:00.000Z"));

    let noted =
        env.call("/actions/log_note", json!({"meta": meta, "data": {"body": "Wants a demo"}})).await.assert_json(201);
    let note = env.fake.record(noted["external_id"].as_str().unwrap().parse().unwrap()).unwrap();
    assert_eq!((note.object_type, note.contacts.as_slice()), ("notes", &[contact][..]));
    assert_eq!(note.properties.get("hubspot_owner_id").map(String::as_str), Some("503"));

    // Both show up as the contact's interactions.
    let answer = env
        .call("/interaction_update", json!({"meta": {"interaction_types": ["task", "note"]}, "data": {"contact_external_id": contact.to_string()}}))
        .await
        .assert_json(200);
    let ids: BTreeSet<&str> = answer.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(created["external_id"].as_str().unwrap()) && ids.contains(noted["external_id"].as_str().unwrap())
    );
}

#[tokio::test]
async fn actions_say_why_hubspot_refused_them_and_which_fields_are_wrong() {
    let env = setup(Fake::sample(5)).await;
    let refused = env
        .call(
            "/actions/create_task",
            json!({"meta": {"contact_external_id": "101", "agent_external_id": "999"}, "data": {"subject": "x"}}),
        )
        .await
        .assert_json(400);
    assert_eq!(refused["code"], "action_failed");
    assert!(refused["message"].as_str().unwrap().contains("999 is not a valid owner id"), "{refused}");
    let refused = env
        .call("/actions/log_note", json!({"meta": {"contact_external_id": "424242"}, "data": {"body": "x"}}))
        .await
        .assert_json(400);
    assert!(refused["message"].as_str().unwrap().contains("No contact with id"), "{refused}");

    let answer = env
        .call(
            "/actions/create_task",
            json!({"meta": {"contact_external_id": "ann", "agent_external_id": "o-1"}, "data": {"subject": " ", "priority": "asap", "due": "soon"}}),
        )
        .await;
    answer.assert_json(400);
    let fields: BTreeSet<String> = answer.fields().into_iter().collect();
    let expected = ["data.subject", "data.priority", "data.due", "meta.contact_external_id", "meta.agent_external_id"];
    assert_eq!(fields, expected.iter().map(|f| (*f).to_owned()).collect());
    assert!(
        env.hubspot_calls().iter().filter(|r| r.method == "POST" && !r.path.ends_with("search")).count() == 2,
        "nothing sent for field errors"
    );
}

// --- Agents ------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn owners_come_a_page_at_a_time_people_only() {
    let env = setup(Fake::sample(1)).await;
    let mut meta = json!({});
    let mut agents = Vec::new();
    let mut pages = 0;
    loop {
        let page = env.call("/agent_sync", json!({ "meta": meta })).await.assert_json(200);
        pages += 1;
        agents.extend(page["agents"].as_array().unwrap().iter().cloned());
        match page.get("next_offset") {
            Some(offset) => meta = json!({ "offset": offset }),
            None => break,
        }
    }
    assert_eq!(pages, 3, "six live owners (a queue among them), two a page");
    let ids: Vec<&str> = agents.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["501", "502", "503", "505", "507"], "no archived owner, no queue");
    assert_eq!(agents[1], json!({"id": "502", "name": "Paul Seller", "email": "paul.seller@example.com"}));
    // HubSpot's own pages (three owners a call) were followed with its `after` cursor.
    let afters: BTreeSet<String> = env
        .hubspot_calls()
        .iter()
        .filter(|r| r.path.starts_with("/crm/v3/owners"))
        .filter_map(|r| r.query.iter().find(|(n, _)| n == "after").map(|(_, v)| v.clone()))
        .collect();
    assert!(!afters.is_empty(), "HubSpot's cursor was followed");
    // Talkdesk sends the offset back as an integer.
    let second = env.call("/agent_sync", json!({"meta": {"offset": 2}})).await.assert_json(200);
    assert_eq!(second["agents"][0]["id"], "503");
    let bad = env.call("/agent_sync", json!({"meta": {"offset": "not a cursor"}})).await;
    bad.assert_json(400);
    assert_eq!(bad.fields(), ["meta.offset"]);
}

// --- The fake against HubSpot's schemas, and the bridge's requests too ---------------------------------------------

fn schemas() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hubspot/schemas.json");
    serde_json::from_str::<Value>(&std::fs::read_to_string(path).unwrap()).unwrap()["schemas"].clone()
}

fn assert_fits(schemas: &Value, name: &str, document: &Value) {
    let validator = jsonschema::validator_for(&schemas[name]).unwrap_or_else(|e| panic!("{name}: {e}"));
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{document:#}");
}

#[tokio::test]
async fn the_fake_answers_and_the_bridge_asks_in_hubspots_shapes() {
    let env = setup(Fake::sample(30)).await;
    let schemas = schemas();
    let id = contact_with_everything(&env.fake);
    // Drive every endpoint through the bridge, so that the fake answers every kind of call.
    let all = json!(["note", "task", "call", "email", "meeting", "ticket"]);
    env.call(
        "/interaction_update",
        json!({"meta": {"interaction_types": all}, "data": {"contact_emails": ["iris@example.com"]}}),
    )
    .await
    .assert_json(200);
    env.call("/actions/create_task", json!({"meta": {"contact_external_id": id.to_string(), "agent_external_id": "501"}, "data": {"subject": "s", "priority": "high"}})).await.assert_json(201);
    env.call("/actions/log_note", json!({"meta": {"contact_external_id": id.to_string()}, "data": {"body": "b"}}))
        .await
        .assert_json(201);
    env.sync(None).await;
    env.call("/agent_sync", json!({})).await.assert_json(200);
    let mut checked = BTreeSet::new();
    for call in env.hubspot_calls() {
        let (request, _) = match (call.method.as_str(), call.path.as_str()) {
            ("POST", p) if p.ends_with("/search") => ("PublicObjectSearchRequest", ()),
            ("POST", p) if p.ends_with("/batch/read") => ("BatchReadInputSimplePublicObjectId", ()),
            ("POST", _) => ("SimplePublicObjectInputForCreate", ()),
            _ => continue,
        };
        assert_fits(&schemas, request, &call.json().expect("a JSON body"));
        checked.insert(request);
    }
    assert_eq!(checked.len(), 3, "{checked:?}");

    // The fake's answers, called directly.
    let http = reqwest::Client::new();
    let token = env.fake.issue_token(&ALL_SCOPES);
    let base = env.server.url();
    let answer = |request: reqwest::RequestBuilder| async {
        let response = request.bearer_auth(&token).send().await.unwrap();
        (response.status().as_u16(), response.json::<Value>().await.unwrap())
    };
    let search = json!({"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "0"}]}],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}], "properties": ["email", "phone"], "limit": 5});
    let (status, body) = answer(http.post(format!("{base}/crm/v3/objects/contacts/search")).json(&search)).await;
    assert_eq!(status, 200);
    assert!(body["results"][0]["properties"]["phone"].is_null(), "a property without a value is null");
    assert_fits(&schemas, "CollectionResponseWithTotalSimplePublicObjectForwardPaging", &body);
    assert!(body["paging"]["next"]["after"].is_string());
    for kind in ["notes", "tasks", "calls", "emails", "meetings", "tickets"] {
        let (status, body) = answer(http.get(format!("{base}/crm/v4/objects/contacts/{id}/associations/{kind}"))).await;
        assert_eq!(status, 200);
        assert_fits(&schemas, "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging", &body);
        let ids: Vec<Value> =
            body["results"].as_array().unwrap().iter().map(|a| json!({"id": a["toObjectId"]})).collect();
        assert!(!ids.is_empty(), "{kind}");
        let read = json!({"inputs": ids, "properties": ["hs_timestamp"], "propertiesWithHistory": []});
        let (status, body) = answer(http.post(format!("{base}/crm/v3/objects/{kind}/batch/read")).json(&read)).await;
        assert_eq!(status, 200);
        assert_fits(&schemas, "BatchResponseSimplePublicObject", &body);
    }
    // A contact with its associations: each type's ids, a page of 100 with a cursor past it.
    let many: Vec<u64> =
        (0..101).map(|_| env.fake.add_record("notes", &[("hs_note_body", "n")], START, &[id])).collect();
    let (status, body) = answer(
        http.get(format!("{base}/crm/v3/objects/contacts/{id}?properties=email&associations=notes,tickets,deals")),
    )
    .await;
    assert_eq!(status, 200);
    assert_fits(&schemas, "SimplePublicObjectWithAssociations", &body);
    assert_eq!(body["properties"]["email"], "iris@example.com");
    assert_eq!(body["associations"]["notes"]["results"].as_array().unwrap().len(), 100);
    let first_page: Vec<&str> = body["associations"]["notes"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        first_page.contains(&many[0].to_string().as_str()) && !first_page.contains(&many[100].to_string().as_str())
    );
    assert_eq!(body["associations"]["notes"]["paging"]["next"]["after"], "100");
    assert_eq!(body["associations"]["tickets"]["results"].as_array().unwrap().len(), 1);
    assert!(body["associations"]["tickets"].get("paging").is_none() && body["associations"].get("deals").is_none());
    let (status, body) = answer(http.get(format!("{base}/crm/v3/objects/contacts/{id}?archived=true"))).await;
    assert_eq!((status, body["category"].as_str()), (404, Some("OBJECT_NOT_FOUND")));
    assert_fits(&schemas, "Error", &body);
    let read = json!({"inputs": [{"id": many[0].to_string()}], "properties": ["hs_note_body"]});
    let (_, body) =
        answer(http.post(format!("{base}/crm/v3/objects/notes/batch/read?archived=true")).json(&read)).await;
    assert_eq!(body["results"], json!([]), "no archived notes");
    let inputs: Vec<Value> = (0..101).map(|n| json!({"id": n.to_string()})).collect();
    let (status, body) =
        answer(http.post(format!("{base}/crm/v3/objects/notes/batch/read")).json(&json!({"inputs": inputs}))).await;
    assert_eq!(status, 400, "at most 100 inputs: {body}");
    // `IN`, with lowercase values as HubSpot asks.
    let by_email = |values: Value| json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN", "values": values}]}], "limit": 10});
    let (_, body) = answer(
        http.post(format!("{base}/crm/v3/objects/contacts/search"))
            .json(&by_email(json!(["nobody@example.com", "iris@example.com"]))),
    )
    .await;
    assert_eq!(body["results"][0]["id"], id.to_string());
    let (_, body) = answer(
        http.post(format!("{base}/crm/v3/objects/contacts/search")).json(&by_email(json!(["IRIS@example.com"]))),
    )
    .await;
    assert_eq!(body["total"], 0);
    let (status, body) = answer(http.get(format!("{base}/crm/v3/owners/?limit=3"))).await;
    assert_eq!(status, 200);
    assert_fits(&schemas, "CollectionResponsePublicOwnerForwardPaging", &body);
    let (status, body) = answer(http.get(format!("{base}/oauth/v1/access-tokens/{token}"))).await;
    assert_eq!(status, 200);
    assert_fits(&schemas, "AccessTokenInfoResponse", &body);
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let (status, body) = answer(http.post(format!("{base}/oauth/v1/token")).form(&form)).await;
    assert_eq!(status, 200);
    assert_fits(&schemas, "TokenResponseIF", &body);
    let create =
        json!({"properties": {"hs_note_body": "x", "hs_timestamp": "2024-06-03T12:00:00.000Z"}, "associations": []});
    let (status, body) = answer(http.post(format!("{base}/crm/v3/objects/notes")).json(&create)).await;
    assert_eq!(status, 201);
    assert_fits(&schemas, "SimplePublicObject", &body);
    // Errors: a validation error, a missing scope, an expired token, the search limit.
    let bad = json!({"properties": {"hs_note_body": "x"}});
    for (status_wanted, request) in [
        (400, http.post(format!("{base}/crm/v3/objects/notes")).json(&bad)),
        (
            400,
            http.post(format!("{base}/crm/v3/objects/contacts/search")).json(&json!({"after": "10000", "limit": 10})),
        ),
    ] {
        let (status, body) = answer(request).await;
        assert_eq!(status, status_wanted, "{body}");
        assert_fits(&schemas, "Error", &body);
    }
    let narrow = env.fake.issue_token(&["tickets"]);
    let response = http.get(format!("{base}/crm/v3/owners/")).bearer_auth(narrow).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_fits(&schemas, "Error", &response.json().await.unwrap());
    let response = http.get(format!("{base}/crm/v3/owners/")).bearer_auth("nope").send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_fits(&schemas, "Error", &response.json().await.unwrap());
}

// --- Configuration and the demo -----------------------------------------------------------------------------------

#[test]
fn the_configuration_is_oauth2_with_six_interaction_types_and_two_actions() {
    let documents = example::configuration("https://hubspot-bridge.example.com").unwrap().to_json();
    let integration = &documents["integration"];
    assert_eq!(integration["authentication_type"], "oauth2");
    let fields = integration["authentication_configuration"].as_array().expect("the token's key is declared");
    assert_eq!((fields.len(), &fields[0]["access_token"]["type"]), (1, &json!("oauth")));
    assert_eq!(integration["interaction_types"], json!(["note", "task", "call", "email", "meeting", "ticket"]));
    common::schemas::assert_valid("integration", integration);
    let actions: Vec<&str> =
        documents["actions"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create_task", "log_note"]);
    for action in documents["actions"].as_array().unwrap() {
        common::schemas::assert_valid("action", action);
    }
}

#[tokio::test]
async fn every_command_the_demo_prints_answers_as_it_says() {
    let any = "127.0.0.1:0".parse().unwrap();
    let tokens = example::demo::Tokens { lifetime: Duration::from_secs(600), uses: None };
    let demo = example::demo::start(any, any, tokens, 100).await.expect("the demo starts");
    let http = reqwest::Client::new();
    assert!(demo.commands.len() >= 14);
    for command in &demo.commands {
        let request = match &command.body {
            example::demo::Body::Json(body) => http.post(&command.url).json(body),
            example::demo::Body::Form(fields) => http.post(&command.url).form(fields),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, command.status, "{}\n{}\n{text}", command.title, command.curl());
        assert!(command.curl().starts_with("curl "), "{}", command.curl());
    }
}

// --- Talkdesk's side of OAuth: the simulator and the conformance tool --------------------------------------------

/// `bridge-conformance` as the demo prints it, `--url`, `--auth` and the OAuth flags only, against the demo whose
/// tokens die after 15 HubSpot calls (contacts 20 a page): every check runs and passes (the actions are listed as
/// not run), a token expires in the middle of the initial contact sync and is refreshed. The printed actions are
/// declared ones, with declared inputs.
#[tokio::test]
async fn the_conformance_command_passes_against_the_demo_with_tokens_expiring_mid_sync() {
    use bridge::testing::Outcome;
    use bridge_conformance::args::{parse_args, Command};
    use bridge_conformance::{documents::Documents, plan::Plan};

    let any = "127.0.0.1:0".parse().unwrap();
    let tokens = example::demo::Tokens { lifetime: Duration::from_secs(600), uses: Some(15) };
    let demo = example::demo::start(any, any, tokens, 20).await.expect("the demo starts");
    let mut args = demo.conformance.clone();
    let flags: Vec<&str> = args.iter().filter(|a| a.starts_with("--")).map(String::as_str).collect();
    assert_eq!(
        flags,
        ["--url", "--auth", "--oauth-token-url", "--oauth-client-id", "--oauth-client-secret", "--oauth-refresh-token"]
    );
    args.push("--quiet".into());
    let Ok(Command::Run(options)) = parse_args(args.clone()) else { panic!("the printed arguments parse") };
    let conformance = bridge_conformance::run(&options).await.expect("no usage error");
    let text = bridge_conformance::output::render(&conformance, options.format);
    assert!(conformance.passed(), "{text}");
    let skipped: Vec<(&str, Option<&str>)> = conformance
        .lines
        .iter()
        .filter(|l| l.outcome == Outcome::Skip)
        .map(|l| (l.check.as_str(), l.subject.as_deref()))
        .collect();
    assert_eq!(skipped, [("ActionNotRun", Some("create_task")), ("ActionNotRun", Some("log_note"))], "{text}");
    let refresh = conformance.find("OAuthRefresh").next().expect("the OAuth check ran");
    assert_eq!(refresh.outcome, Outcome::Pass, "{text}");
    let summary = refresh.summary.as_deref().unwrap_or_default();
    assert!(summary.contains("after initial contact sync page"), "a token expired mid-sync: {summary}");
    // All six interaction types came from GET /configuration.
    assert!(text.contains("PASS  types are among the requested interaction_types"), "{text}");

    // The printed actions are declared, with inputs the documents declare (a whole second run would double this
    // test's time; the actions themselves are checked with the simulator below and by the demo's curl commands).
    args.extend(demo.conformance_actions.iter().cloned());
    let Ok(Command::Run(options)) = parse_args(args) else { panic!("the printed arguments parse") };
    let documents = Documents::fetch(&options.url, options.timeout).await.expect("GET /configuration");
    let probes = Plan::new(&documents, &options.url).probes(&options.actions).expect("the actions are declared");
    let names: Vec<&str> = probes.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["create_task", "log_note"]);
}

/// A bridge that answers `401` to a HubSpot `429`: the real bridge, made to give up on rate limits at once, behind
/// a front that turns its "rate-limiting" `502` into a `401` (as a bridge mapping every HubSpot 4xx to `401`
/// would). Talkdesk refreshes the token for nothing, and the request fails again.
async fn broken_front(bridge_url: String) -> (String, tokio::sync::oneshot::Sender<()>) {
    use warp::Filter;
    let http = reqwest::Client::new();
    let routes = warp::method().and(warp::path::full()).and(warp::body::bytes()).then(
        move |method: warp::http::Method, path: warp::path::FullPath, body: warp::hyper::body::Bytes| {
            let (http, url) = (http.clone(), format!("{bridge_url}{}", path.as_str()));
            async move {
                let request = http.request(method, url).header("content-type", "application/json");
                let answer = request.body(body.to_vec()).send().await.unwrap();
                let status = answer.status().as_u16();
                let text = answer.text().await.unwrap();
                let (status, text) = if status == 502 && text.contains("rate-limiting") {
                    (401, r#"{"code": "credentials_rejected", "message": "HubSpot said no"}"#.to_owned())
                } else {
                    (status, text)
                };
                warp::http::Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(text)
                    .unwrap()
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = warp::serve(routes).incoming(listener).graceful(async {
        let _ = stopped.await;
    });
    tokio::spawn(server.run());
    (format!("http://{addr}"), stop)
}

#[tokio::test]
async fn the_simulator_catches_a_bridge_that_answers_401_to_a_429() {
    use bridge::testing::{OAuth, Simulator, TestClient};

    let simulate = |url: String, server: &RunningFake, token: String| {
        let oauth = OAuth::new(format!("{}/oauth/v1/token", server.url()), CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN);
        Simulator::new(TestClient::http(url), json!({ "access_token": token }))
            .interaction_types(["note", "task", "ticket"])
            .oauth(oauth)
    };

    // The real bridge waits the two 429s out: nothing about OAuth fails.
    let good = setup(Fake::sample(40)).await;
    good.fake.inject(rate_limit("SECONDLY"));
    good.fake.inject(rate_limit("SECONDLY"));
    let token = good.fake.issue_token(&ALL_SCOPES);
    let report = simulate(good.bridge.url(), &good.server, token).run().await;
    report.assert_passes();

    // The broken one answers 401; the conformance tool refreshes, repeats, gets 401 again: caught.
    let broken = setup_with(Fake::sample(40), |c| c.max_retry_after = Duration::from_millis(1)).await;
    let (front, _stop) = broken_front(broken.bridge.url()).await;
    broken.fake.inject(rate_limit("SECONDLY"));
    broken.fake.inject(rate_limit("SECONDLY"));
    let token = broken.fake.issue_token(&ALL_SCOPES);
    // The front serves the bridge's GET /configuration too: the command needs the URL, the token and OAuth only.
    let args = [
        "--url",
        &front,
        "--auth",
        &json!({ "access_token": token }).to_string(),
        "--oauth-token-url",
        &format!("{}/oauth/v1/token", broken.server.url()),
        "--oauth-client-id",
        CLIENT_ID,
        "--oauth-client-secret",
        CLIENT_SECRET,
        "--oauth-refresh-token",
        REFRESH_TOKEN,
        "--quiet",
    ];
    let Ok(bridge_conformance::args::Command::Run(options)) =
        bridge_conformance::args::parse_args(args.map(str::to_owned))
    else {
        panic!("the arguments parse")
    };
    let conformance = bridge_conformance::run(&options).await.expect("no usage error");
    let report = |check: &str, reason: &str| {
        let text = bridge_conformance::output::render(&conformance, options.format);
        let caught = conformance.find(check).any(|l| l.reasons.iter().any(|r| r.contains(reason)));
        assert!(caught, "{check} fails with {reason:?}:\n{text}");
    };
    report("OAuthOnlyRejected", "answered 401 again right after the token was refreshed");
    report("OAuthRefresh", "initial contact sync page 1");
}

#[tokio::test]
async fn the_token_never_appears_in_a_log_line_or_an_answer() {
    // Global (shared by the whole test binary), so that every test that runs from now on logs here too.
    let logs = common::logs::Captured::install();
    let env = setup_with(Fake::sample(5), |c| c.timeout = Duration::from_millis(300)).await;
    let token = env.token.lock().unwrap().clone();
    let mut answers = String::new();
    for fault in [None, Some(Fault::ServerError), Some(Fault::Slow(Duration::from_secs(1)))] {
        for (path, body) in every_endpoint() {
            if let Some(fault) = fault.clone() {
                env.fake.inject(fault);
            }
            answers.push_str(&env.call(path, body).await.text);
        }
    }
    let logs = logs.text();
    assert!(logs.contains("/oauth/v1/access-tokens/<redacted>"), "the introspection was logged, redacted");
    for (what, text) in [("a log line", &logs), ("an answer", &answers)] {
        assert!(!text.contains(&token), "the token appears in {what}");
        assert!(!text.contains("Bearer "), "an Authorization header appears in {what}");
    }
}
