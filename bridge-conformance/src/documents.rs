//! The integration's configuration documents, as Talkdesk is given them: fetched from the bridge's
//! `GET /configuration` (at a URL or in process) or read from files, and sorted into the integration's document
//! and one per action.
//!
//! Every shape a team may have them in is accepted: what a bridge of this framework serves
//! (`{"integration": …, "actions": […]}`), one document per file, or an array of documents. An action's document is
//! the one with a `provider`.

use bridge_runtime::testing::{HttpTransport, TestClient};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// The documents of one integration.
#[derive(Debug, Clone, PartialEq)]
pub struct Documents {
    /// Where they came from, for the report: `GET http://…/configuration`, `GET /configuration of a bridge in
    /// process`, or the files.
    pub source: String,
    /// The integration's document.
    pub integration: Value,
    /// One document per action, in the order given.
    pub actions: Vec<Value>,
}

impl Documents {
    /// Sorts `values` (each a document, an array of documents, or `{"integration": …, "actions": […]}`) into one
    /// integration and its actions; says what is wrong when there is not exactly one integration.
    ///
    /// ```
    /// use bridge_conformance::documents::Documents;
    /// use serde_json::json;
    ///
    /// let served = json!({"integration": {"name": "desk"}, "actions": [{"provider": "desk", "name": "a"}]});
    /// let documents = Documents::sort("GET /configuration", vec![served]).unwrap();
    /// assert_eq!((documents.integration["name"].as_str(), documents.actions.len()), (Some("desk"), 1));
    /// ```
    pub fn sort(source: impl Into<String>, values: Vec<Value>) -> Result<Self, String> {
        let mut integrations = Vec::new();
        let mut actions = Vec::new();
        let mut pending = values;
        pending.reverse();
        while let Some(value) = pending.pop() {
            match value {
                Value::Array(items) => pending.extend(items.into_iter().rev()),
                Value::Object(mut fields) if fields.contains_key("integration") => {
                    if let Some(listed) = fields.remove("actions") {
                        match listed {
                            Value::Array(items) => actions.extend(items),
                            other => return Err(format!("`actions` is {}, not an array of documents", kind(&other))),
                        }
                    }
                    integrations.push(fields.remove("integration").unwrap_or(Value::Null));
                }
                Value::Object(fields) if fields.contains_key("provider") => actions.push(Value::Object(fields)),
                Value::Object(fields) => integrations.push(Value::Object(fields)),
                other => return Err(format!("a document is {}, not an object", kind(&other))),
            }
        }
        match integrations.len() {
            1 => Ok(Self { source: source.into(), integration: integrations.remove(0), actions }),
            0 => Err("no integration document (only actions' documents, which have a `provider`)".into()),
            n => Err(format!("{n} integration documents: give one")),
        }
    }

    /// The documents in `files`, as given with `--configuration`.
    pub fn read(files: &[PathBuf]) -> Result<Self, String> {
        let mut values = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(file)
                .map_err(|err| format!("--configuration: cannot read {}: {err}", file.display()))?;
            let value = serde_json::from_str(&text)
                .map_err(|err| format!("--configuration: {} is not JSON: {err}", file.display()))?;
            values.push(value);
        }
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        Self::sort(names.join(", "), values).map_err(|err| format!("--configuration: {err}"))
    }

    /// The documents the bridge at `url` serves at `GET /configuration` (see [`served_by`](Self::served_by)).
    pub async fn fetch(url: &str, timeout: Duration) -> Result<Self, String> {
        Self::served_by(&TestClient::with_transport(HttpTransport::with_timeout(url, timeout))).await
    }

    /// The documents the bridge `client` reaches serves at `GET /configuration`, at a URL or in process; says why
    /// not, with what to do instead.
    pub async fn served_by(client: &TestClient) -> Result<Self, String> {
        let target = client.describe();
        // What to do says what the user can change: flags at a URL, the bridge and the options in process.
        let (source, hint, header) = if target.contains("://") {
            (
                format!("GET {target}/configuration"),
                "if the bridge does not serve its documents, give them with --configuration FILE",
                "give it with --header 'Authorization: Bearer …' (or whatever header the bridge expects)",
            )
        } else {
            (
                format!("GET /configuration of {target}"),
                "give the bridge its `Integration` (`Bridge::integration`), or name the documents' files in \
                 `Options::configuration`",
                "give it in `Options::headers` (or with `TestClient::header`)",
            )
        };
        let response = client.get("/configuration").header("accept", "application/json").try_send().await;
        let response = response.map_err(|err| {
            // An HTTP transport's error already starts with the request.
            let why = err.message().strip_prefix(&format!("{source}: ")).unwrap_or(err.message());
            format!("{source}: no answer ({why})")
        })?;
        let status = response.status();
        if status == 401 || status == 403 {
            return Err(format!("{source} answered {status}: the bridge requires a token of its own; {header}"));
        }
        if !status.is_success() {
            return Err(format!("{source} answered {status}: {hint}"));
        }
        let value =
            serde_json::from_slice(response.body()).map_err(|_| format!("{source}: the body is not JSON: {hint}"))?;
        Self::sort(source.clone(), vec![value]).map_err(|err| format!("{source}: {err}"))
    }

    /// Each action's name, when it has one.
    pub fn action_names(&self) -> Vec<&str> {
        self.actions.iter().filter_map(|action| action["name"].as_str()).collect()
    }
}

