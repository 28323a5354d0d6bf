//! The Zendesk example (`examples/zendesk`), driven over real HTTP exactly as Talkdesk would, against its fake
//! Zendesk on 127.0.0.1: every endpoint, the contact-sync guarantees (every page, ascending order, checkpoints that
//! never move backwards, nothing lost or repeated between an initial and an incremental sync), Zendesk's ways of
//! failing, and the account label that must never send a request anywhere else.

use crate::zendesk_example as example;

use crate::common;

use bridge::http::BaseUrl;
use bridge::RunningBridge;
use common::logs::Captured;
use common::{contact_ids, post, start, Answer};
use example::fake::{
    Call, Fake, Fault, Role, RunningFake, Ticket, User, ADMIN_EMAIL, ADMIN_ID, AGENT_EMAIL, API_TOKEN, FIRST_END_USER,
};
use example::Config;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

struct Setup {
    fake: Fake,
    server: RunningFake,
    bridge: RunningBridge,
}

/// Small limits, so that failures show within the test's time.
pub(crate) fn test_config() -> Config {
    Config {
        base_url: None,
        timeout: Duration::from_secs(2),
        max_retries: 2,
        max_retry_after: Duration::from_secs(3),
        call_budget: Duration::from_secs(5),
        deadline: Duration::from_secs(8),
        contact_page_size: 40,
        agent_page_size: 2,
        ticket_limit: 25,
    }
}

/// The fake on a free port, and the bridge on another, pointed at it as an operator would (`ZENDESK_BASE_URL`).
async fn setup_with(fake: Fake, tweak: impl FnOnce(&mut Config)) -> Setup {
    let server = fake.start().await.expect("the fake Zendesk starts");
    let mut config = test_config();
    config.base_url = Some(BaseUrl::parse(&server.url()).unwrap());
    tweak(&mut config);
    let bridge = start(example::bridge(config).expect("the bridge builds")).await;
    Setup { fake, server, bridge }
}

async fn setup(fake: Fake) -> Setup {
    setup_with(fake, |_| {}).await
}

fn auth_as(email: &str, token: &str) -> Value {
    json!({"account": "acme", "email": email, "token": token})
}

fn auth() -> Value {
    auth_as(ADMIN_EMAIL, API_TOKEN)
}

fn interaction_ids(answer: &Value) -> BTreeSet<String> {
    answer.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

/// The ids, as Talkdesk sees them, of `users` in the export's order: ascending `(updated_at, id)`.
fn in_export_order(mut users: Vec<User>) -> Vec<String> {
    users.sort_by_key(|u| (u.updated_at, u.id));
    users.iter().map(|u| u.id.to_string()).collect()
}

fn live_end_users(fake: &Fake) -> Vec<User> {
    fake.users().into_iter().filter(|u| u.role == Role::EndUser && u.active && !u.suspended).collect()
}

/// A whole contact synchronization, page after page as Talkdesk does it.
struct Synced {
    ids: Vec<String>,
    checkpoint: String,
    pages: Vec<Value>,
}

impl Setup {
    fn fake_url(&self) -> String {
        self.server.url()
    }

    async fn call(&self, path: &str, body: Value) -> Answer {
        post(&self.bridge, path, &body.to_string()).await
    }

    async fn sync_page(&self, meta: Value) -> Value {
        self.sync_page_as(&auth(), meta).await
    }

    async fn sync_page_as(&self, credentials: &Value, meta: Value) -> Value {
        self.call("/contact_sync", json!({"auth": credentials, "meta": meta})).await.assert_json(200)
    }

    /// Every page from `checkpoint` (an initial sync when `None`), checking each: at most a page of contacts, a
    /// checkpoint on every page that never moves backwards.
    async fn sync(&self, checkpoint: Option<&str>, page_size: usize) -> Synced {
        self.sync_as(&auth(), checkpoint, page_size).await
    }

    /// [`Setup::sync`] with `credentials`.
    async fn sync_as(&self, credentials: &Value, checkpoint: Option<&str>, page_size: usize) -> Synced {
        let mut meta = json!({});
        if let Some(checkpoint) = checkpoint {
            meta["synchronization_checkpoint"] = json!(checkpoint);
        }
        let mut synced = Synced { ids: Vec::new(), checkpoint: checkpoint.unwrap_or("").to_owned(), pages: Vec::new() };
        loop {
            let page = self.sync_page_as(credentials, meta.clone()).await;
            let next_checkpoint = page["synchronization_checkpoint"].as_str().expect("a checkpoint on every page");
            // `YYYY-MM-DD HH:MM:SS UTC` sorts as text as it does in time.
            assert!(
                next_checkpoint >= synced.checkpoint.as_str(),
                "moved back: {} -> {next_checkpoint}",
                synced.checkpoint
            );
            synced.checkpoint = next_checkpoint.to_owned();
            assert!(contact_ids(&page).len() <= page_size, "a page larger than asked for");
            synced.ids.extend(contact_ids(&page));
            let next = page.get("next_offset").cloned();
            let context = page["context"].clone();
            synced.pages.push(page);
            match next {
                None => return synced,
                Some(offset) => {
                    meta["offset"] = offset;
                    meta["context"] = context;
                }
            }
        }
    }

    async fn tickets(&self, data: Value) -> Value {
        let body = json!({"auth": auth(), "meta": {"interaction_types": ["ticket"]}, "data": data});
        self.call("/interaction_update", body).await.assert_json(200)
    }

    fn zendesk_calls(&self) -> Vec<Call> {
        self.fake.requests()
    }
}

// --- Auth validation ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn auth_validation_accepts_an_admin_or_an_agent_and_refuses_what_zendesk_does_not_recognise() {
    let env = setup(Fake::sample(3)).await;
    let ok = env.call("/auth_validation", json!({ "auth": auth() })).await;
    assert_eq!(ok.status, 204, "{}", ok.text);

    // Zendesk answers bad credentials on /users/me with 200 and its anonymous user: the bridge still says 401.
    for (email, token) in [(ADMIN_EMAIL, "wrong-token-8d2f"), ("nobody@example.com", API_TOKEN)] {
        let refused = env.call("/auth_validation", json!({ "auth": auth_as(email, token) })).await;
        assert_eq!(refused.assert_json(401)["code"], "credentials_rejected");
        assert!(!refused.text.contains("wrong-token-8d2f"), "{}", refused.text);
    }
    assert!(env.zendesk_calls().iter().all(|call| call.path == "/api/v2/users/me"));

    // An agent's credentials, as Talkdesk's form asks for ("Agent Email"), are valid.
    let agent = env.call("/auth_validation", json!({ "auth": auth_as(AGENT_EMAIL, API_TOKEN) })).await;
    assert_eq!(agent.status, 204, "{}", agent.text);

    // Recognised, but someone the integration cannot work as: refused at once, saying why.
    let light = env.fake.add_user(User {
        email: Some("lee.light@example.com".into()),
        role: Role::Agent,
        light_agent: true,
        ..User::end_user("Lee Light")
    });
    assert!(env.fake.user(light).is_some());
    for (email, why) in [
        ("customer1@example.com", "belong to a Zendesk end-user, and the integration needs an agent's or an admin's"),
        (
            "lee.light@example.com",
            "belong to a Zendesk light agent, and the integration needs an agent's or an admin's",
        ),
    ] {
        let refused = env.call("/auth_validation", json!({ "auth": auth_as(email, API_TOKEN) })).await;
        let body = refused.assert_json(401);
        assert!(body["message"].as_str().unwrap().contains(why), "{body}");
    }
    assert!(env.zendesk_calls().iter().all(|call| call.path == "/api/v2/users/me"), "one call each, nothing else");
}

