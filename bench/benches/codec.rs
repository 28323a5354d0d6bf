//! Micro-benchmarks of what bridge adds around serde_json: request decoding + validation, and response encoding,
//! each against plain serde_json on the same types.
//!
//! `cargo bench --bench codec` (from bench/). Groups:
//! - `decode/<endpoint>`: `bridge::__private::decode_request` (the framework's path) against `serde_json::from_slice` of the
//!   same `Envelope` type, of a plain `#[derive(Deserialize)]` struct with the same three fields, and of the plain
//!   types of `bench-warp-strings` ([`bridge_bench::plain`]);
//! - `decode_invalid/interactions`: a request with four bad fields: bridge names all four, serde_json stops at the
//!   first (the price of the better `400`, paid only by bad requests);
//! - `encode/<endpoint>`: the `Reply` impl the generated code calls (JSON body, status, `Content-Type`) against
//!   `serde_json::to_vec` plus the same `Response`, on the same value and on the same answer in plain types.

use bridge::__private::Reply;
use bridge::{
    ActionMeta, ActionOutcome, ContactSyncMeta, Envelope, Interaction, InteractionData, InteractionMeta, Secret,
};
use bridge_bench::{plain, Credentials, Endpoint, Model, NewTicket, Service};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::time::Duration;
use warp::http::header::{HeaderValue, CONTENT_TYPE};
use warp::http::StatusCode;
use warp::reply::Response;

/// The plain-serde shape of a request: what one would derive without the envelope's rules (missing or `null`
/// sections read as empty objects, duplicates refused).
#[derive(Deserialize)]
#[allow(dead_code)] // decoded, never read
struct Plain<A, M, D> {
    auth: A,
    meta: M,
    data: D,
}

fn bench_decode<A, M, D, P>(c: &mut Criterion, endpoint: Endpoint)
where
    A: DeserializeOwned,
    M: DeserializeOwned,
    D: DeserializeOwned,
    P: DeserializeOwned,
{
    let body = endpoint.body().as_bytes();
    assert!(bridge::__private::decode_request::<A, M, D>(body).is_ok(), "the {} body decodes", endpoint.name());
    let mut group = c.benchmark_group(format!("decode/{}", endpoint.name()));
    group.bench_function("bridge::decode_request", |b| {
        b.iter(|| bridge::__private::decode_request::<A, M, D>(black_box(body)).expect("valid"))
    });
    group.bench_function("serde_json Envelope", |b| {
        b.iter(|| serde_json::from_slice::<Envelope<A, M, D>>(black_box(body)).expect("valid"))
    });
    if serde_json::from_slice::<Plain<A, M, D>>(body).is_ok() {
        group.bench_function("serde_json derived struct", |b| {
            b.iter(|| serde_json::from_slice::<Plain<A, M, D>>(black_box(body)).expect("valid"))
        });
    }
    group.bench_function("serde_json plain types", |b| {
        b.iter(|| serde_json::from_slice::<P>(black_box(body)).expect("valid"))
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    type Strings = plain::Service;
    bench_decode::<Credentials, InteractionMeta, InteractionData, <Strings as Model>::InteractionRequest>(
        c,
        Endpoint::Interactions,
    );
    bench_decode::<Credentials, ContactSyncMeta, IgnoredAny, <Strings as Model>::ContactRequest>(c, Endpoint::Contacts);
    bench_decode::<Credentials, ActionMeta, NewTicket, <Strings as Model>::ActionRequest>(c, Endpoint::Action);

    let invalid = br#"{"auth":{"username":"john.doe@example.com"},"meta":{"interaction_types":["case",7,"note",false]},"data":{"contact_emails":"jane@example.com"}}"#;
    let err = bridge::__private::decode_request::<Credentials, InteractionMeta, InteractionData>(invalid).unwrap_err();
    assert_eq!(err.fields().len(), 4, "{err:?}");
    let mut group = c.benchmark_group("decode_invalid/interactions");
    group.bench_function("bridge::decode_request (all 4 fields)", |b| {
        b.iter(|| bridge::__private::decode_request::<Credentials, InteractionMeta, InteractionData>(black_box(invalid)).err())
    });
    group.bench_function("serde_json Envelope (first error)", |b| {
        b.iter(|| {
            serde_json::from_slice::<Envelope<Credentials, InteractionMeta, InteractionData>>(black_box(invalid)).err()
        })
    });
    group.finish();
}

/// What hand-written code does: `serde_json::to_vec`, then the response with its status and `Content-Type`.
fn plain_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let mut response = Response::new(serde_json::to_vec(value).expect("encodes").into());
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn bench_encode<T: Reply + Serialize + Clone, P: Serialize + Clone>(
    c: &mut Criterion,
    name: &str,
    status: StatusCode,
    value: T,
    strings: P,
) {
    let size = serde_json::to_vec(&value).unwrap().len();
    assert_eq!(serde_json::to_vec(&strings).unwrap(), serde_json::to_vec(&value).unwrap(), "same bytes");
    let mut group = c.benchmark_group(format!("encode/{name} ({size} bytes)"));
    // Both routines take the value by value and drop it inside the measurement (the Reply impl consumes it).
    group.bench_function("bridge Reply::into_response", |b| {
        b.iter_batched(|| value.clone(), |v| v.into_response(), BatchSize::SmallInput)
    });
    group.bench_function("serde_json::to_vec + Response", |b| {
        b.iter_batched(
            || value.clone(),
            |v| {
                let response = plain_response(status, &v);
                drop(v);
                response
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("serde_json::to_vec + Response, plain types", |b| {
        b.iter_batched(
            || strings.clone(),
            |v| {
                let response = plain_response(status, &v);
                drop(v);
                response
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let service = Service::new();
    let strings = <plain::Service as Model>::start();
    let body = |endpoint: Endpoint| endpoint.body().as_bytes();
    let credentials =
        Credentials { username: bridge_bench::USERNAME.into(), password: Secret::new(bridge_bench::PASSWORD) };
    let request: Envelope<Credentials, InteractionMeta, InteractionData> =
        serde_json::from_str(Endpoint::Interactions.body()).unwrap();
    let interactions: Vec<Interaction> = service.interactions(&credentials, &request.meta, &request.data).unwrap();
    let plain_interactions =
        strings.interactions(&serde_json::from_slice(body(Endpoint::Interactions)).unwrap()).unwrap();
    bench_encode(c, "interactions", StatusCode::OK, interactions, plain_interactions);

    let meta: ContactSyncMeta = serde_json::from_str("{}").unwrap();
    let page = service.contacts(&credentials, &meta).unwrap();
    let plain_page = strings.contacts(&serde_json::from_slice(body(Endpoint::Contacts)).unwrap()).unwrap();
    bench_encode(c, "contacts", StatusCode::OK, page, plain_page);

    let request: Envelope<Credentials, ActionMeta, NewTicket> = serde_json::from_str(Endpoint::Action.body()).unwrap();
    let outcome: ActionOutcome = service.create_ticket(&credentials, &request.meta, &request.data).unwrap();
    let plain_outcome = strings.create_ticket(&serde_json::from_slice(body(Endpoint::Action)).unwrap()).unwrap();
    bench_encode(c, "action", StatusCode::CREATED, outcome, plain_outcome);
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = decode, encode }
criterion_main!(benches);