/// The kind of a JSON value, for messages: `an array`.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_every_shape_into_one_integration_and_its_actions() {
        let integration = json!({"name": "desk", "authentication_type": "none"});
        let action = json!({"provider": "desk", "name": "create_ticket"});
        let served = json!({"integration": integration, "actions": [action]});
        for values in [
            vec![served],
            vec![integration.clone(), action.clone()],
            vec![json!([integration, action])],
            vec![json!([action]), integration.clone()],
        ] {
            let documents = Documents::sort("test", values).unwrap();
            assert_eq!(documents.integration, integration);
            assert_eq!(documents.actions, std::slice::from_ref(&action));
            assert_eq!(documents.action_names(), ["create_ticket"]);
        }
        assert!(Documents::sort("t", vec![action.clone()]).unwrap_err().starts_with("no integration document"));
        assert_eq!(
            Documents::sort("t", vec![integration.clone(), integration.clone()]),
            Err("2 integration documents: give one".into())
        );
        assert_eq!(Documents::sort("t", vec![json!(3)]), Err("a document is a number, not an object".into()));
        assert_eq!(
            Documents::sort("t", vec![json!({"integration": {}, "actions": {}})]),
            Err("`actions` is an object, not an array of documents".into())
        );
    }

    #[test]
    fn reads_files_and_says_which_one_is_wrong() {
        let dir = std::env::temp_dir().join(format!("bridge-conformance-documents-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (good, bad) = (dir.join("integration.json"), dir.join("bad.json"));
        std::fs::write(&good, r#"{"name": "desk"}"#).unwrap();
        std::fs::write(&bad, "{").unwrap();
        assert_eq!(Documents::read(std::slice::from_ref(&good)).unwrap().integration["name"], "desk");
        let err = Documents::read(&[good, bad.clone()]).unwrap_err();
        assert!(err.starts_with(&format!("--configuration: {} is not JSON", bad.display())), "{err}");
        let err = Documents::read(&[dir.join("missing.json")]).unwrap_err();
        assert!(err.contains("cannot read"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn in_process_what_to_do_names_the_bridge_and_the_options_not_flags() {
        use bridge_runtime::{Bridge, Secret};
        let undocumented = TestClient::new(Bridge::new()).unwrap();
        let err = Documents::served_by(&undocumented).await.unwrap_err();
        assert!(err.starts_with("GET /configuration of a bridge in process answered 404"), "{err}");
        assert!(err.contains("`Bridge::integration`") && !err.contains("--configuration"), "{err}");
        let guarded = TestClient::new(Bridge::new().inbound_token(Secret::new("t"))).unwrap();
        let err = Documents::served_by(&guarded).await.unwrap_err();
        assert!(err.contains("answered 403") && err.contains("`Options::headers`"), "{err}");
    }
}
