//! Paging through an external service one page per Talkdesk page: the `Link` header, page numbers (and their
//! known failure, with its fix), cursor tokens.
//!
//! It exists because a sync handler answers one Talkdesk page at a time, and must carry where it is in the
//! *service's* pages from one Talkdesk request to the next, in the page's `next_offset`, a string Talkdesk sends
//! back as it came. Each pager here turns the service's way of paging into such an offset and back, refusing an
//! offset that was tampered with (a `400` naming `meta.offset`) and a link to another site (a `502`).
//!
//! | the service pages with | pager | |
//! |---|---|---|
//! | `Link: <…>; rel="next"` (RFC 8288: Freshdesk, GitHub) | [`LinkPager`] | the service's own next URL, checked to stay on its site |
//! | an opaque token (`after`, `cursor`: HubSpot, Zendesk's cursor paging) | [`CursorPager`] | the token, sent back as a query parameter |
//! | `page=N`, sorted ascending by an update time with an inclusive filter on it (`updated_since`) | [`SincePager`] | re-anchored on the last row's time each page: nothing lost or repeated while rows change |
//! | `page=N` only | [`PageNumbers`] | loses rows that move while the sync runs: see below |
//!
//! **Page numbers shift.** Page 3 is "rows 201 to 300 *now*". A row on page 1 that is updated (and so moves to the
//! end of an `updated_at` order) or deleted while the sync reads page 2 moves every later row up by one: the row
//! that was 201st is now 200th, on page 2, already read, and the sync never sees it. A row inserted before the
//! position moves rows down instead: one is sent twice (and a Talkdesk page must not repeat an id). A sort by
//! creation time or id makes inserts land at the end, but updates and deletions still shift rows. The fix is to
//! stop counting: [`SincePager`] asks each page *from the last row read* (`updated_since=<its time>`, page 1), so a
//! row that moves moves to where the sync has yet to read, and arrives, changed. Use [`PageNumbers`] alone only
//! when the service has no such filter, and say in its guide that a row changed mid-sync may wait for the next
//! sync.

use super::base_url::BaseUrl;
use super::request::RequestBuilder;
use super::response::Response;
use crate::Error;
use reqwest::header::{HeaderMap, LINK};
use reqwest::Url;
use serde::{Deserialize, Serialize};

/// The field of the request an offset comes from, for the `400` that refuses a tampered one.
const OFFSET_FIELD: &str = "meta.offset";

fn bad_offset(why: &str) -> Error {
    Error::invalid_field(OFFSET_FIELD, format!("is not an offset this bridge gave: {why}"))
}

/// The target of the `rel="next"` link of `Link` headers (RFC 8288), as written (absolute or relative), if any.
///
/// Every `Link` header and every link of each is looked at; `rel` may list several relation types
/// (`rel="next last"`) and be quoted or not.
///
/// ```
/// use bridge::http::{header::HeaderMap, next_link};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(
///     "link",
///     r#"<https://acme.freshdesk.com/api/v2/contacts?page=1>; rel="prev", <https://acme.freshdesk.com/api/v2/contacts?page=3>; rel="next""#
///         .parse()
///         .unwrap(),
/// );
/// assert_eq!(next_link(&headers).as_deref(), Some("https://acme.freshdesk.com/api/v2/contacts?page=3"));
/// assert_eq!(next_link(&HeaderMap::new()), None);
/// ```
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers.get_all(LINK).iter().filter_map(|value| value.to_str().ok()).find_map(next_in)
}

/// The `rel="next"` target of one `Link` header value.
fn next_in(value: &str) -> Option<String> {
    let mut rest = value;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        // The link's parameters run to the next `<` (a `<` cannot appear in them unquoted in practice).
        let params_end = rest[close..].find('<').map_or(rest.len(), |at| close + at);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else { return false };
            name.trim().eq_ignore_ascii_case("rel")
                && value.trim().trim_matches('"').split_ascii_whitespace().any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim().to_owned());
        }
        rest = &rest[params_end..];
    }
}