#[tokio::test]
async fn an_outage_or_an_unknown_account_is_never_a_401() {
    let env = setup(Fake::new()).await;
    let validate = || env.call("/auth_validation", json!({ "auth": auth() }));

    env.fake.inject(example::fake::unknown_account());
    let unknown = validate().await;
    assert_eq!(unknown.assert_json(400)["fields"][0]["field"], "auth.account", "{}", unknown.text);

    env.fake.inject(Fault::ServerError);
    assert_eq!(validate().await.assert_json(502)["code"], "upstream_failure");

    for _ in 0..3 {
        env.fake.inject(Fault::Unavailable); // every attempt: the first and both retries
    }
    let down = validate().await.assert_json(502);
    assert!(down["message"].as_str().unwrap().contains("unavailable"), "{down}");

    assert_eq!(validate().await.status, 204, "and once Zendesk is back, it works");
}

// --- Contact synchronization -------------------------------------------------------------------------------------

#[tokio::test]
async fn an_initial_sync_pages_through_every_user_in_ascending_order() {
    let env = setup(Fake::sample(260)).await;
    let synced = env.sync(None, 40).await;

    // Every live end user once, in the export's order; no agent, admin or deleted user.
    let expected = in_export_order(live_end_users(&env.fake));
    assert!(expected.len() >= 250, "{}", expected.len());
    assert_eq!(synced.ids, expected);
    assert!(synced.pages.len() >= 7, "{} pages", synced.pages.len());
    let unique: HashSet<&String> = synced.ids.iter().collect();
    assert_eq!(unique.len(), synced.ids.len());
    assert!(!synced.ids.contains(&"1049".to_owned()), "a deleted user is not a contact");
    assert!(!synced.ids.contains(&ADMIN_ID.to_string()));

    // The last page's checkpoint: a second after the newest change, since everything up to it was sent.
    let newest = env.fake.users().iter().map(|u| u.updated_at).max().unwrap();
    let expected_checkpoint = bridge::TalkdeskDate::from_unix_timestamp(newest + 1).unwrap().to_string();
    assert_eq!(synced.checkpoint, expected_checkpoint);

    // One contact in full: name, every email and phone (primary first), photo, company, agent-interface URL.
    let contact = synced.pages.iter().flat_map(|p| p["contacts"].as_array().unwrap()).find(|c| c["id"] == "1010");
    let base = env.fake_url();
    assert_eq!(
        contact.unwrap(),
        &json!({
            "id": "1010", "name": "Raj Doe", "company": "Initech",
            "emails": ["customer10@example.com", "customer10@home.example.org"],
            "phones": ["+15550100010"],
            "photo_url": "https://example.com/photos/1010.png",
            "url": format!("{base}/agent/users/1010"),
        })
    );
    // A secondary phone number is a phone of the contact too, even without a primary one.
    let contact = synced.pages.iter().flat_map(|p| p["contacts"].as_array().unwrap()).find(|c| c["id"] == "1060");
    assert_eq!(contact.unwrap()["phones"], json!(["+15550200060"]));

    // Who the credentials are (an admin), then the pages asked Zendesk's incremental export: from the beginning,
    // then cursor after cursor.
    let calls = env.zendesk_calls();
    assert_eq!(calls.len(), synced.pages.len() + 1);
    assert_eq!(calls[0].path, "/api/v2/users/me");
    let export = &calls[1..];
    assert!(export.iter().all(|c| c.path == "/api/v2/incremental/users/cursor"));
    assert_eq!(export[0].param("start_time"), Some("0"));
    assert_eq!(export[0].param("include"), Some("identities,organizations"));
    assert!(export[1..].iter().all(|c| c.param("cursor").is_some() && c.param("start_time").is_none()));
}

/// Five users change in the same second (a tie that a page of 3 splits), one more later, one is created, then
/// another changes, an agent changes (not a contact) and a user is deleted (no longer a contact). The tie's ids, and
/// the new user's.
fn change_some_users(fake: &Fake) -> (Vec<u64>, u64) {
    let tie: Vec<u64> = [1013, 1002, 1057, 1021, 1040].to_vec();
    fake.update_users(&tie, |u| u.name.push_str(" (changed)"));
    fake.update_users(&[1007], |u| u.phone = Some("+15559999999".into()));
    fake.update_users(&[2], |u| u.name = "Ben Renamed".into());
    let created =
        fake.add_user(User { email: Some("new.customer@example.com".into()), ..User::end_user("New Customer") });
    fake.advance(1);
    fake.update_users(&[1030], |u| u.organization_id = None);
    fake.update_users(&[1031], |u| u.active = false);
    (tie, created)
}

