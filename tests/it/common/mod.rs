//! What the integration tests share: a running bridge on 127.0.0.1 and a JSON-speaking client.

#![allow(dead_code)] // each test file uses a different part of it

pub mod child;
pub mod logs;
pub mod recording;
pub mod schemas;
pub mod talkdesk_examples;

use bridge::{Bridge, RunningBridge};
use serde_json::Value;

/// A bridge serving on a free loopback port.
pub async fn start(bridge: Bridge) -> RunningBridge {
    bridge.bind("127.0.0.1:0".parse().unwrap()).await.expect("the bridge starts")
}

/// The ids of a contact-sync page's contacts, in order.
pub fn contact_ids(page: &Value) -> Vec<String> {
    page["contacts"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub request_id: Option<String>,
    pub retry_after: Option<String>,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The `field` of each entry of the error body's `fields`.
    pub fn fields(&self) -> Vec<String> {
        self.json()["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("no fields in {}", self.text))
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_owned())
            .collect()
    }

    pub fn assert_json(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.content_type.as_deref(), Some("application/json"), "{}", self.text);
        self.json()
    }
}

/// A GET of `path`.
pub async fn get(bridge: &RunningBridge, path: &str) -> Answer {
    send(reqwest::Client::new().get(format!("{}{path}", bridge.url()))).await
}

/// Sends `body` as a JSON POST to `path`.
pub async fn post(bridge: &RunningBridge, path: &str, body: &str) -> Answer {
    send(
        reqwest::Client::new()
            .post(format!("{}{path}", bridge.url()))
            .header("content-type", "application/json")
            .body(body.to_owned()),
    )
    .await
}

pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the bridge answers");
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (content_type, request_id, retry_after) =
        (header("content-type"), header("x-request-id"), header("retry-after"));
    let text = response.text().await.unwrap();
    Answer { status, content_type, request_id, retry_after, text }
}