/// Follows `Link: <…>; rel="next"` (RFC 8288) one page per Talkdesk page: the offset is the next page's URL,
/// relative to the service's base URL.
///
/// ```no_run
/// # async fn example(client: bridge::http::Client, base: bridge::http::BaseUrl, key: bridge::Secret,
/// #     meta: bridge::ContactSyncMeta) -> Result<bridge::ContactPage, bridge::Error> {
/// use bridge::http::LinkPager;
/// use bridge::{Contact, ContactPage, TalkdeskDate};
///
/// #[derive(serde::Deserialize)]
/// struct FreshdeskContact { id: u64, name: String }
///
/// let pager = LinkPager::new(base.clone());
/// let first = base.join(["api", "v2", "contacts"])?;
/// let url = pager.url(meta.situation.offset(), first)?; // the first page, or the one the offset names
/// let response = client.get(url).query("per_page", 100).basic_auth_api_key(&key, "X").send().await?;
/// let next = pager.next_offset(&response)?; // None on the last page
/// let rows: Vec<FreshdeskContact> = response.json()?;
/// let contacts = rows.into_iter().map(|c| Contact::new(c.id.to_string(), c.name)).collect();
/// let mut page = ContactPage::new(contacts, TalkdeskDate::now().to_string());
/// if let Some(next) = next {
///     page = page.next_offset(next);
/// }
/// # Ok(page) }
/// ```
///
/// Only [`url`](Self::url) of the first page needs the call's own query (`per_page`, filters): the service's next
/// link carries them on. A call made from a resumed URL should not add them again.
#[derive(Debug, Clone)]
pub struct LinkPager {
    base: BaseUrl,
}

impl LinkPager {
    /// A pager over the service at `base`: every page it follows stays on `base`'s scheme, host and port, and
    /// under its path.
    pub fn new(base: BaseUrl) -> Self {
        Self { base }
    }

    /// The URL of the page to fetch: `first` when there is no offset (the sync's first page), else the page the
    /// offset names. An offset that does not name a page of the service is a `400` naming `meta.offset`.
    pub fn url(&self, offset: Option<&str>, first: Url) -> Result<Url, Error> {
        let Some(offset) = offset else { return Ok(first) };
        let url = self.base.as_url().join(offset).map_err(|_| bad_offset("not a URL"))?;
        if self.relative(&url).is_none() {
            return Err(bad_offset("it points outside the service"));
        }
        Ok(url)
    }

    /// The offset of the next page: the `rel="next"` link of `response`, relative to the base; `None` on the last
    /// page. A link to another site (or outside the base's path) is a `502`: a service does not send a bridge
    /// elsewhere with its credentials.
    pub fn next_offset(&self, response: &Response) -> Result<Option<String>, Error> {
        let Some(link) = next_link(response.headers()) else { return Ok(None) };
        let url = self.base.follow(&link)?;
        match self.relative(&url) {
            Some(relative) => Ok(Some(relative)),
            None => Err(Error::upstream(
                "the external service sent a next link outside its API, which the bridge does not follow",
            )),
        }
    }

    /// `url` relative to the base (`api/v2/contacts?page=2`), if it is under it.
    fn relative(&self, url: &Url) -> Option<String> {
        let base = self.base.as_url();
        let same_origin = url.scheme() == base.scheme()
            && url.host() == base.host()
            && url.port_or_known_default() == base.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none();
        let mut without_fragment = url.clone();
        without_fragment.set_fragment(None);
        let text = without_fragment.as_str();
        // `..` cannot survive URL parsing, so a prefix match is a real "under the base path".
        let relative = text.strip_prefix(base.as_str())?;
        same_origin.then(|| relative.to_owned())
    }
}