#[tokio::test]
async fn an_incremental_sync_returns_exactly_the_users_changed_since() {
    let env = setup_with(Fake::sample(60), |c| c.contact_page_size = 3).await;
    let initial = env.sync(None, 3).await;
    assert_eq!(initial.ids.len(), live_end_users(&env.fake).len());

    // Nothing changed: an empty page that keeps the checkpoint.
    let unchanged = env.sync(Some(&initial.checkpoint), 3).await;
    assert_eq!(unchanged.ids, Vec::<String>::new());
    assert_eq!(unchanged.checkpoint, initial.checkpoint);

    let (tie, created) = change_some_users(&env.fake);
    env.fake.advance(61); // Zendesk exports a change once it is a minute old

    let incremental = env.sync(Some(&initial.checkpoint), 3).await;
    let mut expected: Vec<String> = {
        let mut tied: Vec<u64> = tie.clone();
        tied.sort_unstable(); // same second: by id
        tied.iter().map(u64::to_string).collect()
    };
    expected.extend(["1007".to_owned(), created.to_string(), "1030".to_owned()]);
    assert_eq!(incremental.ids, expected);
    assert!(incremental.pages.len() >= 3, "the tie was split across pages");
    let renamed = incremental.pages[0]["contacts"][0].clone();
    assert_eq!(renamed["name"], "Li Doe (changed)");
    assert!(incremental.checkpoint > initial.checkpoint);

    // And the next incremental sync finds nothing again.
    let after = env.sync(Some(&incremental.checkpoint), 3).await;
    assert_eq!(after.ids, Vec::<String>::new());
}

#[tokio::test]
async fn users_changed_during_a_sync_or_in_its_last_minute_are_not_lost() {
    let env = setup_with(Fake::sample(100), |c| c.contact_page_size = 10).await;
    // Three pages of the initial sync…
    let mut seen: Vec<String> = Vec::new();
    let mut meta = json!({});
    for _ in 0..3 {
        let page = env.sync_page(meta.clone()).await;
        seen.extend(contact_ids(&page));
        meta = json!({"offset": page["next_offset"], "context": page["context"]});
    }
    // …then a user already sent and one not yet sent change, and the sync goes on.
    let (sent, unsent) = (seen[2].parse::<u64>().unwrap(), FIRST_END_USER + 95);
    env.fake.update_users(&[sent, unsent], |u| u.name.push_str(" (changed)"));
    env.fake.advance(61);
    let mut checkpoint;
    let mut last_page;
    loop {
        let page = env.sync_page(meta.clone()).await;
        seen.extend(contact_ids(&page));
        checkpoint = page["synchronization_checkpoint"].as_str().unwrap().to_owned();
        last_page = page.clone();
        match page.get("next_offset") {
            Some(next) => meta = json!({"offset": next, "context": page["context"]}),
            None => break,
        }
    }
    // Both come (again) at the end of the stream, with their new names; nobody is missing.
    let tail = contact_ids(&last_page);
    assert_eq!(&tail[tail.len() - 2..], [sent.to_string(), unsent.to_string()]);
    let everyone: BTreeSet<String> = live_end_users(&env.fake).iter().map(|u| u.id.to_string()).collect();
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), everyone);

    // A change less than a minute old is not exported yet, and the checkpoint does not pass it…
    env.fake.update_users(&[1050], |u| u.name.push_str(" (changed)"));
    env.fake.advance(30);
    let early = env.sync(Some(&checkpoint), 10).await;
    assert_eq!(early.ids, Vec::<String>::new());
    // …so the next sync finds it once it is.
    env.fake.advance(31);
    let later = env.sync(Some(&early.checkpoint), 10).await;
    assert_eq!(later.ids, ["1050"]);
}

#[tokio::test]
async fn a_sync_restarted_from_a_middle_page_checkpoint_loses_nothing() {
    // Users change two by two in the same second: with pages of 3, most pages end in the middle of a tie.
    let env = setup_with(Fake::sample(30), |c| c.contact_page_size = 3).await;
    for credentials in [auth(), agent()] {
        let initial = env.sync_as(&credentials, None, 3).await;
        assert!(initial.pages.len() > 5, "{} pages", initial.pages.len());
        let everyone: BTreeSet<String> = initial.ids.iter().cloned().collect();
        for (n, page) in initial.pages.iter().enumerate().take(initial.pages.len() - 1) {
            // Talkdesk stored this page's checkpoint, and the sync stopped there: restarting from it loses nobody.
            let sent: BTreeSet<String> = initial.pages[..=n].iter().flat_map(contact_ids).collect();
            let checkpoint = page["synchronization_checkpoint"].as_str().unwrap();
            let restarted = env.sync_as(&credentials, Some(checkpoint), 3).await;
            let union: BTreeSet<String> = sent.union(&restarted.ids.iter().cloned().collect()).cloned().collect();
            assert_eq!(union, everyone, "restarting after page {n} as {}", credentials["email"]);
        }
    }
}

#[tokio::test]
async fn contact_sync_refuses_what_it_cannot_use() {
    let env = setup(Fake::sample(5)).await;
    let bad =
        env.call("/contact_sync", json!({"auth": auth(), "meta": {"synchronization_checkpoint": "yesterday"}})).await;
    bad.assert_json(400);
    assert_eq!(bad.fields(), ["meta.synchronization_checkpoint"]);
    assert!(env.zendesk_calls().is_empty(), "nothing was asked of Zendesk");

    // An end user may not list users: refused, saying why, before asking for any.
    let calls = env.zendesk_calls().len();
    let end_user = env.call("/contact_sync", json!({ "auth": auth_as("customer1@example.com", API_TOKEN) })).await;
    let refused = end_user.assert_json(401);
    assert!(refused["message"].as_str().unwrap().contains("needs an agent's or an admin's"), "{refused}");
    assert_eq!(env.zendesk_calls()[calls..].iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), ["/api/v2/users/me"]);

    // An offset of the user list this bridge did not answer.
    for offset in ["users:", "users:0:x", "users:0:1:", "users:a:1:c"] {
        let body = json!({"auth": auth_as(AGENT_EMAIL, API_TOKEN), "meta": {"offset": offset}});
        let bad = env.call("/contact_sync", body).await;
        bad.assert_json(400);
        assert_eq!(bad.fields(), ["meta.offset"], "{offset}");
    }
}

// --- Contact synchronization with an agent's credentials ------------------------------------------------------

fn agent() -> Value {
    auth_as(AGENT_EMAIL, API_TOKEN)
}

/// The ids of `users` in the user list's order: most recently updated first (ties: highest id first).
fn newest_first(mut users: Vec<User>) -> Vec<String> {
    users.sort_by_key(|u| std::cmp::Reverse((u.updated_at, u.id)));
    users.iter().map(|u| u.id.to_string()).collect()
}

fn as_set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

