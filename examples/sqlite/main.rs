//! A bridge over a SQL database: the five Talkdesk endpoints over a small help desk kept in SQLite (agents,
//! customers, cases), through the synchronous `rusqlite` driver. `docs/guide.md` walks through it.
//!
//! ```text
//! cargo run --example sqlite                    # an in-memory database with sample data
//! SQLITE_DATABASE=desk.db cargo run --example sqlite   # a database file (created, with the schema, if new)
//! cargo run --example sqlite -- configuration --public-url https://desk-bridge.example.com
//! cargo run --example sqlite -- --help
//! cargo test --test sqlite                      # every endpoint over HTTP, and the Talkdesk simulator
//! ```
//!
//! - [`db`]: the schema, sample data, and [`db::Db::call`], the one way to the database: a blocking driver runs
//!   on tokio's blocking pool, never on the async workers;
//! - [`handlers`]: the endpoints. Credentials are an agent's email and API key, checked against the `agents`
//!   table in every request (a wrong key is a `401`); contacts are the `customers`, synchronized in the order of
//!   a revision column that triggers keep; interactions are a customer's `cases`; `create_case` opens one.

pub mod db;
pub mod handlers;

use bridge::configuration::Integration;
use bridge::Bridge;
use db::Db;
use std::process::ExitCode;

/// What only the author knows of the integration: the rest of its configuration comes from the code.
pub fn integration() -> Integration {
    Integration::new("sqlite_desk", "SQLite Desk")
        .description("Customers and their cases, from the help desk's own database.")
        .logo_url("https://desk.example.com/logo.png")
        .icon_url("https://desk.example.com/icon.png")
        .custom_auth_of::<handlers::Credentials>()
        .interaction_types(["case"])
}

/// The bridge over `db`.
pub fn bridge(db: Db) -> Bridge {
    Bridge::new()
        .state(db)
        .integration(integration())
        .endpoint(handlers::validate {})
        .endpoint(handlers::contacts {})
        .endpoint(handlers::interactions {})
        .endpoint(handlers::create_case {})
        .endpoint(handlers::agents {})
}

bridge::variables! {
    /// The example's own variables, listed by `--help` after the framework's.
    pub const VARIABLES = [
        /// Created, with the schema, if new.
        SQLITE_DATABASE = "a sample database in memory": "the database file",
    ];
}

/// The database `SQLITE_DATABASE` names, or a sample one in memory.
fn database() -> Result<Db, String> {
    match SQLITE_DATABASE.read(|path| Ok::<_, &str>(std::path::PathBuf::from(path))).map_err(|e| e.to_string())? {
        Some(path) => Db::open(&path).map_err(|err| format!("SQLITE_DATABASE {}: {err}", path.display())),
        None => {
            tracing::info!(
                "no SQLITE_DATABASE: serving a sample database in memory (agent {} with API key {})",
                db::DEMO_EMAIL,
                db::DEMO_API_KEY
            );
            Db::sample(250).map_err(|err| format!("the sample database: {err}"))
        }
    }
}

#[allow(dead_code)] // the integration tests include this file as a module and start the bridge themselves
#[tokio::main]
async fn main() -> ExitCode {
    // Logs: the bridge installs its own (stderr, RUST_LOG, BRIDGE_LOG_FORMAT=json) when it serves.
    bridge::cli!()
        .about("A Talkdesk bridge over a help desk's SQLite database")
        .variables(VARIABLES)
        .run(|| database().map(bridge))
        .await
}