/// An opaque token the service gives for its next page (HubSpot's `paging.next.after`, Zendesk's
/// `meta.after_cursor`), carried in Talkdesk's offset and sent back as the query parameter `param`.
///
/// ```no_run
/// # async fn example(client: bridge::http::Client, base: bridge::http::BaseUrl, token: bridge::Secret,
/// #     meta: bridge::AgentSyncMeta) -> Result<bridge::AgentPage, bridge::Error> {
/// use bridge::http::CursorPager;
/// use bridge::{Agent, AgentPage};
///
/// #[derive(serde::Deserialize)]
/// struct Owners { results: Vec<Owner>, paging: Option<Paging> }
/// #[derive(serde::Deserialize)]
/// struct Paging { next: Option<Next> }
/// #[derive(serde::Deserialize)]
/// struct Next { after: String }
/// #[derive(serde::Deserialize)]
/// struct Owner { id: String, email: String }
///
/// let pager = CursorPager::new("after");
/// let call = client.get(base.join(["crm", "v3", "owners"])?).query("limit", 100).bearer(&token);
/// let owners: Owners = pager.resume(call, meta.offset.as_deref())?.fetch().await?;
/// let next = owners.paging.and_then(|p| p.next).map(|n| n.after);
/// let agents = owners.results.into_iter().map(|o| Agent::new(o.id, o.email.clone(), o.email)).collect();
/// let mut page = AgentPage::new(agents);
/// if let Some(offset) = pager.next_offset(next) {
///     page = page.next_offset(offset);
/// }
/// # Ok(page) }
/// ```
#[derive(Debug, Clone)]
pub struct CursorPager {
    param: String,
}

/// The longest token carried (services' cursors are well under it; a longer offset was not given by the bridge).
const MAX_TOKEN: usize = 2048;

impl CursorPager {
    /// A pager whose token goes in the query parameter `param` (`after`, `cursor`, `page[after]`).
    pub fn new(param: impl Into<String>) -> Self {
        Self { param: param.into() }
    }

    /// `call` for the page the offset names: with `param=<token>` when resuming, unchanged for the first page.
    /// The token is percent-encoded as a query value, so it cannot change anything else of the call; an
    /// implausible one (empty, over 2 KiB, with control characters) is a `400` naming `meta.offset`.
    pub fn resume(&self, call: RequestBuilder, offset: Option<&str>) -> Result<RequestBuilder, Error> {
        match offset {
            None => Ok(call),
            Some(token) if token.is_empty() || token.len() > MAX_TOKEN || token.chars().any(char::is_control) => {
                Err(bad_offset("not a plausible cursor"))
            }
            Some(token) => Ok(call.query(&self.param, token)),
        }
    }

    /// The offset of the next page: the service's token, or `None` when it gave none (or an empty one), the end.
    pub fn next_offset(&self, token: Option<impl Into<String>>) -> Option<String> {
        token.map(Into::into).filter(|token| !token.is_empty())
    }
}

/// Page-number paging (`page=1`, `page=2`…, with a page size): the offset is the next page's number.
///
/// Rows that move while the sync runs are lost or repeated (see [`SincePager`] for why and the fix): prefer it when
/// the service sorts by update time and filters on it; [`SincePager`] uses this for the page within one time.
///
/// ```
/// use bridge::http::PageNumbers;
///
/// let pages = PageNumbers::new("page").per_page("per_page", 100);
/// assert_eq!(pages.page(None).unwrap(), 1);
/// assert_eq!(pages.page(Some("3")).unwrap(), 3);
/// assert_eq!(pages.next_offset(3, 100), Some("4".to_owned())); // a full page: there may be more
/// assert_eq!(pages.next_offset(4, 37), None); // a short page is the last
/// assert_eq!(pages.page(Some("0")).unwrap_err().fields()[0].field, "meta.offset");
/// ```
#[derive(Debug, Clone)]
pub struct PageNumbers {
    param: String,
    first: u64,
    size: Option<(String, usize)>,
}

impl PageNumbers {
    /// Pages numbered from 1 in the query parameter `param`.
    pub fn new(param: impl Into<String>) -> Self {
        Self { param: param.into(), first: 1, size: None }
    }

    /// The number of the first page, for a service that counts from 0.
    #[must_use]
    pub fn first_page(mut self, first: u64) -> Self {
        self.first = first;
        self
    }

