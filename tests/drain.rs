//! Rolling out without dropping a call: a real SIGTERM, sent to this process during a stream of requests, makes
//! `GET /ready` answer `503` at once while every request is still answered for the drain delay; then the bridge
//! stops accepting, finishes the requests in flight, and returns.
//!
//! One test in its own binary: the signal goes to the whole process.

use bridge::{Auth, Bridge, Error, Interaction, InteractionData, InteractionMeta};
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Deserialize)]
struct Credentials {
    #[allow(dead_code)]
    user: String,
}

#[bridge::auth_validator]
async fn validate(_auth: Auth<Credentials>) -> Result<(), Error> {
    Ok(())
}

/// Takes as many milliseconds as the contact's id says.
#[bridge::interaction_retriever]
async fn lookup(
    _auth: Auth<Credentials>,
    _meta: InteractionMeta,
    data: InteractionData,
) -> Result<Vec<Interaction>, Error> {
    let millis: u64 = data.contact_external_id.and_then(|id| id.parse().ok()).unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Ok(Vec::new())
}

const DRAIN: Duration = Duration::from_millis(2_000);
const SLOW: u64 = 1_500;

fn post(client: &reqwest::Client, url: &str, path: &str, body: &str) -> reqwest::RequestBuilder {
    client.post(format!("{url}{path}")).header("content-type", "application/json").body(body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_without_failing_a_request() {
    // From here on SIGTERM is handled, not fatal, for the whole process (whatever else listens to it).
    let _guard = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    let running = Bridge::new()
        .endpoint(validate {})
        .endpoint(lookup {})
        .drain_delay(DRAIN)
        .shutdown_grace(Duration::from_secs(10))
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = running.url();
    let server = tokio::spawn(running.run_until_signal());
    tokio::time::sleep(Duration::from_millis(200)).await; // the server listens for the signal

    // A stream of requests, as a load balancer sends them, each recorded with when it was sent and its outcome.
    let stop = Arc::new(AtomicBool::new(false));
    let stream = {
        let (url, stop) = (url.clone(), Arc::clone(&stop));
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut sent = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let at = Instant::now();
                let outcome = post(&client, &url, "/auth_validation", r#"{"auth": {"user": "u"}}"#)
                    .send()
                    .await
                    .map(|answer| answer.status().as_u16());
                sent.push((at, outcome));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            sent
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{url}/ready")).send().await.unwrap().status(), 200);

    let signalled = Instant::now();
    let killed = std::process::Command::new("kill").args(["-TERM", &std::process::id().to_string()]).status().unwrap();
    assert!(killed.success());
    // Not ready at once…
    let flipped = loop {
        let status = client.get(format!("{url}/ready")).send().await.unwrap().status();
        if status == 503 {
            break signalled.elapsed();
        }
        assert!(signalled.elapsed() < Duration::from_millis(500), "/ready still {status}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(flipped < Duration::from_millis(500), "{flipped:?}");
    // …but alive and serving.
    assert_eq!(client.get(format!("{url}/health")).send().await.unwrap().status(), 200);

    // Requests still in flight when the bridge stops accepting: sent 0.5 s before the delay ends, they take 1.5 s.
    tokio::time::sleep(DRAIN - Duration::from_millis(500) - signalled.elapsed()).await;
    let in_flight: Vec<_> = (0..3)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            let body = format!(
                r#"{{"auth": {{"user": "u"}}, "meta": {{"interaction_types": ["case"]}}, "data": {{"contact_external_id": "{SLOW}"}}}}"#
            );
            tokio::spawn(async move { post(&client, &url, "/interaction_update", &body).send().await.map(|r| r.status()) })
        })
        .collect();
    tokio::time::sleep(DRAIN - signalled.elapsed() + Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let sent = stream.await.unwrap();

    // Zero failures while the delay lasted (with a margin for a request sent just before it ended).
    let during: Vec<_> = sent
        .iter()
        .filter(|(at, _)| *at >= signalled && *at < signalled + DRAIN - Duration::from_millis(100))
        .collect();
    assert!(during.len() > 50, "only {} requests during the drain delay", during.len());
    let failed: Vec<_> = during.iter().filter(|(_, outcome)| !matches!(outcome, Ok(204))).collect();
    assert!(failed.is_empty(), "{} of {} failed during the drain delay: {failed:?}", failed.len(), during.len());
    let before: Vec<_> = sent.iter().filter(|(at, _)| *at < signalled).collect();
    assert!(before.iter().all(|(_, outcome)| matches!(outcome, Ok(204))));

    // Once the delay is over the bridge accepts no new connection…
    let fresh = reqwest::Client::new();
    assert!(fresh.get(format!("{url}/health")).send().await.is_err(), "still accepting after the drain delay");
    // …and every request in flight is answered, after which the server returns.
    for request in in_flight {
        assert_eq!(request.await.unwrap().unwrap(), 200);
    }
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("the server returns").unwrap();
    assert!(signalled.elapsed() >= DRAIN + Duration::from_millis(900), "returned before its requests were answered");
}
