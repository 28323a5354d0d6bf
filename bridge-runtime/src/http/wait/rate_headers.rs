//! Reading the rate budget a service reports on its answers: how many calls are left in the current window of each
//! of its policies, and when that window ends.
//!
//! Services say it in one of a few conventions, all read here, each policy a [`Report`]:
//!
//! | headers | convention |
//! |---|---|
//! | `RateLimit: "default";r=50;t=30`, `RateLimit-Policy: "default";q=100;w=60` | IETF (draft-ietf-httpapi-ratelimit-headers, -08 on): a list of policies, `r` left, `t` seconds to the reset (or, without `t`, at most the policy's window `w`) |
//! | `RateLimit: limit=100, remaining=50, reset=30` | IETF, draft -07 |
//! | `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` | IETF, drafts -00 to -06 (Zendesk, among others) |
//! | `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` | the common one (GitHub, Twitter…): the reset in seconds from now, or as a Unix time (seconds, or milliseconds) when it is one |
//! | `X-HubSpot-RateLimit-Remaining`, `-Max`, `-Interval-Milliseconds`; `-Secondly-Remaining`, `-Secondly` | HubSpot: no reset, only the window's length |
//! | `Sforce-Limit-Info: api-usage=18/15000` | Salesforce: calls used / the org's allocation over a rolling 24 hours |
//!
//! A value that does not parse is ignored, never an error: the budget is advice, the service's `429` the rule.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What is left of one of a service's rate policies, as one answer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    /// The policy's name, to tell a service's several windows apart (`"burst"`, `"daily"`, `hubspot-secondly`).
    pub(crate) policy: String,
    /// Calls left in the current window.
    pub(crate) remaining: u64,
    pub(crate) resets: Resets,
}

/// When a policy's window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resets {
    /// This long from now.
    In(Duration),
    /// At most this long after the window's first call (the service gives only the window's length).
    Within(Duration),
}

/// Unix times below this (in seconds: September 2001) are delays instead: no service counts a window in decades.
const EPOCH_SECONDS_FROM: f64 = 1e9;
/// … and above this, Unix times in milliseconds.
const EPOCH_MILLIS_FROM: f64 = 1e12;

/// Every policy `headers` report, read as of `now` (for resets given as a Unix time).
pub(crate) fn read(headers: &HeaderMap, now: SystemTime) -> Vec<Report> {
    let mut reports = Vec::new();
    if let Some(value) = text(headers, "ratelimit") {
        if is_dictionary(value) {
            reports.extend(draft_07(value));
        } else {
            reports.extend(structured(value, text(headers, "ratelimit-policy").unwrap_or("")));
        }
    }
    reports.extend(separate(headers, "ratelimit", "ratelimit-remaining", "ratelimit-reset", |v| {
        seconds(v).map(Resets::In)
    }));
    reports.extend(separate(headers, "x-ratelimit", "x-ratelimit-remaining", "x-ratelimit-reset", |v| {
        reset_in(v, now).map(Resets::In)
    }));
    let hubspot = |remaining: &str, interval: Option<Duration>| -> Option<u64> {
        interval?;
        count(text(headers, remaining)?)
    };
    let interval = text(headers, "x-hubspot-ratelimit-interval-milliseconds").and_then(millis);
    if let (Some(remaining), Some(interval)) = (hubspot("x-hubspot-ratelimit-remaining", interval), interval) {
        reports.push(Report { policy: "hubspot".into(), remaining, resets: Resets::Within(interval) });
    }
    let second = Some(Duration::from_secs(1));
    if let Some(remaining) = hubspot("x-hubspot-ratelimit-secondly-remaining", second) {
        let resets = Resets::Within(Duration::from_secs(1));
        reports.push(Report { policy: "hubspot-secondly".into(), remaining, resets });
    }
    if let Some(report) = text(headers, "sforce-limit-info").and_then(salesforce) {
        reports.push(report);
    }
    reports
}

/// Salesforce's `Sforce-Limit-Info: api-usage=18/15000; per-app-api-usage=…`: the org's calls used and its
/// allocation, counted over a rolling 24 hours (so no reset is known: the window's length is).
fn salesforce(value: &str) -> Option<Report> {
    let usage = value.split(';').find_map(|member| {
        let (key, value) = member.split_once('=')?;
        key.trim().eq_ignore_ascii_case("api-usage").then_some(value)
    })?;
    let (used, limit) = usage.split_once('/')?;
    let remaining = count(limit)?.saturating_sub(count(used)?);
    Some(Report { policy: "salesforce-daily".into(), remaining, resets: Resets::Within(DAY) })
}