    /// Asks for `size` rows a page with the query parameter `param` (`per_page`, `limit`). Without it, only an
    /// empty page ends the sync.
    #[must_use]
    pub fn per_page(mut self, param: impl Into<String>, size: usize) -> Self {
        self.size = Some((param.into(), size.max(1)));
        self
    }

    /// The page size asked for, if any.
    pub fn size(&self) -> Option<usize> {
        self.size.as_ref().map(|(_, size)| *size)
    }

    /// The page the offset names, or the first one. Not a number, or below the first page: a `400` naming
    /// `meta.offset`.
    pub fn page(&self, offset: Option<&str>) -> Result<u64, Error> {
        let Some(offset) = offset else { return Ok(self.first) };
        match offset.parse::<u64>() {
            Ok(page) if page >= self.first => Ok(page),
            _ => Err(bad_offset("not a page number")),
        }
    }

    /// `call` asking for page `page` (and the page size).
    pub fn apply(&self, call: RequestBuilder, page: u64) -> RequestBuilder {
        let call = call.query(&self.param, page);
        match &self.size {
            Some((param, size)) => call.query(param, size),
            None => call,
        }
    }

    /// The offset after page `page`, which had `rows` rows: the next page's number, or `None` when the page was
    /// the last (shorter than the page size, or empty).
    pub fn next_offset(&self, page: u64, rows: usize) -> Option<String> {
        let last = rows == 0 || self.size().is_some_and(|size| rows < size);
        (!last).then(|| (page + 1).to_string())
    }
}

/// Where a [`SincePager`] is: the time the next page starts from, the ids already sent at exactly that time, and
/// the page among rows of that very time (when more than a page of rows share it). Carried in Talkdesk's offset
/// as compact JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SincePosition {
    /// The filter's value for the next call (a time as the service writes it).
    pub since: String,
    /// The page to ask among rows from `since` (the first page, unless more than a page of rows share `since`).
    pub page: u64,
    /// Ids of the rows at exactly `since` that were already sent (the filter is inclusive: they come again).
    pub seen: Vec<String>,
}

/// One page of a [`SincePager`]: the rows to send (those already sent dropped) and the offset of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SincePage<T> {
    /// The rows of the page not already sent, in the service's order.
    pub rows: Vec<T>,
    /// The offset of the next page, or `None` when the sync is over.
    pub next_offset: Option<String>,
}

/// Page-number paging re-anchored on time: for a service that sorts rows by their update time, ascending, and
/// filters on it inclusively (`updated_since=T` returns rows updated at `T` or later). Each page asks from the
/// last row read (page 1 of `updated_since=<its time>`) instead of counting pages, so a row updated (moved to the
/// end) or deleted mid-sync shifts nothing the sync has yet to read: nothing is lost, and a row changed while the
/// sync runs arrives, changed. Rows sharing the anchor time that were already sent are dropped, and more than a
/// page of rows sharing one time are read with page numbers among them.
///
/// ```no_run
/// # async fn example(client: bridge::http::Client, base: bridge::http::BaseUrl, key: bridge::Secret,
/// #     meta: bridge::ContactSyncMeta) -> Result<bridge::ContactPage, bridge::Error> {
/// use bridge::http::{PageNumbers, SincePager};
/// use bridge::{Contact, ContactPage};
///
/// #[derive(serde::Deserialize)]
/// struct Row { id: u64, name: String, updated_at: String }
///
/// let pager = SincePager::new("updated_since", PageNumbers::new("page").per_page("per_page", 100));
/// // The initial sync starts from the beginning of time; an incremental one from its checkpoint.
/// let position = pager.position(meta.situation.offset(), "1970-01-01T00:00:00Z")?;
/// let call = client.get(base.join(["api", "v2", "contacts"])?).query("order_by", "updated_at").query("order_type", "asc");
/// let rows: Vec<Row> = pager.apply(call, &position).basic_auth_api_key(&key, "X").fetch().await?;
/// let page = pager.page(&position, rows, |row| (row.updated_at.clone(), row.id.to_string()));
/// let contacts = page.rows.into_iter().map(|r| Contact::new(r.id.to_string(), r.name)).collect();
/// let mut answer = ContactPage::new(contacts, "2024-01-31 09:30:00 UTC"); // the checkpoint rule: `bridge::docs::sync`
/// if let Some(next) = page.next_offset {
///     answer = answer.next_offset(next);
/// }
/// # Ok(answer) }
/// ```
#[derive(Debug, Clone)]
pub struct SincePager {
    param: String,
    pages: PageNumbers,
}

