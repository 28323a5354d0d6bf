//! The service-side pagers against a stateful fake on 127.0.0.1 whose rows change while a sync pages through them:
//! page numbers lose a row that moves (the documented failure), the time-anchored pager loses nothing and brings
//! the changed row, changed; the `Link` pager follows the service's own links and refuses foreign ones.

use bridge::http::{BaseUrl, Client, LinkPager, PageNumbers, SincePager};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use warp::Filter;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Row {
    id: u64,
    name: String,
    /// Seconds, written as the service writes times (zero-padded, so that text order is time order).
    updated_at: String,
}

/// A service's contacts, sorted by `(updated_at, id)` ascending, filtered by `updated_since` (inclusive), paged
/// with `page` and `per_page`; each answer has a `Link` to the next page when it is full (or to `next_host`'s site,
/// if set, to play a hostile service).
#[derive(Clone, Default)]
struct Source {
    rows: Arc<Mutex<BTreeMap<u64, Row>>>,
    clock: Arc<Mutex<u64>>,
    next_host: Arc<Mutex<Option<String>>>,
}

fn time(seconds: u64) -> String {
    format!("{seconds:010}")
}

impl Source {
    fn with(n: u64) -> Self {
        let source = Self::default();
        for id in 1..=n {
            source.rows.lock().unwrap().insert(id, Row { id, name: format!("contact {id}"), updated_at: time(id) });
        }
        *source.clock.lock().unwrap() = n;
        source
    }

    /// Renames row `id`, which moves it to the end of the order.
    fn update(&self, id: u64, name: &str) {
        let mut clock = self.clock.lock().unwrap();
        *clock += 1;
        let mut rows = self.rows.lock().unwrap();
        let row = rows.get_mut(&id).unwrap();
        row.name = name.to_owned();
        row.updated_at = time(*clock);
    }

    fn delete(&self, id: u64) {
        self.rows.lock().unwrap().remove(&id);
    }

    fn answer(&self, query: &HashMap<String, String>, addr: SocketAddr) -> (Vec<Row>, Option<String>) {
        let since = query.get("updated_since").cloned().unwrap_or_default();
        let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let per_page: usize = query.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(100);
        let mut rows: Vec<Row> =
            self.rows.lock().unwrap().values().filter(|r| r.updated_at >= since).cloned().collect();
        rows.sort_by(|a, b| (&a.updated_at, a.id).cmp(&(&b.updated_at, b.id)));
        let rows: Vec<Row> = rows.into_iter().skip((page - 1) * per_page).take(per_page).collect();
        let host = self.next_host.lock().unwrap().clone().unwrap_or_else(|| addr.to_string());
        let link = (rows.len() == per_page)
            .then(|| format!("<http://{host}/api/contacts?per_page={per_page}&page={}>; rel=\"next\"", page + 1));
        (rows, link)
    }

    async fn start(&self) -> BaseUrl {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let source = self.clone();
        let routes = warp::path!("api" / "contacts").and(warp::query::<HashMap<String, String>>()).map(
            move |query: HashMap<String, String>| {
                let (rows, link) = source.answer(&query, addr);
                let reply = warp::reply::json(&rows);
                match link {
                    Some(link) => warp::reply::with_header(reply, "link", link).into_response(),
                    None => warp::reply::Reply::into_response(reply),
                }
            },
        );
        tokio::spawn(warp::serve(routes).incoming(listener).run());
        BaseUrl::parse(&format!("http://{addr}/api/")).unwrap()
    }
}

use warp::Reply as _;

fn client() -> Client {
    Client::builder().service_name("Fakedesk").build().unwrap()
}

/// What a sync brought: each id's last-seen name, and how many times each id came.
#[derive(Default)]
struct Synced {
    names: BTreeMap<u64, String>,
    times: BTreeMap<u64, usize>,
}

impl Synced {
    fn take(&mut self, rows: &[Row]) {
        for row in rows {
            self.names.insert(row.id, row.name.clone());
            *self.times.entry(row.id).or_default() += 1;
        }
    }
}

/// After page 2 is read: contact 3 (on page 1, already sent) is renamed, so it moves to the end; contact 5 (on
/// page 2) is deleted. Both shift every later row up by one.
fn disturb(source: &Source, page: usize) {
    if page == 2 {
        source.update(3, "contact 3, renamed");
        source.delete(5);
    }
}

