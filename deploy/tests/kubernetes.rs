//! `deploy/kubernetes/`: every manifest parses into the Kubernetes API's own types (`k8s-openapi`) and back
//! without losing a field, so that a typo (`readinesProbe`, a string where a number goes) fails here rather than in
//! a cluster; and the manifests agree with each other and with what the Zendesk example binary serves — the
//! binary is started with the manifests' environment and probed on the manifests' paths and ports.
//! `deploy/redis/` (optional: the Redis the replicas share) parses too and is what the ConfigMap points at.

#[path = "../../tests/it/common/child.rs"]
mod child;

use child::{clean_command, example_binary, Running};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Container, Secret, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Every manifest, by kind.
#[derive(Default)]
struct Manifests {
    deployment: Option<Deployment>,
    service: Option<Service>,
    config: Option<ConfigMap>,
    secret: Option<Secret>,
    hpa: Option<HorizontalPodAutoscaler>,
    pdb: Option<PodDisruptionBudget>,
}

/// `document` as a `T`, checked to serialize back to the same document: a field `T` does not know is lost on the
/// way and fails the comparison.
fn typed<T: DeserializeOwned + Serialize>(file: &str, document: &Value) -> T {
    let value: T = serde_json::from_value(document.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let back = serde_json::to_value(&value).unwrap();
    assert_eq!(&back, document, "{file}: a field the Kubernetes API does not know, or a value of the wrong type");
    value
}

fn load() -> Manifests {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("kubernetes");
    let mut manifests = Manifests::default();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(file.ends_with(".yaml"), "{file}: only .yaml manifests belong here");
        let text = std::fs::read_to_string(&path).unwrap();
        let document: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        match document["kind"].as_str() {
            Some("Deployment") => manifests.deployment = Some(typed(&file, &document)),
            Some("Service") => manifests.service = Some(typed(&file, &document)),
            Some("ConfigMap") => manifests.config = Some(typed(&file, &document)),
            Some("Secret") => manifests.secret = Some(typed(&file, &document)),
            Some("HorizontalPodAutoscaler") => manifests.hpa = Some(typed(&file, &document)),
            Some("PodDisruptionBudget") => manifests.pdb = Some(typed(&file, &document)),
            other => panic!("{file}: unexpected kind {other:?}"),
        }
    }
    manifests
}

fn container(deployment: &Deployment) -> &Container {
    let pod = deployment.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert_eq!(pod.containers.len(), 1);
    &pod.containers[0]
}

fn port_named(container: &Container, name: &str) -> i32 {
    let ports = container.ports.as_ref().unwrap();
    ports.iter().find(|p| p.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no port {name}")).container_port
}

fn http_get(probe: &Option<k8s_openapi::api::core::v1::Probe>) -> (String, String) {
    let get = probe.as_ref().unwrap().http_get.as_ref().unwrap();
    let port = match &get.port {
        IntOrString::String(name) => name.clone(),
        IntOrString::Int(port) => port.to_string(),
    };
    (get.path.clone().unwrap(), port)
}

fn port_of(addr: &str) -> i32 {
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

#[test]
fn the_manifests_parse_into_kubernetes_types_and_agree_with_each_other() {
    let m = load();
    let (deployment, service, config, secret, hpa, pdb) = (
        m.deployment.expect("a Deployment"),
        m.service.expect("a Service"),
        m.config.expect("a ConfigMap"),
        m.secret.expect("a Secret"),
        m.hpa.expect("a HorizontalPodAutoscaler"),
        m.pdb.expect("a PodDisruptionBudget"),
    );
    let name = deployment.metadata.name.clone().unwrap();
    let spec = deployment.spec.as_ref().unwrap();
    let pod_labels = spec.template.metadata.as_ref().unwrap().labels.clone().unwrap();
    let selects = |selector: &BTreeMap<String, String>| selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v));
    assert!(selects(spec.selector.match_labels.as_ref().unwrap()));
    assert!(selects(service.spec.as_ref().unwrap().selector.as_ref().unwrap()), "the Service selects the pods");
    assert!(selects(pdb.spec.as_ref().unwrap().selector.as_ref().unwrap().match_labels.as_ref().unwrap()));
    let target = &hpa.spec.as_ref().unwrap().scale_target_ref;
    assert_eq!((target.kind.as_str(), target.name.as_str()), ("Deployment", name.as_str()));

    let container = container(&deployment);
    let env = config.data.clone().unwrap();
    // The bridge listens on 0.0.0.0:$PORT: the container's `http` port; the metrics on BRIDGE_METRICS_ADDR.
    assert_eq!(port_named(container, "http"), env["PORT"].parse::<i32>().unwrap());
    assert_eq!(port_named(container, "metrics"), port_of(&env["BRIDGE_METRICS_ADDR"]));
    assert!(!env.contains_key("BRIDGE_ADDR"), "BRIDGE_ADDR would override PORT");
    for port in &service.spec.as_ref().unwrap().ports.clone().unwrap() {
        match port.target_port.as_ref().unwrap() {
            IntOrString::String(name) => assert_eq!(name, "http", "the Service exposes the bridge's port only"),
            IntOrString::Int(_) => panic!("name the target port"),
        }
    }
    // Probes: liveness on /health, readiness on /ready, both on the bridge's port (and neither needs the token).
    assert_eq!(http_get(&container.liveness_probe), ("/health".to_owned(), "http".to_owned()));
    assert_eq!(http_get(&container.readiness_probe), ("/ready".to_owned(), "http".to_owned()));
    // Prometheus scrapes the metrics port, where no token is needed.
    let annotations = spec.template.metadata.as_ref().unwrap().annotations.clone().unwrap();
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/path"], "/metrics");
    assert_eq!(annotations["prometheus.io/port"].parse::<i32>().unwrap(), port_named(container, "metrics"));
    // The pod is given time to drain and then finish what is in flight.
    let drain: f64 = env["BRIDGE_DRAIN_DELAY"].parse().unwrap();
    let grace = spec.template.spec.as_ref().unwrap().termination_grace_period_seconds.unwrap();
    assert!(grace as f64 > drain + bridge::DEFAULT_SHUTDOWN_GRACE.as_secs_f64(), "{grace} s");
    // The token comes from the Secret, the rest from the ConfigMap.
    let token_ref = container.env.as_ref().unwrap().iter().find(|e| e.name == "BRIDGE_TOKEN").unwrap();
    let key = token_ref.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
    assert_eq!(Some(&key.name), secret.metadata.name.as_ref());
    assert!(secret.string_data.as_ref().unwrap().contains_key(&key.key));
    let from = container.env_from.as_ref().unwrap()[0].config_map_ref.as_ref().unwrap();
    assert_eq!(Some(&from.name), config.metadata.name.as_ref());
    // Restricted: non-root, no privilege escalation, every capability dropped, resources bounded.
    let security = container.security_context.as_ref().unwrap();
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(security.run_as_non_root, Some(true));
    assert_eq!(security.capabilities.as_ref().unwrap().drop.as_deref(), Some(&["ALL".to_owned()][..]));
    let resources = container.resources.as_ref().unwrap();
    for key in ["cpu", "memory"] {
        assert!(
            resources.requests.as_ref().unwrap().contains_key(key)
                && resources.limits.as_ref().unwrap().contains_key(key)
        );
    }
}

