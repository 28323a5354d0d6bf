//! Cassettes end to end: a small bridge records its calls to a service on 127.0.0.1 (validation with Basic
//! credentials, a three-page contact sync following the service's absolute `next` links, an action whose body
//! holds a time computed from now and a password, an OAuth token refresh), the file is searched for every secret
//! of the session, and the same bridge then replays it with no service at all: every page, calls matched, a call
//! that differs named with its nearest recorded call, recorded calls never made reported.

use bridge::http::{BaseUrl, Client, Url};
use bridge::testing::{rerecord, Cassette, CassetteChanges, Simulator, TestClient};
use bridge::{
    ActionMeta, ActionOutcome, Auth, Bridge, Contact, ContactPage, ContactSyncMeta, Data, Error, Secret, State,
    TalkdeskDate,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use warp::Filter;

const EMAIL: &str = "ann.agent@acme-corp.test";
const TOKEN: &str = "tok-5f1d2c9a8b7e";
const API_KEY: &str = "key-91ab34cd56ef";
const REFRESH: &str = "refresh-77aa88bb99cc";
const SUBDOMAIN: &str = "acmecorp";
const CLIENT_SECRET: &str = "client-secret-0c0ffee";
const ISSUED_ACCESS: &str = "issued-access-4242abcd";
const ISSUED_REFRESH: &str = "issued-refresh-1313efef";
const COOKIE: &str = "sid-cookie-8d8d8d8d";
const PASSWORD: &str = "hunter2-password";
const SIGNATURE: &str = "sig-e0e0e0e0e0";

/// The `auth` Talkdesk sends, as the bridge declares it.
#[derive(Deserialize)]
struct Credentials {
    subdomain: String,
    email: String,
    token: Secret,
    api_key: Secret,
    refresh_token: Secret,
}

#[derive(Clone)]
struct Service {
    client: Client,
    base: BaseUrl,
}

#[bridge::auth_validator]
async fn validate(Auth(auth): Auth<Credentials>, State(service): State<Service>) -> Result<(), Error> {
    service
        .client
        .get(service.base.join(["api", "me"])?)
        .basic_auth(format!("{}/token", auth.email), &auth.token)
        .send()
        .await?;
    Ok(())
}

#[derive(Deserialize)]
struct Page {
    contacts: Vec<Value>,
    next: Option<String>,
}

#[bridge::contact_retriever]
async fn contacts(
    Auth(auth): Auth<Credentials>,
    meta: ContactSyncMeta,
    State(service): State<Service>,
) -> Result<ContactPage, Error> {
    // The offset is the service's own `next` link (a real bridge checks it; this one trusts it).
    let url = match meta.situation.offset() {
        Some(next) => Url::parse(next).map_err(|e| Error::invalid_field("meta.offset", e.to_string()))?,
        None => {
            let mut url = service.base.join(["api", "contacts"])?;
            url.query_pairs_mut().append_pair("page", "1").append_pair("owner", &auth.email);
            url
        }
    };
    let page: Page = service.client.get(url).bearer(&auth.token).fetch().await?;
    let contacts = page
        .contacts
        .iter()
        .map(|c| Contact::new(c["id"].as_str().unwrap_or_default(), c["name"].as_str().unwrap_or_default()))
        .collect();
    let mut answer = ContactPage::new(contacts, "2024-06-04 09:00:00 UTC");
    if let Some(next) = page.next {
        answer = answer.next_offset(next);
    }
    Ok(answer)
}

#[derive(Deserialize, bridge::ActionInputs)]
struct Note {
    /// The note's subject
    subject: String,
}

#[bridge::action_executor(name = "add_note")]
async fn add_note(
    Auth(auth): Auth<Credentials>,
    _meta: ActionMeta,
    Data(note): Data<Note>,
    State(service): State<Service>,
) -> Result<ActionOutcome, Error> {
    // A token refresh first (OAuth: form body with the refresh token and the app's secret).
    let token_url = service.base.join(["oauth", "token"])?;
    let secret = Secret::new(CLIENT_SECRET);
    let form = format!(
        "grant_type=refresh_token&refresh_token={}&client_id=bridge-app&client_secret={}",
        auth.refresh_token.expose(),
        secret.expose()
    );
    let issued: Value = service
        .client
        .post(token_url)
        .secret_in_path(&secret)
        .body("application/x-www-form-urlencoded", form)
        .fetch()
        .await?;
    let access = Secret::new(issued["access_token"].as_str().unwrap_or_default());
    // Then the note: the account in the path, a key in a header and in the query, a time computed from now.
    let since = TalkdeskDate::now().unix_timestamp() - 60;
    let created: Value = service
        .client
        .post(service.base.join(["api", "accounts", &auth.subdomain, "notes"])?)
        .bearer(&access)
        .secret_header("x-api-key", &auth.api_key)
        .query_secret("api_token", &auth.token)
        .json(&json!({"note": note.subject, "since": since, "author": {"email": auth.email, "password": PASSWORD}}))
        .fetch()
        .await?;
    Ok(ActionOutcome::message("noted").external_id(created["id"].to_string()))
}

fn bridge(base: &str) -> Bridge {
    let client = Client::builder().service_name("Acme").max_retries(0).build().unwrap();
    let service = Service { client, base: BaseUrl::parse(base).unwrap() };
    Bridge::new().state(service).endpoint(validate {}).endpoint(contacts {}).endpoint(add_note {})
}

fn auth() -> Value {
    json!({"subdomain": SUBDOMAIN, "email": EMAIL, "token": TOKEN, "api_key": API_KEY, "refresh_token": REFRESH})
}

/// The service on 127.0.0.1: checks what the bridge sends, echoes secrets back, links pages absolutely.
async fn service() -> (String, Arc<AtomicBool>) {
    let changed = Arc::new(AtomicBool::new(false));
    let changed_in = Arc::clone(&changed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let here = origin.clone();
    let route = warp::method()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::body::bytes())
        .map(move |method: warp::http::Method, path: warp::path::FullPath, query: String, headers: warp::http::HeaderMap, body: warp::hyper::body::Bytes| {
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let pairs: Vec<(String, String)> = url_pairs(&query);
            let param = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
            let (status, body): (u16, Value) = match (method.as_str(), path.as_str()) {
                ("GET", "/api/me") => {
                    use base64::Engine as _;
                    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}/token:{TOKEN}"));
                    if header("authorization") != format!("Basic {basic}") {
                        (401, json!({"error": "Couldn't authenticate you"}))
                    } else {
                        let mut user = json!({"email": EMAIL, "seen": header("authorization"), "role": "agent"});
                        if changed_in.load(Ordering::SeqCst) {
                            user["role"] = Value::Null;
                            user["locale"] = json!("en");
                        }
                        (200, json!({"user": user, "session": {"id": COOKIE}}))
                    }
                }
                ("GET", "/api/contacts") if header("authorization") == format!("Bearer {TOKEN}") => {
                    let page: u32 = param("page").parse().unwrap_or(0);
                    let contacts: Vec<Value> =
                        (0..2).map(|i| json!({"id": format!("c{}", page * 10 + i), "name": format!("Contact {page}-{i}")})).collect();
                    let next = (page < 3).then(|| format!("{here}/api/contacts?owner={}&page={}", param("owner"), page + 1));
                    (200, json!({"contacts": contacts, "next": next, "owner": param("owner")}))
                }
                ("GET", "/api/contacts") => (401, json!({"error": "bad token"})),
                ("POST", "/oauth/token") => {
                    let form = String::from_utf8_lossy(&body).into_owned();
                    let ok = form.contains(REFRESH) && form.contains(CLIENT_SECRET);
                    if ok {
                        (200, json!({"access_token": ISSUED_ACCESS, "refresh_token": ISSUED_REFRESH, "expires_in": 1800, "token_type": "bearer"}))
                    } else {
                        (400, json!({"error": "invalid_grant"}))
                    }
                }
                ("POST", p) if p == format!("/api/accounts/{SUBDOMAIN}/notes") => {
                    let ok = header("authorization") == format!("Bearer {ISSUED_ACCESS}")
                        && header("x-api-key") == API_KEY
                        && param("api_token") == TOKEN;
                    if ok {
                        let echo: Value = serde_json::from_slice(&body).unwrap_or_default();
                        (201, json!({"id": 7, "url": format!("https://{SUBDOMAIN}.acme.test/notes/7?t={TOKEN}"), "signature": SIGNATURE, "echo": echo}))
                    } else {
                        (401, json!({"error": "bad credentials"}))
                    }
                }
                _ => (404, json!({"error": "no such thing"})),
            };
            let reply = warp::reply::with_status(warp::reply::json(&body), warp::http::StatusCode::from_u16(status).unwrap());
            let reply = warp::reply::with_header(reply, "set-cookie", format!("sid={COOKIE}; HttpOnly"));
            warp::reply::with_header(reply, "x-session-token", COOKIE)
        });
    tokio::spawn(warp::serve(route).incoming(listener).run());
    (origin, changed)
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    Url::parse(&format!("http://q/?{query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The recording clock: the action's `since` is computed from it.
fn clock() -> TalkdeskDate {
    TalkdeskDate::from_unix_timestamp(1_717_491_600).unwrap()
}

/// Drives the session a cassette holds: validation, a whole contact sync, the action.
async fn session(client: &TestClient, auth: Value) {
    assert_eq!(client.auth_validation().auth(auth.clone()).send().await.status(), 204);
    let synced = client.sync_all().auth(auth.clone()).contacts().await.unwrap();
    assert_eq!(synced.pages(), 3);
    assert_eq!(synced.all_sent().count(), 6);
    let noted = client.action("add_note").auth(auth).data(json!({"subject": "Call back"})).send().await;
    assert_eq!(noted.status(), 201, "{:?}", noted.raw_json());
}

/// Records the session into a fresh temporary file; gives its path and the service's origin.
async fn record() -> (tempdir::Dir, String, Arc<AtomicBool>) {
    let (origin, changed) = service().await;
    let dir = tempdir::Dir::new();
    let client = TestClient::new(bridge(&origin).record(dir.cassette())).unwrap().clock(clock());
    session(&client, auth()).await;
    (dir, origin, changed)
}

#[tokio::test]
async fn no_secret_of_a_recorded_session_reaches_the_cassette() {
    let (dir, origin, _) = record().await;
    let text = std::fs::read_to_string(dir.cassette()).unwrap();
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}/token:{TOKEN}"));
    for secret in [
        EMAIL,
        TOKEN,
        API_KEY,
        REFRESH,
        SUBDOMAIN,
        CLIENT_SECRET,
        ISSUED_ACCESS,
        ISSUED_REFRESH,
        COOKIE,
        PASSWORD,
        SIGNATURE,
        &basic,
        &origin,
        "127.0.0.1",
    ] {
        assert!(!text.contains(secret), "`{secret}` is in the cassette:\n{text}");
    }
    // What stands in their place says what it was.
    for placeholder in
        ["{auth.email}", "{auth.subdomain}", "{origin}/api/contacts?owner={auth.email}&page=2", "<redacted>"]
    {
        assert!(text.contains(placeholder), "no `{placeholder}` in:\n{text}");
    }
    let file: Value = serde_json::from_str(&text).unwrap();
    let calls = file["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 6, "validation, three pages, the refresh and the note");
    assert_eq!(file["clock"], "2024-06-04T09:00:00Z");
    assert_eq!(calls[1]["request"]["query"], json!({"owner": "{auth.email}", "page": "1"}));
    let note = &calls[5];
    assert_eq!(note["request"]["path"], "/api/accounts/{auth.subdomain}/notes");
    assert_eq!(note["request"]["json"]["author"], json!({"email": "{auth.email}", "password": "<redacted>"}));
    assert_eq!(note["response"]["json"]["url"], "https://{auth.subdomain}.acme.test/notes/7?t={auth.token}");
    let refresh = &calls[4];
    assert_eq!(refresh["request"]["form"]["client_id"], "bridge-app");
    assert_eq!(refresh["response"]["json"]["expires_in"], 1800);
}

#[tokio::test]
async fn a_recorded_session_replays_every_page_with_no_service() {
    let (dir, _, _) = record().await;
    let cassette = Cassette::load(dir.cassette()).unwrap();
    assert_eq!(cassette.clock(), clock());
    // No service listens there: a call that reached the network would fail to connect.
    let client = TestClient::new(bridge("http://127.0.0.1:9")).unwrap().replay(&cassette);
    let other = json!({"subdomain": "othercorp", "email": "bob@other.test", "token": "tok-other-123",
        "api_key": "key-other-456", "refresh_token": "refresh-other-789"});
    session(&client, other).await;
    assert!(cassette.unused().is_empty());
    cassette.assert_all_used();
}

#[tokio::test]
async fn a_call_with_no_recording_names_the_nearest_and_the_difference() {
    let (dir, _, _) = record().await;
    let cassette = Cassette::load(dir.cassette()).unwrap().allow_unused();
    let client = TestClient::new(bridge("http://127.0.0.1:9")).unwrap().replay(&cassette);
    // Another subject than the recorded one: the token refresh matches, the note does not.
    let answer = client.action("add_note").auth(auth()).data(json!({"subject": "Call later"})).send().await;
    assert_eq!(answer.status(), 500);
    let misses = cassette.misses();
    assert_eq!(misses.len(), 1, "{misses:?}");
    let miss = &misses[0];
    assert!(
        miss.starts_with("no recorded call answers POST /api/accounts/{auth.subdomain}/notes?api_token=<redacted>"),
        "{miss}"
    );
    assert!(miss.contains("the nearest is call #6, POST /api/accounts/{auth.subdomain}/notes"), "{miss}");
    assert!(miss.contains(r#"`body.note`: recorded "Call back", sent "Call later""#), "{miss}");
    let failed = std::panic::catch_unwind(|| cassette.assert_all_used()).unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(message.contains("1 call(s) of the bridge found no answer") && message.contains("Call later"), "{message}");
    // The same call once more than recorded: the match is named, used up.
    let again = Cassette::load(dir.cassette()).unwrap().allow_unused();
    let client = TestClient::new(bridge("http://127.0.0.1:9")).unwrap().replay(&again);
    for status in [204, 500] {
        assert_eq!(client.auth_validation().auth(auth()).send().await.status(), status);
    }
    assert!(again.misses()[0].contains("call(s) #1 match it, but answered earlier calls"), "{:?}", again.misses());
    std::panic::catch_unwind(|| again.assert_all_used()).unwrap_err();
}

#[tokio::test]
async fn recorded_calls_never_made_are_reported() {
    let (dir, _, _) = record().await;
    let cassette = Cassette::load(dir.cassette()).unwrap();
    let client = TestClient::new(bridge("http://127.0.0.1:9")).unwrap().replay(&cassette);
    assert_eq!(client.auth_validation().auth(auth()).send().await.status(), 204);
    assert_eq!(cassette.unused().len(), 5);
    assert_eq!(cassette.unused()[0], "call #2 GET /api/contacts?owner={auth.email}&page=1");
    let failed = std::panic::catch_unwind(|| cassette.assert_all_used()).unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(message.contains("5 recorded call(s)") && message.contains("were never made"), "{message}");
    assert!(message.contains("call #6 POST /api/accounts/{auth.subdomain}/notes"), "{message}");
}

#[tokio::test]
async fn a_re_recording_shows_what_changed_in_the_answers() {
    let (dir, origin, changed) = record().await;
    changed.store(true, Ordering::SeqCst);
    let changes: CassetteChanges = rerecord(dir.cassette(), |path| async move {
        let client = TestClient::new(bridge(&origin).record(path)).unwrap().clock(clock());
        session(&client, auth()).await;
    })
    .await
    .unwrap();
    assert_eq!(
        changes.lines(),
        [
            "GET /api/me (call #1): `user.locale` added (string)",
            "GET /api/me (call #1): `user.role` changed type: string → null",
        ]
    );
}

#[tokio::test]
async fn the_simulators_whole_conversation_records_and_replays() {
    let (origin, _) = service().await;
    let dir = tempdir::Dir::new();
    let client = TestClient::new(bridge(&origin).record(dir.cassette())).unwrap().clock(clock());
    let recorded = Simulator::new(client, auth()).run().await;
    recorded.assert_passes();
    let cassette = Cassette::load(dir.cassette()).unwrap();
    assert!(cassette.len() >= 4, "{}", cassette.len());
    let client = TestClient::new(bridge("http://127.0.0.1:9")).unwrap().replay(&cassette);
    let replayed = Simulator::new(client, auth()).run().await;
    replayed.assert_passes();
    cassette.assert_all_used();
}

#[test]
fn a_cassette_that_cannot_be_written_stops_the_bridge_at_start() {
    let Err(error) = bridge("http://127.0.0.1:9").record("/nonexistent-dir/cassettes/acme.json").into_service() else {
        panic!("the bridge started without its cassette");
    };
    assert!(matches!(error, bridge::BuildError::Record { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("cannot record the external calls to `/nonexistent-dir/cassettes/acme.json`: "),
        "{message}"
    );
}

/// A temporary directory of its own per test, removed at the end.
mod tempdir {
    use std::path::PathBuf;

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Self {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let path = std::env::temp_dir().join(format!("bridge-cassettes-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub fn cassette(&self) -> PathBuf {
            self.0.join("acme.json")
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