impl SincePager {
    /// Anchored with the query parameter `param` (`updated_since`), paged with `pages` (whose
    /// [`per_page`](PageNumbers::per_page) should be set: a page shorter than it is the last).
    pub fn new(param: impl Into<String>, pages: PageNumbers) -> Self {
        Self { param: param.into(), pages }
    }

    /// Where the page the offset names starts, or, without an offset, where the sync starts: `start` (the
    /// beginning of time for an initial sync, the checkpoint for an incremental one, as the service writes
    /// times). An offset the bridge did not give is a `400` naming `meta.offset`.
    pub fn position(&self, offset: Option<&str>, start: &str) -> Result<SincePosition, Error> {
        match offset {
            None => Ok(SincePosition { since: start.to_owned(), page: self.pages.first, seen: Vec::new() }),
            Some(offset) => {
                let position: SincePosition =
                    serde_json::from_str(offset).map_err(|_| bad_offset("not a position of the sync"))?;
                if position.page < self.pages.first {
                    return Err(bad_offset("not a page number"));
                }
                Ok(position)
            }
        }
    }

    /// `call` for the page at `position`: `param=<since>` and the page number (and size).
    pub fn apply(&self, call: RequestBuilder, position: &SincePosition) -> RequestBuilder {
        self.pages.apply(call.query(&self.param, &position.since), position.page)
    }

