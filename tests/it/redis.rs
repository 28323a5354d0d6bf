//! Many replicas, one memory (`docs/replicas.md`): two replicas of the Zendesk example, its fake Zendesk and one
//! real Redis, which this test starts itself (`redis-server` on a free port of 127.0.0.1, in a temporary
//! directory, no persistence but the snapshot the secret scan asks for) and stops at the end, even on failure.
//! `scripts/install-redis.sh` installs Redis where it is missing.
//!
//! - an action whose first answer is lost (the client gives up) and is repeated to the other replica runs once;
//! - identical lookups at once, spread over both replicas, make at most one upstream lookup per replica;
//! - Redis killed in the middle: every request is still answered, without the store; restarted: used again;
//! - the same with the in-process store on one replica;
//! - and nothing Redis holds, read byte by byte from its snapshot, contains a credential, an email or a phone sent.

use crate::common::{self, get, post, Answer};
use crate::zendesk_example as example;
use bridge::{Bridge, RunningBridge, Secret};
use example::fake::{Fake, RunningFake, ADMIN_EMAIL, API_TOKEN};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The deployment's store key both replicas are given (as a Kubernetes Secret would).
const STORE_KEY: &str = "test-store-key-0123456789abcdefghijklmnop";
/// What the lookups send besides the contact's id: they must never be readable in Redis.
const EMAIL: &str = "carla.caller@example.org";
const PHONE: &str = "+351912345678";

// --- A throwaway Redis ---------------------------------------------------------------------------------------------

