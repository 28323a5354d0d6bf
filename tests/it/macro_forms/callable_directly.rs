//! The annotated function stays an ordinary `async fn`: tests call it directly.
#![deny(warnings)]

use bridge::{ActionMeta, ActionOutcome, Auth, Data, Error, State};

#[derive(serde::Deserialize, bridge::ActionInputs)]
struct Greeting {
    /// Greeting
    text: String,
}

#[bridge::action_executor(name = "greet")]
async fn greet(
    Auth(user): Auth<String>,
    _meta: ActionMeta,
    Data(Greeting { text: greeting }): Data<Greeting>,
    State(punctuation): State<char>,
) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message(format!("{greeting}, {user}{punctuation}")))
}

#[test]
fn compiles_and_runs() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let meta: ActionMeta = serde_json::from_str("{}").unwrap();
    let outcome =
        runtime.block_on(greet(Auth("Ann".into()), meta, Data(Greeting { text: "Hello".into() }), State('!'))).unwrap();
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(json["message"], "Hello, Ann!");
    // The endpoint struct lives beside it, in the type namespace.
    let _endpoint: greet = greet {};
}