#[tokio::test]
async fn an_agents_initial_sync_reads_the_user_list_and_never_the_export() {
    let env = setup(Fake::sample(260)).await;
    let synced = env.sync_as(&agent(), None, 40).await;

    // Every live end user once, newest first; no agent, admin or deleted user.
    assert_eq!(synced.ids, newest_first(live_end_users(&env.fake)));
    assert_eq!(as_set(&synced.ids).len(), synced.ids.len(), "no id twice");
    assert!(synced.pages.len() >= 7, "{} pages", synced.pages.len());
    // Middle pages keep the checkpoint the sync started from (a restart must read the older users still to come);
    // the last one answers a second after the newest change.
    for page in &synced.pages[..synced.pages.len() - 1] {
        assert_eq!(page["synchronization_checkpoint"], "1970-01-01 00:00:00 UTC");
        assert!(page["next_offset"].as_str().unwrap().starts_with("users:"), "{page}");
    }
    let newest = live_end_users(&env.fake).iter().map(|u| u.updated_at).max().unwrap();
    assert_eq!(synced.checkpoint, bridge::TalkdeskDate::from_unix_timestamp(newest + 1).unwrap().to_string());
    // The same contacts as an admin's sync: identities and organizations are sideloaded here too.
    let admin = env.sync(None, 40).await;
    let contacts = |synced: &Synced| {
        let mut all: Vec<Value> = synced.pages.iter().flat_map(|p| p["contacts"].as_array().unwrap().clone()).collect();
        all.sort_by_key(|c| c["id"].as_str().unwrap().to_owned());
        all
    };
    assert_eq!(contacts(&synced), contacts(&admin));

    // Who the credentials are, then the user list, cursor after cursor: never the export, which Zendesk refuses
    // to agents.
    let calls: Vec<Call> = env.zendesk_calls().into_iter().take(synced.pages.len() + 1).collect();
    assert_eq!(calls[0].path, "/api/v2/users/me");
    for (n, call) in calls[1..].iter().enumerate() {
        assert_eq!(call.path, "/api/v2/users", "{call:?}");
        assert_eq!(
            (call.param("role"), call.param("sort"), call.param("page[size]"), call.param("include")),
            (Some("end-user"), Some("-updated_at"), Some("40"), Some("identities,organizations"))
        );
        assert_eq!(call.param("page[after]").is_some(), n > 0, "{call:?}");
    }
    let export = reqwest::Client::new()
        .get(format!("{}/api/v2/incremental/users/cursor.json?start_time=0", env.fake_url()))
        .basic_auth(format!("{AGENT_EMAIL}/token"), Some(API_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 403, "the fake refuses the export to agents");
}

#[tokio::test]
async fn an_agents_incremental_sync_returns_what_changed_since() {
    let env = setup_with(Fake::sample(60), |c| c.contact_page_size = 3).await;
    let initial = env.sync_as(&agent(), None, 3).await;
    assert_eq!(as_set(&initial.ids), as_set(&newest_first(live_end_users(&env.fake))));

    // Nothing changed: an empty page that keeps the checkpoint, after one page of the list.
    let calls = env.zendesk_calls().len();
    let unchanged = env.sync_as(&agent(), Some(&initial.checkpoint), 3).await;
    assert_eq!((unchanged.ids.len(), unchanged.pages.len()), (0, 1));
    assert_eq!(unchanged.checkpoint, initial.checkpoint);
    assert_eq!(env.zendesk_calls().len() - calls, 2, "who the credentials are, and one page of the list");

    // The same changes as for an admin (deleted users are no longer listed).
    let (tie, created) = change_some_users(&env.fake);

    let incremental = env.sync_as(&agent(), Some(&initial.checkpoint), 3).await;
    let mut expected = vec!["1030".to_owned(), created.to_string(), "1007".to_owned()];
    let mut tied: Vec<u64> = tie.clone();
    tied.sort_unstable_by(|a, b| b.cmp(a)); // same second: highest id first
    expected.extend(tied.iter().map(u64::to_string));
    assert_eq!(incremental.ids, expected);
    assert!(incremental.pages.len() >= 3, "the changes span pages");
    assert!(incremental.checkpoint > initial.checkpoint);
    let renamed = incremental.pages.iter().flat_map(|p| p["contacts"].as_array().unwrap()).find(|c| c["id"] == "1002");
    assert_eq!(renamed.unwrap()["name"], "Li Doe (changed)");

    // And the next incremental sync finds nothing again.
    let after = env.sync_as(&agent(), Some(&incremental.checkpoint), 3).await;
    assert_eq!(after.ids, Vec::<String>::new());
    assert_eq!(after.checkpoint, incremental.checkpoint);
}

#[tokio::test]
async fn an_agents_sync_loses_no_user_changed_while_it_runs() {
    let env = setup_with(Fake::sample(100), |c| c.contact_page_size = 10).await;
    let mut seen: Vec<String> = Vec::new();
    let mut meta = json!({});
    for _ in 0..3 {
        let page = env.sync_page_as(&agent(), meta.clone()).await;
        seen.extend(contact_ids(&page));
        meta = json!({"offset": page["next_offset"]});
    }
    // A user already sent and one not yet sent change; the sync goes on to its end.
    let (sent, unsent) = (seen[2].clone(), (FIRST_END_USER + 5).to_string());
    assert!(!seen.contains(&unsent));
    let ids = [sent.parse().unwrap(), unsent.parse().unwrap()];
    env.fake.update_users(&ids, |u| u.name.push_str(" (changed)"));
    let checkpoint = loop {
        let page = env.sync_page_as(&agent(), meta.clone()).await;
        seen.extend(contact_ids(&page));
        match page.get("next_offset") {
            Some(next) => meta = json!({"offset": next}),
            None => break page["synchronization_checkpoint"].as_str().unwrap().to_owned(),
        }
    };
    // The changed user not yet sent moved ahead of the cursor: this sync missed it, the next one brings both.
    assert!(!seen.contains(&unsent));
    let next = env.sync_as(&agent(), Some(&checkpoint), 10).await;
    assert_eq!(as_set(&next.ids), as_set(&[unsent.clone(), sent.clone()]));
    let everyone: BTreeSet<String> = live_end_users(&env.fake).iter().map(|u| u.id.to_string()).collect();
    assert_eq!(as_set(&seen).union(&as_set(&next.ids)).cloned().collect::<BTreeSet<_>>(), everyone);
}

#[tokio::test]
async fn an_agents_checkpoint_stays_on_a_second_that_is_not_over() {
    // The fake's clock is the bridge's: a change of this very second might be followed by another in it.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let env = setup_with(Fake::sample_at(10, now), |c| c.contact_page_size = 3).await;
    let changed_at = env.fake.now();
    env.fake.update_users(&[1003], |u| u.name.push_str(" (changed)"));
    let synced = env.sync_as(&agent(), None, 3).await;
    let second = bridge::TalkdeskDate::from_unix_timestamp(changed_at).unwrap().to_string();
    assert_eq!(synced.checkpoint, second, "not a second later: that second is not over");
    // So the next sync sends that second's users again, rather than lose one written later in it.
    let again = env.sync_as(&agent(), Some(&synced.checkpoint), 3).await;
    assert_eq!(again.ids, ["1003"]);
    assert_eq!(again.checkpoint, second);
}

// --- The fake's shapes --------------------------------------------------------------------------------------------

/// The validator of definition `name` of `tests/vectors/zendesk_users.oas.json` (trimmed from Zendesk's OpenAPI).
fn zendesk_schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/tests/vectors/zendesk_users.oas.json", env!("CARGO_MANIFEST_DIR"));
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema["$ref"] = json!(format!("#/$defs/{name}"));
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

#[track_caller]
fn assert_zendesk_shape(name: &str, answer: &Value) {
    let errors: Vec<String> =
        zendesk_schema(name).iter_errors(answer).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{answer:#}");
}

#[tokio::test]
async fn the_fakes_user_answers_have_zendesks_shapes() {
    let fake = Fake::sample(30);
    let server = fake.start().await.unwrap();
    let get = |email: &'static str, path: String| {
        let url = format!("{}{path}", server.url());
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .basic_auth(format!("{email}/token"), Some(API_TOKEN))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    assert_zendesk_shape("CurrentUserResponse", &get(AGENT_EMAIL, "/api/v2/users/me.json".into()).await);
    let list = "/api/v2/users.json?role=end-user&sort=-updated_at&page[size]=7&include=identities,organizations";
    let first = get(AGENT_EMAIL, list.into()).await;
    assert_zendesk_shape("UsersCursorPage", &first);
    assert_eq!(first["users"].as_array().unwrap().len(), 7);
    let after = first["meta"]["after_cursor"].as_str().unwrap();
    let next = get(AGENT_EMAIL, format!("{list}&page[after]={after}")).await;
    assert_zendesk_shape("UsersCursorPage", &next);
    assert_eq!(next["links"]["next"].as_str().is_some(), next["meta"]["has_more"] == true);
    let export = "/api/v2/incremental/users/cursor.json?start_time=0&include=identities,organizations";
    assert_zendesk_shape("CursorBasedExportIncrementalUsersResponse", &get(ADMIN_EMAIL, export.into()).await);

    // The check can fail: a page without Zendesk's `meta.has_more`, a user whose id is a string.
    let mut broken = first.clone();
    broken["meta"].as_object_mut().unwrap().remove("has_more");
    broken["users"][0]["id"] = json!("1000");
    assert_eq!(zendesk_schema("UsersCursorPage").iter_errors(&broken).count(), 2);
}

// --- Interaction retrieval ---------------------------------------------------------------------------------------

fn tickets_of(fake: &Fake, user: u64) -> BTreeSet<String> {
    fake.tickets().iter().filter(|t| t.requester_id == user).map(|t| t.id.to_string()).collect()
}

#[tokio::test]
async fn tickets_are_found_by_id_else_by_email_else_by_phone() {
    let env = setup(Fake::sample(20)).await;
    let by_id = env.tickets(json!({"contact_external_id": "1003", "contact_emails": ["customer7@example.com"]})).await;
    assert_eq!(interaction_ids(&by_id), tickets_of(&env.fake, 1003));
    assert_eq!(interaction_ids(&by_id).len(), 3);

    let by_email = env.tickets(json!({"contact_emails": ["not an email", "CUSTOMER7@example.com"]})).await;
    assert_eq!(interaction_ids(&by_email), tickets_of(&env.fake, 1007));
    let by_other_email = env.tickets(json!({"contact_emails": ["customer10@home.example.org"]})).await;
    assert_eq!(interaction_ids(&by_other_email), tickets_of(&env.fake, 1010));

    let by_phone =
        env.tickets(json!({"contact_emails": ["stranger@example.com"], "contact_phones": ["+1 (555) 010-0011"]})).await;
    assert_eq!(interaction_ids(&by_phone), tickets_of(&env.fake, 1011));

    // An id Zendesk does not know (or that is not a Zendesk id) falls back to the email.
    let fallback =
        env.tickets(json!({"contact_external_id": "999999", "contact_emails": ["customer7@example.com"]})).await;
    assert_eq!(interaction_ids(&fallback), tickets_of(&env.fake, 1007));
    let foreign = env.tickets(json!({"contact_external_id": "crm-42", "contact_phones": ["+15550100011"]})).await;
    assert_eq!(interaction_ids(&foreign), tickets_of(&env.fake, 1011));

    // Nobody Zendesk knows: no interactions.
    let nobody =
        env.tickets(json!({"contact_emails": ["stranger@example.com"], "contact_phones": ["+19990000000"]})).await;
    assert_eq!(nobody, json!([]));

    // Not asked for tickets, or for nobody: no lookup, but the credentials are still checked.
    for (types, data) in [(json!(["call"]), json!({"contact_external_id": "1003"})), (json!(["ticket"]), json!({}))] {
        let before = env.zendesk_calls().len();
        let body = json!({"auth": auth(), "meta": {"interaction_types": types}, "data": data});
        assert_eq!(env.call("/interaction_update", body.clone()).await.assert_json(200), json!([]));
        let calls = env.zendesk_calls();
        assert_eq!(calls[before..].iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), ["/api/v2/users/me"]);
        let mut wrong = body;
        wrong["auth"] = auth_as(ADMIN_EMAIL, "wrong-token");
        assert_eq!(env.call("/interaction_update", wrong).await.assert_json(401)["code"], "credentials_rejected");
    }
}

#[tokio::test]
async fn ticket_statuses_priorities_and_dates_map_onto_talkdesk() {
    let fake = Fake::new();
    let requester = fake.add_user(User { email: Some("jane@example.com".into()), ..User::end_user("Jane Doe") });
    let base = Ticket {
        id: 0,
        subject: Some("Help".into()),
        description: "Help me".into(),
        status: "open".into(),
        priority: None,
        kind: Some("incident".into()),
        requester_id: requester,
        submitter_id: requester,
        assignee_id: None,
        organization_id: None,
        created_at: 1_353_520_431, // 2012-11-21 17:53:51 UTC
        updated_at: 1_353_520_431,
        due_at: None,
    };
    let cases = [
        ("new", Some("low"), "new", "low"),
        ("open", Some("normal"), "open", "normal"),
        ("pending", Some("high"), "pending", "high"),
        ("hold", Some("urgent"), "pending", "urgent"),
        ("solved", None, "solved", "none"),
        ("closed", None, "closed", "none"),
    ];
    let mut expected = Vec::new();
    for (n, (status, priority, td_status, td_priority)) in cases.iter().enumerate() {
        let id = fake.add_ticket(Ticket {
            status: (*status).into(),
            priority: priority.map(str::to_owned),
            updated_at: base.updated_at + n as i64,
            ..base.clone()
        });
        expected.push((id, *td_status, *td_priority));
    }
    let untitled =
        fake.add_ticket(Ticket { subject: None, description: "word ".repeat(100), updated_at: 1, ..base.clone() });
    let task = fake.add_ticket(Ticket {
        kind: Some("task".into()),
        due_at: Some(1_900_000_000), // 2030-03-17 17:46:40 UTC
        updated_at: 0,
        ..base.clone()
    });
    let env = setup(fake).await;
    let answer = env.tickets(json!({ "contact_external_id": requester.to_string() })).await;
    let list = answer.as_array().unwrap();
    assert_eq!(list.len(), 8);
    let url = env.fake_url();
    // Most recently updated first.
    for (interaction, (id, status, priority)) in list.iter().zip(expected.iter().rev()) {
        assert_eq!(
            interaction,
            &json!({
                "id": id.to_string(), "subject": "Help", "description": "Help me", "date": "2012-11-21 17:53:51 UTC",
                "url": format!("{url}/agent/tickets/{id}"), "type": "ticket", "priority": priority, "status": status,
            })
        );
    }
    let untitled_json = &list[6];
    assert_eq!(untitled_json["subject"], format!("Ticket #{untitled}"));
    assert!(untitled_json["description"].as_str().unwrap().ends_with('…'));
    assert_eq!(list[7]["id"], task.to_string());
    assert_eq!(list[7]["date"], "2030-03-17 17:46:40 UTC", "a task is dated by when it is due");
}

// --- The create_ticket action ------------------------------------------------------------------------------------

fn ticket_action(meta: Value, data: Value) -> Value {
    json!({"auth": auth(), "meta": meta, "data": data})
}

#[tokio::test]
async fn create_ticket_creates_it_with_the_right_requester_and_assignee() {
    let env = setup(Fake::sample(10)).await;
    let answer = env
        .call(
            "/actions/create_ticket",
            ticket_action(
                json!({"contact_external_id": "1003", "agent_external_id": 3}),
                json!({"subject": "Call missed in Talkdesk", "description": "Please call back.", "priority": "High"}),
            ),
        )
        .await;
    let created = answer.assert_json(201);
    let id: u64 = created["external_id"].as_str().unwrap().parse().unwrap();
    assert!(created["message"].as_str().unwrap().contains(&format!("#{id}")), "{created}");
    let ticket = env.fake.tickets().into_iter().find(|t| t.id == id).expect("the ticket is in Zendesk");
    assert_eq!((ticket.requester_id, ticket.assignee_id, ticket.submitter_id), (1003, Some(3), ADMIN_ID));
    assert_eq!(ticket.subject.as_deref(), Some("Call missed in Talkdesk"));
    assert_eq!(ticket.description, "Please call back.");
    assert_eq!(ticket.priority.as_deref(), Some("high"));

    // It is among the contact's interactions at once.
    let found = env.tickets(json!({"contact_external_id": "1003"})).await;
    assert!(interaction_ids(&found).contains(&id.to_string()));

    // Without a contact or an agent: requested by the credentials' user, unassigned, no priority.
    let bare = env
        .call("/actions/create_ticket", ticket_action(json!({}), json!({"subject": "Hello", "description": "Hi"})))
        .await
        .assert_json(201);
    let id: u64 = bare["external_id"].as_str().unwrap().parse().unwrap();
    let ticket = env.fake.tickets().into_iter().find(|t| t.id == id).unwrap();
    assert_eq!((ticket.requester_id, ticket.assignee_id, ticket.priority), (ADMIN_ID, None, None));
}

#[tokio::test]
async fn create_ticket_says_why_zendesk_refused_it() {
    let env = setup(Fake::sample(10)).await;
    let before = env.fake.tickets().len();
    let data = json!({"subject": "s", "description": "d"});
    for (meta, data, why) in [
        (json!({"contact_external_id": "999999"}), data.clone(), "Requester: could not be found"),
        (json!({"agent_external_id": "1004"}), data.clone(), "Assignee: is not an agent"),
        (json!({}), json!({"subject": "s", "description": "   "}), "Description: cannot be blank"),
    ] {
        let refused = env.call("/actions/create_ticket", ticket_action(meta, data)).await.assert_json(400);
        assert_eq!(refused["code"], "action_failed");
        assert_eq!(refused["message"], format!("Zendesk refused the ticket: {why}"));
    }
    // What the bridge can tell by itself is a 400 naming the fields, and Zendesk is not asked.
    let calls = env.zendesk_calls().len();
    let body = ticket_action(
        json!({"contact_external_id": "jane", "agent_external_id": "3"}),
        json!({"subject": "s", "description": "d", "priority": "critical"}),
    );
    let refused = env.call("/actions/create_ticket", body).await;
    refused.assert_json(400);
    assert_eq!(refused.fields(), ["data.priority", "meta.contact_external_id"]);
    assert_eq!(env.zendesk_calls().len(), calls);
    assert_eq!(env.fake.tickets().len(), before, "no ticket was created");
}

// --- Agent synchronization ---------------------------------------------------------------------------------------

#[tokio::test]
async fn agents_and_admins_come_a_page_at_a_time() {
    let env = setup(Fake::sample(5)).await;
    let first = env.call("/agent_sync", json!({ "auth": auth() })).await.assert_json(200);
    assert_eq!(
        first,
        json!({"agents": [
            {"id": "1", "name": "Ada Admin", "email": ADMIN_EMAIL},
            {"id": "2", "name": "Ben Agent", "email": AGENT_EMAIL},
        ], "next_offset": "2"})
    );
    // Talkdesk sends the offset back as an integer. The deleted agent is not listed; end users never are.
    let second = env.call("/agent_sync", json!({"auth": auth(), "meta": {"offset": 2}})).await.assert_json(200);
    assert_eq!(
        second,
        json!({"agents": [
            {"id": "3", "name": "Chloe Agent", "email": "chloe.agent@example.com"},
            {"id": "4", "name": "Dev Agent", "email": "dev.agent@example.com"},
        ]})
    );
    let calls = env.zendesk_calls();
    assert_eq!(calls[0].path, "/api/v2/users");
    let roles: Vec<&str> = calls[0].query.iter().filter(|(n, _)| n == "role[]").map(|(_, v)| v.as_str()).collect();
    assert_eq!(roles, ["agent", "admin"]);

    let bad = env.call("/agent_sync", json!({"auth": auth(), "meta": {"offset": "0"}})).await;
    bad.assert_json(400);
    assert_eq!(bad.fields(), ["meta.offset"]);
}

// --- Credentials, failures, and where requests go ----------------------------------------------------------------

fn every_endpoint() -> [(&'static str, Value); 5] {
    [
        ("/auth_validation", json!({})),
        ("/contact_sync", json!({})),
        (
            "/interaction_update",
            json!({"meta": {"interaction_types": ["ticket"]}, "data": {"contact_external_id": "1003"}}),
        ),
        ("/actions/create_ticket", json!({"data": {"subject": "s", "description": "d"}})),
        ("/agent_sync", json!({})),
    ]
}

#[tokio::test]
async fn wrong_credentials_are_a_401_on_every_endpoint() {
    let env = setup(Fake::sample(5)).await;
    let tickets = env.fake.tickets().len();
    for (email, token) in [(ADMIN_EMAIL, "wrong-token-5e7a"), ("ghost@example.com", API_TOKEN)] {
        for (path, mut body) in every_endpoint() {
            body["auth"] = auth_as(email, token);
            let answer = env.call(path, body).await;
            assert_eq!(answer.assert_json(401)["code"], "credentials_rejected", "{path}");
            assert!(!answer.text.contains(token), "{path}: {}", answer.text);
        }
    }
    assert_eq!(env.fake.tickets().len(), tickets, "nothing was created");
}

#[tokio::test]
async fn a_rate_limited_call_is_retried_after_retry_after() {
    let env = setup(Fake::sample(5)).await;
    env.fake.inject(Fault::RateLimited { retry_after_secs: Some(1) });
    let started = Instant::now();
    let answer = env.call("/agent_sync", json!({ "auth": auth() })).await.assert_json(200);
    assert_eq!(answer["agents"].as_array().unwrap().len(), 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was not honoured: {:?}", started.elapsed());
    assert_eq!(env.zendesk_calls().len(), 2, "one 429, one success");

    // Rate-limited on every attempt, or asked to wait longer than the bridge does: a 502, never a 401.
    for _ in 0..3 {
        env.fake.inject(Fault::RateLimited { retry_after_secs: Some(0) });
    }
    let exhausted = env.call("/contact_sync", json!({ "auth": auth() })).await.assert_json(502);
    assert!(exhausted["message"].as_str().unwrap().contains("rate-limiting"), "{exhausted}");
    env.fake.inject(Fault::RateLimited { retry_after_secs: Some(60) });
    let started = Instant::now();
    env.call("/contact_sync", json!({ "auth": auth() })).await.assert_json(502);
    assert!(started.elapsed() < Duration::from_secs(2), "it did not wait a minute");
}

#[tokio::test]
async fn zendesk_failures_are_502_and_slowness_is_504() {
    let env = setup_with(Fake::sample(5), |c| c.timeout = Duration::from_millis(300)).await;
    let sync = || env.call("/contact_sync", json!({ "auth": auth() }));

    env.fake.inject(Fault::ServerError);
    let failed = sync().await.assert_json(502);
    assert!(failed["message"].as_str().unwrap().contains("Zendesk failed (500"), "{failed}");
    assert_eq!(env.zendesk_calls().len(), 1, "a 500 is not retried");

    env.fake.inject(Fault::Garbage);
    let garbage = sync().await.assert_json(502);
    assert!(garbage["message"].as_str().unwrap().contains("not JSON"), "{garbage}");

    env.fake.inject(example::fake::redirect());
    let redirected = sync().await.assert_json(502);
    assert!(redirected["message"].as_str().unwrap().contains("redirect"), "{redirected}");

    env.fake.inject(Fault::Slow(Duration::from_secs(2)));
    let started = Instant::now();
    let slow = sync().await.assert_json(504);
    assert_eq!(slow["code"], "timeout");
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());

    sync().await.assert_json(200);
}

#[tokio::test]
async fn an_account_that_is_not_one_dns_label_is_a_400_and_nothing_is_sent() {
    let env = setup(Fake::sample(5)).await;
    let long = "a".repeat(64);
    let attempts = [
        "evil.com/",
        "a@b",
        "x.y",
        "..",
        "%2e",
        "EVIL.COM",
        "Acme.Zendesk.Com",
        &long,
        "",
        "acme:443",
        "a b",
        "127.0.0.1",
        "acme/../admin",
        "acme#",
        "café",
    ];
    for account in attempts {
        for (path, mut body) in every_endpoint() {
            body["auth"] = json!({"account": account, "email": ADMIN_EMAIL, "token": API_TOKEN});
            let answer = env.call(path, body).await;
            answer.assert_json(400);
            assert_eq!(answer.fields(), ["auth.account"], "{account:?} on {path}");
        }
    }
    assert_eq!(env.zendesk_calls(), Vec::<Call>::new(), "no request left the bridge");

    // Capitals are not an attack: host names are case-insensitive, and `ACME` is the same account as `acme`.
    let upper =
        env.call("/auth_validation", json!({"auth": {"account": "ACME", "email": ADMIN_EMAIL, "token": API_TOKEN}}));
    assert_eq!(upper.await.status, 204);
}

#[tokio::test]
async fn the_token_never_appears_in_a_log_line_or_an_answer() {
    // Global (shared by the whole test binary), so that every test that runs from now on logs here too: the Zendesk
    // tests all use the same token.
    let logs = Captured::install();
    let env = setup_with(Fake::sample(5), |c| c.timeout = Duration::from_millis(300)).await;
    let mut answers = String::new();
    for fault in [None, Some(Fault::ServerError), Some(Fault::Garbage), Some(Fault::Slow(Duration::from_secs(1)))] {
        for (path, mut body) in every_endpoint() {
            if let Some(fault) = fault.clone() {
                env.fake.inject(fault);
            }
            body["auth"] = auth();
            answers.push_str(&env.call(path, body).await.text);
        }
    }
    let refused = ticket_action(json!({"contact_external_id": "999999"}), json!({"subject": "s", "description": "d"}));
    answers.push_str(&env.call("/actions/create_ticket", refused).await.text);
    let logs = logs.text();
    assert!(logs.contains("http_call"), "the calls were logged");
    for (what, text) in [("a log line", &logs), ("an answer", &answers)] {
        assert!(!text.contains(API_TOKEN), "the token appears in {what}");
        assert!(!text.contains("Basic "), "an Authorization header appears in {what}");
    }
}

// --- The Talkdesk simulator ----------------------------------------------------------------------------------------

/// The whole protocol as Talkdesk drives it: first in process through the test kit, then over HTTP.
#[tokio::test]
async fn the_talkdesk_simulator_passes_in_process_and_over_http() {
    use bridge::testing::{ActionProbe, Simulator, TestClient};

    let fake = Fake::sample(60);
    let server = fake.start().await.expect("the fake Zendesk starts");
    let config = || {
        let mut config = test_config();
        config.base_url = Some(BaseUrl::parse(&server.url()).unwrap());
        config
    };
    let requester = live_end_users(&fake)[0].id.to_string();
    let probe = || {
        ActionProbe::new("create_ticket")
            .contact_external_id(requester.clone())
            .data(json!({"subject": "Call missed", "description": "A call was missed."}))
    };

    let in_process = TestClient::new(example::bridge(config()).unwrap()).unwrap();
    Simulator::new(in_process, auth()).interaction_types(["ticket"]).action(probe()).run().await.assert_passes();

    // Over HTTP, with an admin's credentials and with an agent's.
    let running = start(example::bridge(config()).unwrap()).await;
    for credentials in [auth(), auth_as(AGENT_EMAIL, API_TOKEN)] {
        let report = Simulator::new(TestClient::http(running.url()), credentials)
            .interaction_types(["ticket"])
            .action(probe())
            .run()
            .await;
        report.assert_passes();
        assert_eq!(report.count(bridge::testing::Outcome::Skip), 0, "{report}");
    }
}

/// The source changes while the simulator syncs, as users change Zendesk while Talkdesk syncs it: a user already
/// sent is renamed (and time passes, past the minute the export holds back), another is deleted; then Zendesk
/// rate-limits and fails a call. The changed user arrives, changed; no user is lost; the faults are ridden out.
#[tokio::test]
async fn the_simulator_changes_zendesk_between_pages_and_nothing_is_lost() {
    use bridge::testing::{CheckId, Outcome, Simulator, SourceChange, TestClient};
    use bridge::Contact;

    let fake = Fake::sample(100);
    let server = fake.start().await.expect("the fake Zendesk starts");
    let mut config = test_config();
    config.base_url = Some(BaseUrl::parse(&server.url()).unwrap());
    let users = live_end_users(&fake);
    let (renamed, deleted) = (users[0].id, users[70].id);
    let source = fake.clone();
    let report = Simulator::new(TestClient::new(example::bridge(config).unwrap()).unwrap(), auth())
        .interaction_types(["ticket"])
        .change_source(move |progress| {
            if progress.phase != "initial contact sync" {
                return SourceChange::new();
            }
            if progress.page == 2 {
                // Faults on demand: the next page's call is rate-limited, then finds Zendesk in maintenance; the
                // client waits both out within the request's deadline.
                source.inject(Fault::RateLimited { retry_after_secs: Some(1) });
                source.inject(Fault::Unavailable);
                return SourceChange::new();
            }
            if progress.page != 1 {
                return SourceChange::new();
            }
            source.update_users(&[renamed], |user| user.name = "Renamed While Syncing".to_owned());
            source.update_users(&[deleted], |user| user.active = false);
            source.advance(90);
            SourceChange::new()
                .changed(Contact::new(renamed.to_string(), "Renamed While Syncing"))
                .deleted(deleted.to_string())
        })
        .run()
        .await;
    report.assert_passes();
    report.assert_outcome(CheckId::SourceChanges, Outcome::Pass);
    let check = report.get(CheckId::SourceChanges).unwrap();
    assert!(
        check.summary.as_deref().unwrap().starts_with("1 contact changed, 1 arrived changed; 1 deleted; 0 of"),
        "{report}"
    );
    // The faults were met: the same export call three times in a row (429, 503, then the page).
    let calls: Vec<(String, Vec<(String, String)>)> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/incremental/users"))
        .map(|r| (r.path, r.query))
        .collect();
    assert!(calls.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]), "{calls:#?}");
}