#[test]
fn the_binary_serves_what_the_manifests_probe_with_the_manifests_environment() {
    let m = load();
    let (deployment, config, secret) = (m.deployment.unwrap(), m.config.unwrap(), m.secret.unwrap());
    let mut env: BTreeMap<String, String> = config.data.unwrap();
    env.extend(secret.string_data.unwrap());
    // Every variable the manifests set is one the binary documents (`zendesk --help`).
    let help = clean_command(example_binary("zendesk")).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for name in env.keys() {
        assert!(help.contains(name.as_str()), "{name} is not a variable the binary reads:\n{help}");
    }
    // Free ports instead of the manifests' (checked against each other above), and a short drain.
    env.insert("PORT".into(), "0".into());
    env.insert("BRIDGE_METRICS_ADDR".into(), "127.0.0.1:0".into());
    env.insert("BRIDGE_DRAIN_DELAY".into(), "1".into());
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut bridge = Running::start(&example_binary("zendesk"), &[], &pairs);
    let logged_addr = |message: &'static str| {
        move |line: &str| {
            let json: Value = serde_json::from_str(line).ok()?; // BRIDGE_LOG_FORMAT=json, from the ConfigMap
            (json["fields"]["message"] == message).then(|| json["fields"]["addr"].as_str().map(port_of))?
        }
    };
    let http = bridge.wait_stderr("listening", logged_addr("listening"));
    let metrics = bridge.wait_stderr("metrics address", logged_addr("serving GET /metrics"));
    let container = container(&deployment);
    let (live, _) = http_get(&container.liveness_probe);
    let (ready, _) = http_get(&container.readiness_probe);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let get = |port: i32, path: &str| client.get(format!("http://127.0.0.1:{port}{path}")).send();
        assert_eq!(get(http, &live).await.unwrap().status(), 200);
        assert_eq!(get(http, &ready).await.unwrap().status(), 200);
        let scraped = get(metrics, "/metrics").await.unwrap();
        assert_eq!(scraped.status(), 200);
        assert!(scraped.text().await.unwrap().contains("bridge_requests_total"));
        // On the bridge's own port, the metrics need the token from the Secret.
        assert_eq!(get(http, "/metrics").await.unwrap().status(), 403);
    });
    assert_eq!(bridge.terminate(), Some(0));
}

#[test]
fn the_optional_redis_parses_and_is_what_the_config_map_points_at() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("redis");
    let text = std::fs::read_to_string(dir.join("redis.yaml")).unwrap();
    let (mut deployment, mut service) = (None::<Deployment>, None::<Service>);
    for document in serde_norway::Deserializer::from_str(&text) {
        let document = Value::deserialize(document).unwrap();
        match document["kind"].as_str() {
            Some("Deployment") => deployment = Some(typed("redis.yaml", &document)),
            Some("Service") => service = Some(typed("redis.yaml", &document)),
            other => panic!("redis.yaml: unexpected kind {other:?}"),
        }
    }
    let (deployment, service) = (deployment.expect("a Deployment"), service.expect("a Service"));
    let pod_labels = deployment.spec.as_ref().unwrap().template.metadata.as_ref().unwrap().labels.clone().unwrap();
    let selector = service.spec.as_ref().unwrap().selector.clone().unwrap();
    assert!(selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)), "the Service selects the Redis pod");
    let port = service.spec.as_ref().unwrap().ports.as_ref().unwrap()[0].port;
    // The ConfigMap's (commented) BRIDGE_REDIS_URL names this Service and port.
    let config = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("kubernetes/configmap.yaml"));
    let name = service.metadata.name.clone().unwrap();
    assert!(config.unwrap().contains(&format!("BRIDGE_REDIS_URL: \"redis://{name}:{port}/0\"")));
    // The key the URL needs is in the Secret, and the bridge reads it from there.
    let m = load();
    assert!(m.secret.unwrap().string_data.unwrap().contains_key("BRIDGE_STORE_KEY"));
    let env = container(&m.deployment.unwrap()).env.clone().unwrap();
    assert!(env.iter().any(|e| e.name == "BRIDGE_STORE_KEY" && e.value_from.is_some()));
}
