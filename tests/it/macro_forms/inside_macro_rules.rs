//! A handler written by a `macro_rules!` macro of the user's: generated code still resolves.
#![deny(warnings)]

use bridge::{ActionOutcome, Auth, Bridge, Error, State};

macro_rules! echo_action {
    ($name:ident, $text:literal) => {
        #[bridge::action_executor(name = $text)]
        async fn $name(_auth: Auth<String>, State(suffix): State<&'static str>) -> Result<ActionOutcome, Error> {
            Ok(ActionOutcome::message(format!("{}{}", $text, suffix)))
        }
    };
}

echo_action!(hello, "hello");
echo_action!(goodbye, "goodbye");

#[test]
fn compiles_and_runs() {
    assert!(Bridge::new().state("!").endpoint(hello {}).endpoint(goodbye {}).into_service().is_ok());
}