/// Salesforce's window: a rolling 24 hours.
const DAY: Duration = Duration::from_secs(24 * 3600);

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim)
}

/// A count of calls: a non-negative integer.
fn count(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// A non-negative number of seconds, whole or not.
fn seconds(text: &str) -> Option<Duration> {
    let value: f64 = text.trim().parse().ok()?;
    Duration::try_from_secs_f64(value).ok()
}

fn millis(text: &str) -> Option<Duration> {
    count(text).map(Duration::from_millis)
}

/// `X-RateLimit-Reset`: seconds from now, or a Unix time in seconds or milliseconds (one in the past: now).
fn reset_in(text: &str, now: SystemTime) -> Option<Duration> {
    // Negative, infinite and NaN values are no `Duration`: they give `None` below.
    let value: f64 = text.trim().parse().ok()?;
    if value < EPOCH_SECONDS_FROM {
        return Duration::try_from_secs_f64(value).ok();
    }
    let at = if value < EPOCH_MILLIS_FROM { value } else { value / 1000.0 };
    let at = UNIX_EPOCH + Duration::try_from_secs_f64(at).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// One policy in three fields of their own: `<prefix>-remaining` and `<prefix>-reset` (`<prefix>-limit` is not
/// needed).
fn separate(
    headers: &HeaderMap,
    policy: &str,
    remaining: &str,
    reset: &str,
    resets: impl Fn(&str) -> Option<Resets>,
) -> Option<Report> {
    let remaining = count(text(headers, remaining)?)?;
    let resets = resets(text(headers, reset)?)?;
    Some(Report { policy: policy.to_owned(), remaining, resets })
}

/// Whether `RateLimit` is draft -07's dictionary (`limit=100, remaining=50, reset=30`) rather than a list of
/// policies (`"default";r=50;t=30`).
fn is_dictionary(value: &str) -> bool {
    members(value).any(|member| {
        let key = member.split('=').next().unwrap_or("").trim();
        key.eq_ignore_ascii_case("remaining") && member.contains('=')
    })
}

/// Draft -07: `limit=100, remaining=50, reset=30`.
fn draft_07(value: &str) -> Option<Report> {
    let (mut remaining, mut reset) = (None, None);
    for member in members(value) {
        let Some((key, value)) = member.split_once('=') else { continue };
        // A member may have parameters (`limit=100;w=60`): the value is before them.
        let value = value.split(';').next().unwrap_or("");
        match key.trim().to_ascii_lowercase().as_str() {
            "remaining" => remaining = count(value),
            "reset" => reset = seconds(value),
            _ => {}
        }
    }
    Some(Report { policy: "ratelimit".into(), remaining: remaining?, resets: Resets::In(reset?) })
}

/// Drafts -08 on: `RateLimit: "burst";r=5;t=1, "daily";r=900` with `RateLimit-Policy: "burst";q=10;w=1,
/// "daily";q=1000;w=86400`. A policy without `t` resets at most its window `w` after its first call; one with
/// neither is left out.
fn structured(limits: &str, policies: &str) -> Vec<Report> {
    let windows: Vec<(String, Option<Duration>)> = members(policies)
        .filter_map(|member| {
            let (name, parameters) = item(member)?;
            let window = parameters.iter().find(|(key, _)| key == "w").and_then(|(_, value)| seconds(value));
            Some((name, window))
        })
        .collect();
    members(limits)
        .filter_map(|member| {
            let (policy, parameters) = item(member)?;
            let parameter = |wanted: &str| parameters.iter().find(|(key, _)| key == wanted).map(|(_, v)| v.as_str());
            let remaining = count(parameter("r")?)?;
            let resets = match parameter("t").and_then(seconds) {
                Some(reset) => Resets::In(reset),
                None => Resets::Within(windows.iter().find(|(name, _)| *name == policy)?.1?),
            };
            Some(Report { policy, remaining, resets })
        })
        .collect()
}

/// The members of a structured-field list or dictionary: split on the commas outside quoted strings.
fn members(value: &str) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    let mut cuts = Vec::new();
    for (at, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                cuts.push(&value[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    cuts.push(&value[start..]);
    cuts.into_iter().map(str::trim).filter(|member| !member.is_empty())
}

/// One item of a list: its name (a quoted string or a token) and its parameters (`;key=value`, values unquoted).
fn item(member: &str) -> Option<(String, Vec<(String, String)>)> {
    let (name, rest) = match member.strip_prefix('"') {
        Some(quoted) => {
            let mut name = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (_, '\\') => name.push(chars.next()?.1),
                    (at, '"') => break at + 1,
                    (_, c) => name.push(c),
                }
            };
            (name, &quoted[end..])
        }
        None => {
            let end = member.find(';').unwrap_or(member.len());
            let name = member[..end].trim();
            if name.is_empty() {
                return None;
            }
            (name.to_owned(), &member[end..])
        }
    };
    let parameters = rest
        .split(';')
        .filter_map(|parameter| {
            let (key, value) = parameter.split_once('=')?;
            Some((key.trim().to_ascii_lowercase(), value.trim().trim_matches('"').to_owned()))
        })
        .collect();
    Some((name, parameters))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    fn report(policy: &str, remaining: u64, resets: Resets) -> Report {
        Report { policy: policy.into(), remaining, resets }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + secs(1_700_000_000)
    }

    #[test]
    fn reads_the_current_ietf_list_of_policies() {
        let read = read(
            &headers(&[
                ("ratelimit", r#""burst";r=5;t=1, "daily";r=900, "noisy";r=1, "a \"quoted\", name";r=0;t=7"#),
                ("ratelimit-policy", r#""burst";q=10;w=1, "daily";q=1000;w=86400, "other";q=1;w=5"#),
            ]),
            now(),
        );
        assert_eq!(
            read,
            [
                report("burst", 5, Resets::In(secs(1))),
                report("daily", 900, Resets::Within(secs(86400))),
                // "noisy" has no reset and no policy: left out.
                report("a \"quoted\", name", 0, Resets::In(secs(7))),
            ]
        );
        // Tokens as names, parameters in any order and case, a partition key.
        let read = super::read(&headers(&[("ratelimit", "default;t=30;pk=:AbC=:;R=50")]), now());
        assert_eq!(read, [report("default", 50, Resets::In(secs(30)))]);
    }

    #[test]
    fn reads_salesforces_api_usage() {
        let daily = |remaining| report("salesforce-daily", remaining, Resets::Within(secs(86400)));
        let read = |value: &'static str| super::read(&headers(&[("sforce-limit-info", value)]), now());
        assert_eq!(read("api-usage=18/15000"), [daily(14982)]);
        assert_eq!(read("per-app-api-usage=17/250(appName=app); API-Usage = 25/5000"), [daily(4975)]);
        // Past the allocation (Salesforce lets an org overshoot a little): nothing left.
        assert_eq!(read("api-usage=110018/100000; api-bursts=1/750"), [daily(0)]);
        for unreadable in ["api-usage=18", "api-usage=x/5000", "api-usage=5/-1", "per-app-api-usage=1/2", ""] {
            assert_eq!(read(unreadable), [], "{unreadable}");
        }
    }

    #[test]
    fn reads_the_earlier_ietf_drafts() {
        let combined = headers(&[("ratelimit", "limit=100, remaining=50, reset=30")]);
        assert_eq!(read(&combined, now()), [report("ratelimit", 50, Resets::In(secs(30)))]);
        let parameters = headers(&[("ratelimit", "limit=100;w=60, Remaining=0;comment=\"x,y\", reset=2")]);
        assert_eq!(read(&parameters, now()), [report("ratelimit", 0, Resets::In(secs(2)))]);
        let separate =
            headers(&[("ratelimit-limit", "700"), ("ratelimit-remaining", "699"), ("ratelimit-reset", "41")]);
        assert_eq!(read(&separate, now()), [report("ratelimit", 699, Resets::In(secs(41)))]);
        // Half a form is nothing.
        assert_eq!(read(&headers(&[("ratelimit", "limit=100, remaining=50")]), now()), []);
        assert_eq!(read(&headers(&[("ratelimit", "limit=100, reset=5")]), now()), []);
        assert_eq!(read(&headers(&[("ratelimit-remaining", "5")]), now()), []);
    }

    #[test]
    fn reads_x_ratelimit_with_a_delay_or_a_unix_time() {
        let read_reset = |reset: &'static str| {
            super::read(&headers(&[("x-ratelimit-remaining", "3"), ("x-ratelimit-reset", reset)]), now())
        };
        assert_eq!(read_reset("60"), [report("x-ratelimit", 3, Resets::In(secs(60)))]);
        assert_eq!(read_reset("0.25"), [report("x-ratelimit", 3, Resets::In(Duration::from_millis(250)))]);
        assert_eq!(read_reset("1700000042"), [report("x-ratelimit", 3, Resets::In(secs(42)))]);
        assert_eq!(read_reset("1700000042500"), [report("x-ratelimit", 3, Resets::In(Duration::from_millis(42_500)))]);
        // A Unix time just at the boundary, and one in the past: now.
        assert_eq!(read_reset("999999999"), [report("x-ratelimit", 3, Resets::In(secs(999_999_999)))]);
        assert_eq!(read_reset("1000000000"), [report("x-ratelimit", 3, Resets::In(Duration::ZERO))]);
        assert_eq!(read_reset("1699999000"), [report("x-ratelimit", 3, Resets::In(Duration::ZERO))]);
        // Seconds up to 1e12, milliseconds from there.
        let far = UNIX_EPOCH + secs(999_999_999_999);
        let far = far.duration_since(now()).unwrap();
        assert_eq!(read_reset("999999999999"), [report("x-ratelimit", 3, Resets::In(far))]);
        assert_eq!(read_reset("1000000000000"), [report("x-ratelimit", 3, Resets::In(Duration::ZERO))]);
        for bad in ["-1", "soon", "NaN", "inf", ""] {
            assert_eq!(read_reset(bad), [], "{bad}");
        }
        assert_eq!(read(&headers(&[("x-ratelimit-remaining", "-3"), ("x-ratelimit-reset", "5")]), now()), []);
    }

    #[test]
    fn reads_hubspots_windows() {
        let both = headers(&[
            ("x-hubspot-ratelimit-max", "100"),
            ("x-hubspot-ratelimit-remaining", "97"),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000"),
            ("x-hubspot-ratelimit-secondly", "10"),
            ("x-hubspot-ratelimit-secondly-remaining", "9"),
        ]);
        assert_eq!(
            read(&both, now()),
            [report("hubspot", 97, Resets::Within(secs(10))), report("hubspot-secondly", 9, Resets::Within(secs(1))),]
        );
        let no_interval = headers(&[("x-hubspot-ratelimit-remaining", "97")]);
        assert_eq!(read(&no_interval, now()), []);
        let bad =
            headers(&[("x-hubspot-ratelimit-remaining", "97"), ("x-hubspot-ratelimit-interval-milliseconds", "10s")]);
        assert_eq!(read(&bad, now()), []);
    }

    #[test]
    fn reads_every_convention_at_once_and_nothing_from_none() {
        assert_eq!(read(&HeaderMap::new(), now()), []);
        let all = headers(&[
            ("ratelimit", "\"p\";r=1;t=2"),
            ("ratelimit-remaining", "3"),
            ("ratelimit-reset", "4"),
            ("x-ratelimit-remaining", "5"),
            ("x-ratelimit-reset", "6"),
        ]);
        let policies: Vec<String> = read(&all, now()).into_iter().map(|r| r.policy).collect();
        assert_eq!(policies, ["p", "ratelimit", "x-ratelimit"]);
    }

    #[test]
    fn splits_members_outside_quotes_only() {
        let split: Vec<&str> = members(r#" a, "b,\"c" ;x=1 ,, d "#).collect();
        assert_eq!(split, ["a", r#""b,\"c" ;x=1"#, "d"]);
        // A backslash escapes only within quotes.
        assert_eq!(members(r"a\,b").collect::<Vec<_>>(), [r"a\", "b"]);
        assert_eq!(item(r#""unterminated;r=1"#), None);
        // The parameters start right after the closing quote.
        let r = || vec![("r".to_owned(), "1".to_owned())];
        assert_eq!(item(r#""a=";r=1"#).unwrap(), ("a=".to_owned(), r()));
        assert_eq!(item(r#""n"r=1"#).unwrap(), ("n".to_owned(), r()));
        assert_eq!(item("\"\";r=1").unwrap(), (String::new(), r()));
        assert_eq!(item(";r=1"), None);
        assert_eq!(item("n;r=1;flag").unwrap(), ("n".to_owned(), vec![("r".to_owned(), "1".to_owned())]));
    }
}