/// `bridge-conformance` against the bridge as the demo serves it (the fake with a few hundred users, a few pages of
/// contacts and agents), with `--url` and `--auth` only: `GET /configuration` gives the rest, every check runs and
/// passes, and the declared action is listed as not run. Then with the action.
#[tokio::test]
async fn the_conformance_command_passes_with_only_url_and_auth() {
    use bridge::testing::Outcome;
    use bridge_conformance::args::{parse_args, Command};

    let env = setup_with(Fake::sample(120), |c| c.contact_page_size = 50).await;
    let auth = auth().to_string();
    let url = env.bridge.url();
    let args = ["--url", &url, "--auth", &auth, "--quiet"];
    let run = |extra: &[&str]| {
        let args = [&args[..], extra].concat().into_iter().map(str::to_owned);
        let Ok(Command::Run(options)) = parse_args(args) else { panic!("the arguments parse") };
        async move {
            let conformance = bridge_conformance::run(&options).await.expect("no usage error");
            let text = bridge_conformance::output::render(&conformance, options.format);
            assert!(conformance.passed(), "{text}");
            (conformance, text)
        }
    };
    let (conformance, text) = run(&[]).await;
    let skipped: Vec<(&str, Option<&str>)> = conformance
        .lines
        .iter()
        .filter(|l| l.outcome == Outcome::Skip)
        .map(|l| (l.check.as_str(), l.subject.as_deref()))
        .collect();
    assert_eq!(skipped, [("ActionNotRun", Some("create_ticket"))], "{text}");
    assert!(text.contains("PASS  types are among the requested interaction_types"), "{text}");
    // Over HTTP the answers do not say what the requests cost upstream, and the report does not guess.
    assert!(conformance.upstream.is_empty() && !text.contains("Upstream"), "{text}");

    let meta = json!({"contact_external_id": FIRST_END_USER.to_string()}).to_string();
    let ticket = r#"{"subject": "Call missed in Talkdesk", "description": "A call was missed; please call back."}"#;
    let (conformance, text) =
        run(&["--action", "create_ticket", "--action-meta", &meta, "--action-data", ticket]).await;
    assert_eq!(conformance.count(Outcome::Skip), 0, "{text}");
}
