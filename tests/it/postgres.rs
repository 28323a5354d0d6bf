//! The PostgreSQL recipe of `docs/postgres.md`, against a real PostgreSQL this test starts itself (`initdb` and
//! `pg_ctl` in a temporary directory, on a free port of 127.0.0.1; as root, as the unprivileged user `nobody`),
//! and stops at the end, even on failure. `scripts/install-postgres.sh` installs PostgreSQL where it is missing.
//!
//! In PostgreSQL a row stamped earlier can commit later: a sync that has passed its timestamp never sees it. The
//! recipe orders changes by the writing transaction's id and reads only transactions older than the snapshot's
//! `xmin` (all finished): a writer that commits late during a sync loses nothing. Its trap, tested too: `xmin`
//! covers the whole server, so one long transaction anywhere holds every sync back.

use bridge::sync::{More, Paged, Window};
use bridge::testing::{SyncTruth, TestClient};
use bridge::{Auth, Bridge, Contact, ContactPage, ContactSyncMeta, Error, ResultExt, State};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_postgres::{Client, NoTls};

// --- The recipe (as docs/postgres.md shows it) -------------------------------------------------------------------

const SCHEMA: &str = "
CREATE TABLE customers (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    email      text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    xact       xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX customers_by_xact ON customers (xact, id);
CREATE FUNCTION customers_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.xact := pg_current_xact_id();
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER customers_stamp BEFORE INSERT OR UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION customers_stamp();
";

/// Customers written by finished transactions only (`xact < xmin` of the statement's own snapshot), in
/// `(xact, id)` order, after the window's start.
const PAGE_QUERY: &str = "
SELECT id, name, email, xact::text
FROM customers
WHERE xact < pg_snapshot_xmin(pg_current_snapshot())
  AND (xact > $1::text::xid8 OR (xact = $1::text::xid8 AND id > $2))
ORDER BY xact, id
LIMIT $3";

const PAGE_SIZE: usize = 10;

#[bridge::contact_retriever]
async fn contacts(
    _auth: Auth<serde_json::Value>,
    meta: ContactSyncMeta,
    State(db): State<Arc<Client>>,
) -> Result<ContactPage, Error> {
    // The key is the id of the transaction that last wrote the customer: the checkpoint is one.
    let window = Window::<u64>::open(&meta, |checkpoint| checkpoint.unwrap_or(0))?;
    let after: i64 = window.after_as()?.unwrap_or(0);
    let limit = i64::try_from(Paged::<()>::limit(PAGE_SIZE)).unwrap_or(i64::MAX);
    let rows = db.query(PAGE_QUERY, &[&window.from().to_string(), &after, &limit]).await.upstream("the database")?;
    let rows = rows
        .iter()
        .map(|row| {
            let xact: u64 = row.get::<_, String>(3).parse().internal("a transaction id")?;
            Ok((row.get::<_, i64>(0), row.get::<_, String>(1), row.get::<_, Option<String>>(2), xact))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let page = Paged::new(rows, PAGE_SIZE);
    let more = if page.more { More::AfterLastId } else { More::No };
    let step = window.step(page.items, |(id, _, _, xact)| (*xact, id.to_string()), more)?;
    Ok(step.contact_page(|(id, name, email, _)| {
        let contact = Contact::new(id.to_string(), name);
        match email {
            Some(email) => contact.email(email),
            None => contact,
        }
    }))
}

// --- A throwaway PostgreSQL --------------------------------------------------------------------------------------

/// A PostgreSQL server in a temporary directory, stopped and removed when dropped.
struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

/// The newest `/usr/lib/postgresql/<version>/bin` with `initdb`, or a failure that says what to run.
fn postgres_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/install-postgres.sh, \
             which installs Debian's `postgresql` package"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

/// `program args…`, as `nobody` when this test runs as root (PostgreSQL refuses to run as root).
fn run(program: &Path, args: &[&str]) -> Output {
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.args(args).output().unwrap_or_else(|err| panic!("{} did not run: {err}", program.display()))
}

fn check(output: Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Postgres {
    fn start() -> Self {
        let bin = postgres_bin();
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("bridge-postgres-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let id = |flag: &str| -> u32 {
                let out = Command::new("id").args([flag, "nobody"]).output().unwrap();
                String::from_utf8_lossy(&out.stdout).trim().parse().expect("the user nobody exists")
            };
            std::os::unix::fs::chown(&dir, Some(id("-u")), Some(id("-g"))).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // From here on, dropping it stops the server and removes the directory, whatever fails.
        let server = Self { dir, bin, port };
        let data = server.dir.join("data");
        let data = data.to_str().unwrap();
        let initdb = run(
            &server.bin.join("initdb"),
            &["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
        );
        check(initdb, "initdb");
        server.start_server();
        server
    }

    /// Starts the server on its data directory (again, after [`Postgres::stop`]).
    fn start_server(&self) {
        let data = self.dir.join("data");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c synchronous_commit=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log");
        let started = run(
            &self.bin.join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-o", &options, "-l", log.to_str().unwrap(), "-w", "-t", "30", "start"],
        );
        if !started.status.success() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("pg_ctl start failed: {}\n{log}", String::from_utf8_lossy(&started.stderr));
        }
    }

    /// Stops the server, as an outage would (its data stays).
    fn stop(&self) {
        let data = self.dir.join("data");
        check(
            run(&self.bin.join("pg_ctl"), &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]),
            "pg_ctl stop",
        );
    }

    fn config(&self, database: &str) -> String {
        format!("host=127.0.0.1 port={} user=postgres dbname={database} connect_timeout=2", self.port)
    }

    async fn connect(&self, database: &str) -> Client {
        let (client, connection) =
            tokio_postgres::connect(&self.config(database), NoTls).await.expect("connects to PostgreSQL");
        tokio::spawn(connection);
        client
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.exists() {
            let _ = run(&self.bin.join("pg_ctl"), &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server, the database `shop` with the recipe's schema and `n` customers written in one transaction (so they
/// share one transaction id: a run of ties longer than a page), and a bridge over it.
async fn setup(n: usize) -> (Postgres, Client, TestClient) {
    let server = Postgres::start();
    server.connect("postgres").await.batch_execute("CREATE DATABASE shop").await.unwrap();
    let db = server.connect("shop").await;
    db.batch_execute(SCHEMA).await.unwrap();
    db.execute(
        "INSERT INTO customers (name, email) SELECT 'Customer ' || n, 'c' || n || '@example.com' \
         FROM generate_series(1, $1::int) AS n",
        &[&i32::try_from(n).unwrap()],
    )
    .await
    .unwrap();
    let bridge = Bridge::new().state(Arc::new(server.connect("shop").await)).endpoint(contacts {});
    (server, db, TestClient::new(bridge).unwrap())
}

async fn id_of(db: &Client, name: &str) -> i64 {
    db.query_one("SELECT id FROM customers WHERE name = $1", &[&name]).await.unwrap().get(0)
}

/// Runs `future` from synchronous code inside the multi-threaded test runtime (the sync's between-pages hook).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_commits_late_during_a_sync_loses_nothing() {
    let (_server, db, client) = setup(45).await;
    // A writer starts: it changes customer 3 and creates Lucy, stamped now, and commits only during the sync.
    let late = _server.connect("shop").await;
    late.batch_execute(
        "BEGIN; UPDATE customers SET name = 'Customer 3, moved' WHERE id = 3; \
         INSERT INTO customers (name) VALUES ('Late Lucy');",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Another writer commits Eve at once: stamped after Lucy, committed before her.
    db.execute("INSERT INTO customers (name) VALUES ('Early Eve')", &[]).await.unwrap();
    let eve = id_of(&db, "Early Eve").await;

    let late = &late;
    let synced = client
        .sync_all()
        .between_pages(move |page| {
            if page == 2 {
                block_on(late.batch_execute("COMMIT")).unwrap();
            }
        })
        .contacts()
        .await
        .unwrap();
    let lucy = id_of(&db, "Late Lucy").await;

    // Commit order is not timestamp order: a sync by `updated_at` that had read Eve would never see Lucy.
    let stamps = db
        .query("SELECT name, updated_at::text FROM customers WHERE id IN ($1, $2) ORDER BY updated_at", &[&lucy, &eve])
        .await
        .unwrap();
    assert_eq!(stamps[0].get::<_, String>(0), "Late Lucy", "Lucy is stamped before Eve");

    SyncTruth::new()
        .existed((1..=45).map(|n| n.to_string()).chain([eve.to_string()]))
        .changed(Contact::new("3", "Customer 3, moved"))
        .changed(Contact::new(lucy.to_string(), "Late Lucy"))
        .assert(&synced);
    assert!(synced.repeated_unchanged().is_empty(), "{:?}", synced.repeated_unchanged());
    assert!(synced.pages() >= 5, "45 customers of one transaction, 10 a page: {} pages", synced.pages());

    // Nothing changed since: the next sync sends only the last transaction's customers again, at most.
    let again = client.sync_all().checkpoint(synced.checkpoint()).contacts().await.unwrap();
    assert!(again.ids().len() <= 2, "{:?}", again.ids());
    assert_eq!(again.checkpoint(), synced.checkpoint());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_long_transaction_anywhere_on_the_server_holds_every_sync_back() {
    let (server, db, client) = setup(3).await;
    let first = client.sync_all().contacts().await.unwrap();
    assert_eq!(first.ids().len(), 3);

    // A transaction with an id, in another database of the same server, left open.
    let elsewhere = server.connect("postgres").await;
    elsewhere.batch_execute("BEGIN; SELECT pg_current_xact_id();").await.unwrap();
    db.execute("INSERT INTO customers (name) VALUES ('Held Hank')", &[]).await.unwrap();
    let hank = id_of(&db, "Held Hank").await.to_string();
    let held = client.sync_all().checkpoint(first.checkpoint()).contacts().await.unwrap();
    assert!(!held.ids().contains(&hank), "Hank is committed, but newer than the open transaction");
    assert_eq!(held.checkpoint(), first.checkpoint(), "the checkpoint waits too");

    elsewhere.batch_execute("COMMIT").await.unwrap();
    let released = client.sync_all().checkpoint(held.checkpoint()).contacts().await.unwrap();
    assert!(released.ids().contains(&hank), "{:?}", released.ids());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_commits_after_a_sync_went_past_its_time_is_read_by_the_next_sync() {
    let (server, db, client) = setup(5).await;
    let late = server.connect("shop").await;
    late.batch_execute(
        "BEGIN; UPDATE customers SET name = 'Customer 3, moved' WHERE id = 3; \
         INSERT INTO customers (name) VALUES ('Late Lucy');",
    )
    .await
    .unwrap();
    // Newer writers commit at once: a sync by time (or by transaction id alone) reads them and goes past Lucy.
    db.batch_execute(
        "INSERT INTO customers (name) VALUES ('Early Eve'); \
         INSERT INTO customers (name) SELECT 'After ' || n FROM generate_series(1, 12) AS n;",
    )
    .await
    .unwrap();
    let first = client.sync_all().contacts().await.unwrap();
    late.batch_execute("COMMIT").await.unwrap();
    let second = client.sync_all().checkpoint(first.checkpoint()).contacts().await.unwrap();

    let lucy = id_of(&db, "Late Lucy").await.to_string();
    assert!(!first.ids().contains(&lucy));
    let mut both = first.clone();
    both.sent.extend(second.sent.clone());
    let everyone: Vec<String> =
        db.query("SELECT id::text FROM customers", &[]).await.unwrap().iter().map(|row| row.get(0)).collect();
    assert_eq!(everyone.len(), 19);
    SyncTruth::new()
        .existed(everyone)
        .changed(Contact::new("3", "Customer 3, moved"))
        .changed(Contact::new(lucy, "Late Lucy"))
        .assert(&both);
}

/// `GET /ready`'s status and body.
async fn ready(client: &TestClient) -> (u16, String) {
    let response = client.get("/ready").send().await;
    (response.status().as_u16(), response.text())
}

/// Probes `/ready` until its body says `want` (the check runs in the background, every 50 ms here).
async fn ready_until(client: &TestClient, want: &str) -> u16 {
    for _ in 0..200 {
        let (status, body) = ready(client).await;
        if body.contains(want) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("/ready never said {want}: {:?}", ready(client).await);
}

/// The readiness check of docs/postgres.md: can this replica reach its database? `/ready` follows the database
/// away and back, answers at once (never waiting on the check) and says nothing of the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_follows_the_database_away_and_back() {
    let server = Postgres::start();
    let config = server.config("postgres");
    let check = bridge::ReadinessCheck::new(move || {
        let config = config.clone();
        async move {
            let (db, connection) = tokio_postgres::connect(&config, NoTls).await?;
            tokio::spawn(connection);
            db.simple_query("SELECT 1").await.map(drop)
        }
    })
    .every(Duration::from_millis(50))
    .timeout(Duration::from_secs(2));
    let bridge =
        Bridge::new().state(Arc::new(server.connect("postgres").await)).endpoint(contacts {}).readiness_check(check);
    let client = TestClient::new(bridge).unwrap();

    assert_eq!(ready_until(&client, r#""ready""#).await, 200);
    server.stop();
    assert_eq!(ready_until(&client, "unready").await, 503);
    let started = std::time::Instant::now();
    let (status, body) = ready(&client).await;
    assert!(started.elapsed() < Duration::from_millis(500), "a probe waited on the check");
    assert_eq!((status, body.as_str()), (503, r#"{"status":"unready"}"#), "no reason in the answer");
    assert_eq!(client.get("/health").send().await.status(), 200, "alive all along");
    server.start_server();
    assert_eq!(ready_until(&client, r#""ready""#).await, 200);
}
