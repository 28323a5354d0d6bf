//! The database: its schema, sample data, and the one way the handlers reach it — [`Db::call`], which runs a
//! closure over the connection on tokio's blocking pool.
//!
//! `rusqlite` is a synchronous driver: each call blocks its thread until SQLite answers. Run on an async task, it
//! would stall every other request scheduled on that worker thread, so every query goes through
//! [`tokio::task::spawn_blocking`]. The connection is shared as an `Arc<Mutex<Connection>>`: one query at a time,
//! which is what SQLite does anyway for writes (one writer per database), and the only way to share an in-memory
//! database (each connection to `:memory:` is a database of its own). A server database (PostgreSQL, MySQL) wants
//! a pool of connections instead, or an async driver; `docs/guide.md` says when.

use bridge::{Error, ResultExt};
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The tables the bridge reads, and the column that orders changes.
///
/// `customers.revision` grows with every insert or update (the triggers set it to one more than the largest, in
/// the writing transaction), whoever writes: the app that owns the data, an import, `sqlite3` by hand. Contact
/// synchronization reads customers in `revision` order and answers the last one sent as its checkpoint, so an
/// incremental sync is `revision > checkpoint`: exact, with no clock involved and no two changes sharing a value.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS agents (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    email   TEXT NOT NULL UNIQUE,
    api_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customers (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    email    TEXT,
    phone    TEXT,
    company  TEXT,
    revision INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS customers_by_revision ON customers (revision);
CREATE INDEX IF NOT EXISTS customers_by_email ON customers (email COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS customers_by_phone ON customers (phone);
CREATE TRIGGER IF NOT EXISTS customers_inserted AFTER INSERT ON customers BEGIN
    UPDATE customers SET revision = (SELECT MAX(revision) FROM customers) + 1 WHERE id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS customers_updated AFTER UPDATE OF name, email, phone, company ON customers BEGIN
    UPDATE customers SET revision = (SELECT MAX(revision) FROM customers) + 1 WHERE id = NEW.id;
END;
CREATE TABLE IF NOT EXISTS cases (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    agent_id    INTEGER REFERENCES agents (id),
    subject     TEXT NOT NULL,
    description TEXT,
    status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'pending', 'solved', 'closed')),
    priority    TEXT CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    created_at  INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX IF NOT EXISTS cases_by_customer ON cases (customer_id, created_at);
";

/// The credentials of the sample agent, as Talkdesk's documentation examples spell them.
pub const DEMO_EMAIL: &str = "john.doe@example.com";
/// The sample agent's API key.
pub const DEMO_API_KEY: &str = "605b32dd";

/// The database, shared by every request. Cloning it is cheap (one `Arc`).
#[derive(Clone)]
pub struct Db {
    connection: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (or creates) the database file at `path` and makes sure the schema is there.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let connection = Connection::open(path)?;
        // Readers of a file database do not wait for a writer in another process for long: they fail fast, and
        // the bridge answers 502, rather than holding Talkdesk's request until its deadline.
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        Self::with(connection)
    }

    /// A database in memory with the schema and `customers` sample customers (and their cases).
    pub fn sample(customers: u32) -> rusqlite::Result<Self> {
        let db = Self::with(Connection::open_in_memory()?)?;
        db.seed(customers)?;
        Ok(db)
    }

    fn with(connection: Connection) -> rusqlite::Result<Self> {
        connection.execute_batch("PRAGMA foreign_keys = ON;")?;
        connection.execute_batch(SCHEMA)?;
        Ok(Self { connection: Arc::new(Mutex::new(connection)) })
    }

    /// Two agents and `customers` customers with a few cases each, in one transaction.
    pub fn seed(&self, customers: u32) -> rusqlite::Result<()> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        tx.execute(
            "INSERT INTO agents (name, email, api_key) VALUES ('John Doe', ?1, ?2), ('Ada Admin', \
             'ada.admin@example.com', 'c0ffee42')",
            (DEMO_EMAIL, DEMO_API_KEY),
        )?;
        for n in 1..=customers {
            tx.execute(
                "INSERT INTO customers (name, email, phone, company) VALUES (?1, ?2, ?3, ?4)",
                (
                    format!("Customer {n}"),
                    format!("customer{n}@example.com"),
                    format!("+1555{n:07}"),
                    (n % 3 == 0).then(|| format!("Company {}", n % 7)),
                ),
            )?;
            let customer = tx.last_insert_rowid();
            for c in 0..(n % 4) {
                let status = ["new", "open", "pending", "solved"][(c % 4) as usize];
                tx.execute(
                    "INSERT INTO cases (customer_id, agent_id, subject, description, status, priority, created_at) \
                     VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6)",
                    (
                        customer,
                        format!("Case {c} of customer {n}"),
                        format!("What customer {n} asked about, the {c}th time"),
                        status,
                        (c % 2 == 0).then_some("normal"),
                        1_704_067_200 + i64::from(n) * 3600 + i64::from(c) * 60,
                    ),
                )?;
            }
        }
        tx.commit()
    }

    /// Runs `query` over the connection on tokio's blocking pool, and turns SQLite's failures into the
    /// protocol's: a busy or locked database is a `502` (the service failed, try again), anything else a `500`.
    /// Never a `401`: that means the credentials were refused, and a database error says nothing about them.
    pub async fn call<T, F>(&self, query: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let db = self.clone();
        // A closure that panicked is a bug: a 500, as the gate answers a handler's panic.
        let answer = tokio::task::spawn_blocking(move || query(&mut db.lock())).await.internal("a database query")?;
        answer.map_err(database_error)
    }

    /// The connection, for this module and for tests that change the data as another writer would.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A query that panicked poisons the mutex, but leaves the connection usable: SQLite rolled back whatever
        // transaction it had open when the guard was dropped.
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn database_error(err: rusqlite::Error) -> Error {
    let busy = matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        Error::upstream("the database is busy, try again").with_source(err)
    } else {
        Error::internal("the database query failed").with_source(err)
    }
}