struct Redis {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Redis {
    fn start() -> Redis {
        let installed = Command::new("redis-server").arg("--version").output().is_ok_and(|out| out.status.success());
        assert!(
            installed,
            "Redis is not installed (no redis-server on PATH): run scripts/install-redis.sh, as CI does"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("bridge-redis-{}-{port}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut redis = Redis { child: None, port, dir };
        redis.run();
        redis
    }

    /// Starts `redis-server` (again, after [`Redis::kill`]) and waits until it answers `PING`.
    fn run(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--rdbcompression", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let started = Instant::now();
        while self.try_command("PING").as_deref() != Some("+PONG") {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not answer PING within 10 s");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the server at once, as an outage would.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// One inline command, and the first line of its answer.
    fn try_command(&self, command: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).ok()?;
        Some(line.trim_end().to_owned())
    }

    fn command(&self, command: &str) -> String {
        self.try_command(command).unwrap_or_else(|| panic!("Redis did not answer {command}"))
    }

    /// Everything Redis holds, as bytes: a snapshot (uncompressed) written now.
    fn everything(&self) -> Vec<u8> {
        assert_eq!(self.command("SAVE"), "+OK");
        std::fs::read(self.dir.join("dump.rdb")).expect("the snapshot is written")
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// --- Replicas of the Zendesk example --------------------------------------------------------------------------------

struct Replicas {
    fake: Fake,
    _server: RunningFake,
    bridges: Vec<RunningBridge>,
}

/// `count` replicas of the Zendesk example against one fake, sharing `redis` when given (as `BRIDGE_REDIS_URL` and
/// `BRIDGE_STORE_KEY` would set it), each with its own in-process store otherwise.
async fn replicas(count: usize, redis: Option<&Redis>) -> Replicas {
    let fake = Fake::sample(10);
    let server = fake.start().await.expect("the fake Zendesk starts");
    let mut bridges = Vec::new();
    for _ in 0..count {
        let mut config = crate::zendesk::test_config();
        config.base_url = Some(bridge::http::BaseUrl::parse(&server.url()).unwrap());
        let bridge = example::bridge(config).expect("the bridge builds");
        let bridge = match redis {
            Some(redis) => with_redis(bridge, redis),
            None => bridge,
        };
        bridges.push(common::start(bridge).await);
    }
    Replicas { fake, _server: server, bridges }
}

fn with_redis(bridge: Bridge, redis: &Redis) -> Bridge {
    let settings =
        bridge.current_settings().clone().redis_url(Secret::new(redis.url())).store_key(Secret::new(STORE_KEY));
    bridge.settings(settings)
}

fn auth() -> Value {
    json!({"account": "acme", "email": ADMIN_EMAIL, "token": API_TOKEN})
}

fn ticket_action(subject: &str) -> String {
    let data = json!({"subject": subject, "description": "Please call back.", "priority": "High"});
    json!({"auth": auth(), "meta": {"contact_external_id": "1003", "agent_external_id": 3}, "data": data}).to_string()
}

fn lookup(contact: &str) -> String {
    let data = json!({"contact_external_id": contact, "contact_emails": [EMAIL], "contact_phones": [PHONE]});
    json!({"auth": auth(), "meta": {"interaction_types": ["ticket"]}, "data": data}).to_string()
}

impl Replicas {
    /// The calls Zendesk received so far.
    fn upstream_calls(&self) -> usize {
        self.fake.requests().len()
    }

    /// `count` identical lookups at once, spread over the replicas: their answers.
    async fn lookups_at_once(&self, count: usize, body: &str) -> Vec<Answer> {
        lookups_at_once(&self.bridges, count, body).await
    }

    /// The sum over the replicas of `bridge_store_answers` with `outcome`.
    async fn store_answers(&self, outcome: &str) -> u64 {
        let mut sum = 0;
        let series = format!("bridge_store_answers_total{{endpoint=\"/interaction_update\",outcome=\"{outcome}\"}} ");
        for bridge in &self.bridges {
            let metrics = get(bridge, "/metrics").await.text;
            sum += metrics
                .lines()
                .find_map(|line| line.strip_prefix(&series))
                .map_or(0, |value| value.trim().parse::<u64>().unwrap());
        }
        sum
    }
}

/// `count` identical lookups at once, spread over `bridges`: their answers.
async fn lookups_at_once(bridges: &[RunningBridge], count: usize, body: &str) -> Vec<Answer> {
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let url = format!("{}/interaction_update", bridges[i % bridges.len()].url());
            let request = reqwest::Client::new().post(url).header("content-type", "application/json");
            tokio::spawn(common::send(request.body(body.to_owned())))
        })
        .collect();
    let mut answers = Vec::with_capacity(count);
    for task in tasks {
        answers.push(task.await.expect("the lookup ran"));
    }
    answers
}

/// The upstream calls of one lookup that misses (a contact not looked up before).
async fn calls_per_lookup(replicas: &Replicas, contact: &str) -> usize {
    let before = replicas.upstream_calls();
    post(&replicas.bridges[0], "/interaction_update", &lookup(contact)).await.assert_json(200);
    let calls = replicas.upstream_calls() - before;
    assert!(calls >= 1, "a lookup that misses calls Zendesk");
    calls
}

/// A `create_ticket` whose answer is lost: the client gives up before the bridge answers (Zendesk is slow).
async fn lost_answer(bridge: &RunningBridge, body: &str) {
    let client = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().unwrap();
    let sent = client
        .post(format!("{}/actions/create_ticket", bridge.url()))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await;
    assert!(sent.is_err(), "the client gave up before the answer: {sent:?}");
}

// --- The tests ------------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_memory_and_redis_holds_no_secret() {
    let redis = Redis::start();
    let replicas = replicas(2, Some(&redis)).await;
    let (a, b) = (&replicas.bridges[0], &replicas.bridges[1]);

    // (1) The first answer is lost; the repeat, to the other replica, arrives while the first still runs.
    let tickets_before = replicas.fake.tickets().len();
    replicas.fake.latency(Duration::from_millis(300));
    let body = ticket_action("Call missed in Talkdesk");
    lost_answer(a, &body).await;
    let repeated = post(b, "/actions/create_ticket", &body).await.assert_json(201);
    let again = post(a, "/actions/create_ticket", &body).await.assert_json(201);
    replicas.fake.latency(Duration::ZERO);
    assert_eq!(replicas.fake.tickets().len(), tickets_before + 1, "one ticket in Zendesk");
    let id = repeated["external_id"].as_str().expect("an external_id").to_owned();
    assert_eq!(again["external_id"], json!(id), "every repeat answers the first run's ticket");
    assert!(replicas.fake.tickets().iter().any(|t| t.id.to_string() == id));
    // Another action (other data) is another ticket.
    post(b, "/actions/create_ticket", &ticket_action("Another call")).await.assert_json(201);
    assert_eq!(replicas.fake.tickets().len(), tickets_before + 2);

    // (2) Identical lookups at once, over both replicas: at most one upstream lookup per replica.
    let per_lookup = calls_per_lookup(&replicas, "1004").await;
    replicas.fake.latency(Duration::from_millis(100));
    let before = replicas.upstream_calls();
    let answers = replicas.lookups_at_once(20, &lookup("1003")).await;
    replicas.fake.latency(Duration::ZERO);
    let upstream = replicas.upstream_calls() - before;
    let first = answers[0].assert_json(200);
    assert!(first.as_array().unwrap().iter().any(|i| i["id"] == json!(id)), "the new ticket shows: {first}");
    assert!(answers.iter().all(|answer| answer.assert_json(200) == first), "every lookup has the same answer");
    assert!(upstream <= 2 * per_lookup, "20 lookups cost {upstream} calls, {per_lookup} per lookup");
    eprintln!(
        "measured: 20 identical lookups at once over 2 replicas with Redis: {upstream} calls ({per_lookup} per lookup)"
    );
    // Later ones within the time to live cost nothing.
    let before = replicas.upstream_calls();
    for bridge in [a, b] {
        post(bridge, "/interaction_update", &lookup("1003")).await.assert_json(200);
    }
    assert_eq!(replicas.upstream_calls(), before, "answered from the store");
    assert!(replicas.store_answers("hit").await >= 20, "hits are counted in /metrics");

    // An action for the contact drops its cached lookups: the ticket just created shows at once.
    let created = post(a, "/actions/create_ticket", &ticket_action("Third call")).await.assert_json(201);
    let found = post(b, "/interaction_update", &lookup("1003")).await.assert_json(200);
    assert!(found.as_array().unwrap().iter().any(|i| i["id"] == created["external_id"]), "{found}");

    // What Redis holds: keys of the bridge's namespace only, none readable.
    let keys = redis.command("DBSIZE");
    assert!(keys.strip_prefix(':').unwrap().parse::<u64>().unwrap() > 0, "Redis holds the answers: {keys}");
    let held = redis.everything();
    assert!(held.windows(7).any(|w| w == b"bridge:"), "the bridge's keys are in the snapshot");
    for secret in [API_TOKEN, ADMIN_EMAIL, EMAIL, PHONE, "912345678", "Call missed"] {
        assert!(!held.windows(secret.len()).any(|w| w == secret.as_bytes()), "Redis holds `{secret}` in clear");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_in_the_middle_every_request_is_still_answered() {
    let mut redis = Redis::start();
    let replicas = replicas(2, Some(&redis)).await;
    let per_lookup = calls_per_lookup(&replicas, "1003").await;
    let answers = replicas.lookups_at_once(4, &lookup("1003")).await;
    assert!(answers.iter().all(|answer| answer.status == 200));

    redis.kill();
    let started = Instant::now();
    let before = replicas.upstream_calls();
    let n = 20;
    let answers = replicas.lookups_at_once(n, &lookup("1005")).await;
    assert!(answers.iter().all(|answer| answer.status == 200), "every lookup answered without the store");
    let upstream = replicas.upstream_calls() - before;
    eprintln!(
        "measured: {n} identical lookups at once over 2 replicas, Redis down: {upstream} calls ({per_lookup} per lookup)"
    );
    // Without the store nothing is shared across replicas, but identical lookups at once on one replica still
    // share one run.
    assert!(upstream >= per_lookup && upstream < n * per_lookup, "{upstream} calls for {n} lookups");
    for (i, bridge) in replicas.bridges.iter().enumerate() {
        let created = post(bridge, "/actions/create_ticket", &ticket_action(&format!("During the outage {i}"))).await;
        created.assert_json(201);
    }
    assert!(started.elapsed() < Duration::from_secs(5), "answered within the store's bounds, not Redis's");
    let failures: u64 = get(&replicas.bridges[0], "/metrics")
        .await
        .text
        .lines()
        .find_map(|line| line.strip_prefix("bridge_store_failures_total ").map(|v| v.trim().parse().unwrap()))
        .expect("bridge_store_failures is exposed");
    assert!(failures >= 1, "the failures are counted");
    let (unavailable, hits) = (replicas.store_answers("unavailable").await, replicas.store_answers("hit").await);
    assert!(unavailable >= 1, "requests answered without the store are counted");
    assert!(unavailable + hits >= n as u64 + 4, "every request counted: {unavailable} without the store, {hits} hits");
    let ready = get(&replicas.bridges[0], "/ready").await;
    assert_eq!(ready.status, 200, "/ready stays ready: the bridge works without its store");

    // Redis is back (empty, as a restarted Redis without persistence is): the store is used again.
    redis.run();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        post(&replicas.bridges[0], "/interaction_update", &lookup("1006")).await.assert_json(200);
        let before = replicas.upstream_calls();
        post(&replicas.bridges[1], "/interaction_update", &lookup("1006")).await.assert_json(200);
        if replicas.upstream_calls() == before {
            break; // the other replica's answer, shared through Redis
        }
        assert!(Instant::now() < deadline, "the replicas never used the restarted Redis");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_remembers_in_process() {
    let replicas = replicas(1, None).await;
    let bridge = &replicas.bridges[0];

    let tickets_before = replicas.fake.tickets().len();
    replicas.fake.latency(Duration::from_millis(300));
    let body = ticket_action("Call missed in Talkdesk");
    lost_answer(bridge, &body).await;
    let repeated = post(bridge, "/actions/create_ticket", &body).await.assert_json(201);
    replicas.fake.latency(Duration::ZERO);
    assert_eq!(replicas.fake.tickets().len(), tickets_before + 1, "one ticket in Zendesk");
    let again = post(bridge, "/actions/create_ticket", &body).await.assert_json(201);
    assert_eq!(again["external_id"], repeated["external_id"]);

    let per_lookup = calls_per_lookup(&replicas, "1004").await;
    replicas.fake.latency(Duration::from_millis(100));
    let before = replicas.upstream_calls();
    let answers = replicas.lookups_at_once(20, &lookup("1003")).await;
    replicas.fake.latency(Duration::ZERO);
    let upstream = replicas.upstream_calls() - before;
    assert!(answers.iter().all(|answer| answer.status == 200));
    assert_eq!(upstream, per_lookup, "20 identical lookups at once on one replica: one upstream lookup");
    eprintln!(
        "measured: 20 identical lookups at once on 1 replica, in process: {upstream} calls ({per_lookup} per lookup)"
    );
    assert!(replicas.store_answers("hit").await >= 19);

    // The same without the cache (a zero time to live turns the attribute's off): every lookup pays in full.
    let mut config = crate::zendesk::test_config();
    config.base_url = Some(bridge::http::BaseUrl::parse(&replicas._server.url()).unwrap());
    let uncached = common::start(example::bridge(config).unwrap().cache("/interaction_update", Duration::ZERO)).await;
    replicas.fake.latency(Duration::from_millis(100));
    let before = replicas.upstream_calls();
    let answers = lookups_at_once(std::slice::from_ref(&uncached), 20, &lookup("1003")).await;
    replicas.fake.latency(Duration::ZERO);
    let upstream = replicas.upstream_calls() - before;
    assert!(answers.iter().all(|answer| answer.status == 200));
    assert_eq!(upstream, 20 * per_lookup, "without the cache, every lookup makes every call");
    eprintln!("measured: 20 identical lookups at once on 1 replica, no cache: {upstream} calls");
}

#[tokio::test]
async fn redis_without_its_key_is_a_startup_error() {
    let config = crate::zendesk::test_config();
    let bridge = example::bridge(config).unwrap();
    let settings = bridge.current_settings().clone().redis_url(Secret::new("redis://127.0.0.1:1/0"));
    let error = bridge.settings(settings.clone()).into_service().err().expect("refused").to_string();
    assert!(error.contains("BRIDGE_STORE_KEY"), "{error}");
    let short =
        example::bridge(crate::zendesk::test_config()).unwrap().settings(settings.store_key(Secret::new("short")));
    let error = short.into_service().err().expect("refused").to_string();
    assert!(error.contains("shorter than 32 bytes"), "{error}");
}