    /// The page read at `position`: `rows` as the service sent them, `key` giving each row's time (as the service
    /// writes it, the same text the filter takes) and id. Rows already sent are dropped; the next offset anchors
    /// on the last row's time, or is `None` after a short page.
    pub fn page<T>(
        &self,
        position: &SincePosition,
        rows: Vec<T>,
        key: impl Fn(&T) -> (String, String),
    ) -> SincePage<T> {
        let full = !rows.is_empty() && self.pages.size().is_none_or(|size| rows.len() >= size);
        let keys: Vec<(String, String)> = rows.iter().map(&key).collect();
        let next = match keys.last() {
            Some((last_time, _)) if full => {
                let at_last: Vec<String> =
                    keys.iter().filter(|(time, _)| time == last_time).map(|(_, id)| id.clone()).collect();
                if *last_time == position.since {
                    // A whole page at one time: the next page among them, remembering all of them.
                    let mut seen = position.seen.clone();
                    seen.extend(at_last.iter().filter(|id| !position.seen.contains(id)).cloned());
                    Some(SincePosition { since: last_time.clone(), page: position.page + 1, seen })
                } else {
                    Some(SincePosition { since: last_time.clone(), page: self.pages.first, seen: at_last })
                }
            }
            _ => None,
        };
        let rows = rows
            .into_iter()
            .zip(keys)
            .filter(|(_, (time, id))| !(*time == position.since && position.seen.contains(id)))
            .map(|(row, _)| row)
            .collect();
        let next_offset =
            next.map(|position| serde_json::to_string(&position).expect("a position is always representable as JSON"));
        SincePage { rows, next_offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_link_among_others() {
        let cases = [
            (r#"<https://a.example/p?page=3>; rel="next""#, Some("https://a.example/p?page=3")),
            (
                r#"<https://a.example/p?page=1>; rel=prev, <https://a.example/p?page=3>; rel=next"#,
                Some("https://a.example/p?page=3"),
            ),
            (r#"</p?page=9>; rel="last next"; title="x""#, Some("/p?page=9")),
            (r#"<https://a.example/p?page=1>; rel="prev""#, None),
            (r#"<https://a.example/p?page=1>; rel="nextish""#, None),
            ("garbage", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(next_in(value).as_deref(), expected, "{value}");
        }
    }

    #[test]
    fn link_offsets_stay_under_the_base() {
        let pager = LinkPager::new(BaseUrl::parse("https://acme.freshdesk.com/api/v2/").unwrap());
        let first = Url::parse("https://acme.freshdesk.com/api/v2/contacts?per_page=2").unwrap();
        assert_eq!(pager.url(None, first.clone()).unwrap(), first);
        assert_eq!(
            pager.url(Some("contacts?per_page=2&page=2"), first.clone()).unwrap().as_str(),
            "https://acme.freshdesk.com/api/v2/contacts?per_page=2&page=2"
        );
        for tampered in [
            "https://evil.example/api/v2/contacts",
            "//evil.example/x",
            "/admin",
            "../../admin",
            "http://acme.freshdesk.com/api/v2/x",
        ] {
            let err = pager.url(Some(tampered), first.clone()).unwrap_err();
            assert_eq!(err.status(), 400, "{tampered}");
            assert_eq!(err.fields()[0].field, "meta.offset");
        }
    }

    #[test]
    fn page_numbers_refuse_what_they_did_not_give() {
        let pages = PageNumbers::new("page").first_page(0);
        assert_eq!(pages.page(Some("0")).unwrap(), 0);
        for bad in ["-1", "x", "", "1.5"] {
            assert_eq!(pages.page(Some(bad)).unwrap_err().status(), 400, "{bad}");
        }
        // Without a page size, only an empty page is the last.
        assert_eq!(pages.next_offset(0, 7), Some("1".to_owned()));
        assert_eq!(pages.next_offset(1, 0), None);
    }

    #[test]
    fn since_pages_anchor_on_the_last_time_and_drop_what_was_sent() {
        let pager = SincePager::new("updated_since", PageNumbers::new("page").per_page("per_page", 3));
        let key = |row: &(&str, &str)| (row.0.to_owned(), row.1.to_owned());
        let start = pager.position(None, "T0").unwrap();
        assert_eq!(start, SincePosition { since: "T0".into(), page: 1, seen: vec![] });

        let page = pager.page(&start, vec![("T1", "a"), ("T2", "b"), ("T2", "c")], key);
        assert_eq!(page.rows.len(), 3);
        let next = pager.position(page.next_offset.as_deref(), "T0").unwrap();
        assert_eq!(next, SincePosition { since: "T2".into(), page: 1, seen: vec!["b".into(), "c".into()] });

        // The filter is inclusive: b and c come again, and are dropped.
        let page = pager.page(&next, vec![("T2", "b"), ("T2", "c"), ("T3", "d")], key);
        assert_eq!(page.rows, [("T3", "d")]);
        let next = pager.position(page.next_offset.as_deref(), "T0").unwrap();
        assert_eq!(next, SincePosition { since: "T3".into(), page: 1, seen: vec!["d".into()] });

        // A whole page at one time: the next page among them.
        let page = pager.page(&next, vec![("T3", "d"), ("T3", "e"), ("T3", "f")], key);
        assert_eq!(page.rows, [("T3", "e"), ("T3", "f")]);
        let next = pager.position(page.next_offset.as_deref(), "T0").unwrap();
        assert_eq!(next, SincePosition { since: "T3".into(), page: 2, seen: vec!["d".into(), "e".into(), "f".into()] });

        // A short page ends the sync.
        let page = pager.page(&next, vec![("T4", "g")], key);
        assert_eq!((page.rows.len(), page.next_offset), (1, None));

        for tampered in ["{}", "3", r#"{"since": "T", "page": 0, "seen": []}"#] {
            assert_eq!(pager.position(Some(tampered), "T0").unwrap_err().fields()[0].field, "meta.offset");
        }
    }
}
