//! Mistakes the macros cannot see, because they span several handlers or depend on what `main` mounts: the
//! bridge refuses to start, with an error that names the handlers and types involved. (Compile-time mistakes are
//! covered by `bridge-macros/tests/ui.rs`.)

use bridge::{ActionOutcome, Auth, Bridge, BuildError, ContactPage, Error, State};

#[bridge::action_executor(name = "create_ticket")]
async fn create_ticket(_auth: Auth<String>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("created"))
}

/// A second action with the same name: each macro sees one handler, so only `into_service` can tell.
#[bridge::action_executor(name = "create_ticket")]
async fn open_ticket(_auth: Auth<String>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("opened"))
}

#[derive(Clone)]
struct Database;

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<String>, _db: State<Database>) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

#[test]
fn two_actions_with_one_name_do_not_start() {
    let err = match Bridge::new().endpoint(create_ticket {}).endpoint(open_ticket {}).into_service() {
        Ok(_) => panic!("two handlers on one path must not start"),
        Err(err) => err,
    };
    match &err {
        BuildError::DuplicatePath { path, first, second } => {
            assert_eq!((*path, *first, *second), ("/actions/create_ticket", "create_ticket", "open_ticket"));
        }
        other => panic!("expected DuplicatePath, got {other:?}"),
    }
    let message = err.to_string();
    for name in ["create_ticket", "open_ticket", "/actions/create_ticket"] {
        assert!(message.contains(name), "{message:?} should name {name}");
    }
}

#[test]
fn an_action_with_another_path_starts() {
    // The fix the message suggests: another `path` (or `name`) for one of them.
    #[bridge::action_executor(name = "create_ticket", path = "/actions/open_ticket")]
    async fn open_ticket_elsewhere(_auth: Auth<String>) -> Result<ActionOutcome, Error> {
        Ok(ActionOutcome::message("opened"))
    }
    assert!(Bridge::new().endpoint(create_ticket {}).endpoint(open_ticket_elsewhere {}).into_service().is_ok());
}

#[test]
fn a_missing_state_does_not_start() {
    let err = match Bridge::new().endpoint(contacts {}).into_service() {
        Ok(_) => panic!("a handler without its state must not start"),
        Err(err) => err,
    };
    match &err {
        BuildError::MissingState { handler, type_name } => {
            assert_eq!(*handler, "contacts");
            assert!(type_name.ends_with("Database"), "{type_name}");
        }
        other => panic!("expected MissingState, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("contacts") && message.contains("Database"), "{message}");
}

#[test]
fn the_state_given_to_the_bridge_is_found() {
    assert!(Bridge::new().state(Database).endpoint(contacts {}).into_service().is_ok());
}

/// A deadline for a path no endpoint answers on (a typo, or an endpoint since moved) does not leave its endpoint at
/// the default deadline without a word: the bridge does not start, and says which path and which paths there are.
#[test]
fn a_deadline_for_a_path_no_endpoint_answers_on_does_not_start() {
    use std::time::Duration;
    let bridge = || Bridge::new().state(Database).endpoint(contacts {}).endpoint(create_ticket {});
    let err = match bridge().deadline_for("/contacts_sync", Duration::from_secs(60)).into_service() {
        Ok(_) => panic!("a deadline for an unknown path must not start"),
        Err(err) => err,
    };
    assert!(matches!(&err, BuildError::UnknownDeadlinePath { path, .. } if path == "/contacts_sync"), "{err:?}");
    let message = err.to_string();
    for named in ["/contacts_sync", "/contact_sync", "/actions/create_ticket"] {
        assert!(message.contains(named), "{message:?} should name {named}");
    }
    let from_env = bridge().settings(
        bridge::Settings::new()
            .overlay(|name| (name == "BRIDGE_ENDPOINT_DEADLINES").then(|| "/contact_sync=60,/agent_sync=5".to_owned()))
            .unwrap(),
    );
    let err = from_env.into_service().err().expect("`/agent_sync` is not served by this bridge");
    assert!(err.to_string().contains("`/agent_sync`"), "{err}");
    assert!(bridge().deadline_for("/contact_sync", Duration::from_secs(60)).into_service().is_ok());
}