#[tokio::test]
async fn page_numbers_lose_rows_that_shift_and_the_anchored_pager_does_not() {
    // Page numbers alone: 20 rows, 4 a page.
    let source = Source::with(20);
    let base = source.start().await;
    let pages = PageNumbers::new("page").per_page("per_page", 4);
    let mut synced = Synced::default();
    let mut offset: Option<String> = None;
    for n in 1.. {
        let page = pages.page(offset.as_deref()).unwrap();
        let rows: Vec<Row> = pages.apply(client().get(base.join(["contacts"]).unwrap()), page).fetch().await.unwrap();
        synced.take(&rows);
        offset = pages.next_offset(page, rows.len());
        disturb(&source, n);
        if offset.is_none() {
            break;
        }
    }
    // The documented failure: the two rows that slid back onto page 2 after it was read (contacts 9 and 10,
    // behind the two that left the rows before them) are never seen, though they never changed.
    let lost: Vec<u64> = (1..=20).filter(|id| !synced.names.contains_key(id)).collect();
    assert_eq!(lost, [9, 10], "page numbers lose the rows that shift back");

    // The anchored pager over the same disturbance: every row that exists arrives, the renamed one renamed, none
    // twice.
    let source = Source::with(20);
    let base = source.start().await;
    let pager = SincePager::new("updated_since", PageNumbers::new("page").per_page("per_page", 4));
    let mut synced = Synced::default();
    let mut offset: Option<String> = None;
    for n in 1.. {
        let position = pager.position(offset.as_deref(), &time(0)).unwrap();
        let call = pager.apply(client().get(base.join(["contacts"]).unwrap()), &position);
        let rows: Vec<Row> = call.fetch().await.unwrap();
        let page = pager.page(&position, rows, |row| (row.updated_at.clone(), row.id.to_string()));
        synced.take(&page.rows);
        offset = page.next_offset;
        disturb(&source, n);
        if offset.is_none() {
            break;
        }
    }
    let expected: Vec<u64> = (1..=20).filter(|id| *id != 5).collect();
    let ids: Vec<u64> = synced.names.keys().copied().filter(|id| *id != 5).collect();
    assert_eq!(ids, expected, "a row was lost");
    assert_eq!(synced.names[&3], "contact 3, renamed");
    // Contact 3 came twice (before and after its change: Talkdesk updates it), nothing else did.
    let repeated: Vec<u64> = synced.times.iter().filter(|(_, n)| **n > 1).map(|(id, _)| *id).collect();
    assert_eq!(repeated, [3]);
}

#[tokio::test]
async fn many_rows_at_one_time_are_paged_among_themselves() {
    let source = Source::with(0);
    for id in 1..=10 {
        source.rows.lock().unwrap().insert(id, Row { id, name: format!("c{id}"), updated_at: time(7) });
    }
    let base = source.start().await;
    let pager = SincePager::new("updated_since", PageNumbers::new("page").per_page("per_page", 3));
    let mut synced = Synced::default();
    let mut offset: Option<String> = None;
    let mut calls = 0;
    loop {
        calls += 1;
        assert!(calls < 20, "the pager does not end");
        let position = pager.position(offset.as_deref(), &time(0)).unwrap();
        let rows: Vec<Row> =
            pager.apply(client().get(base.join(["contacts"]).unwrap()), &position).fetch().await.unwrap();
        let page = pager.page(&position, rows, |row| (row.updated_at.clone(), row.id.to_string()));
        synced.take(&page.rows);
        offset = page.next_offset;
        if offset.is_none() {
            break;
        }
    }
    assert_eq!(synced.names.len(), 10);
    assert!(synced.times.values().all(|n| *n == 1), "{:?}", synced.times);
}

#[tokio::test]
async fn the_link_pager_follows_the_services_links_only() {
    let source = Source::with(9);
    let base = source.start().await;
    let pager = LinkPager::new(base.clone());
    let first = base.join(["contacts"]).unwrap();
    let mut synced = Synced::default();
    let mut offset: Option<String> = None;
    let mut offsets = Vec::new();
    loop {
        let mut call = client().get(pager.url(offset.as_deref(), first.clone()).unwrap());
        if offset.is_none() {
            call = call.query("per_page", 4);
        }
        let response = call.send().await.unwrap();
        offset = pager.next_offset(&response).unwrap();
        synced.take(&response.json::<Vec<Row>>().unwrap());
        match &offset {
            Some(next) => offsets.push(next.clone()),
            None => break,
        }
    }
    assert_eq!(synced.names.len(), 9);
    assert_eq!(offsets, ["contacts?per_page=4&page=2", "contacts?per_page=4&page=3"]);

    // A service that links elsewhere is not followed: a 502, nothing sent there.
    *source.next_host.lock().unwrap() = Some("evil.example".to_owned());
    let response = client().get(first).query("per_page", 4).send().await.unwrap();
    let err = pager.next_offset(&response).unwrap_err();
    assert_eq!(err.status(), 502, "{}", err.message());
}
