//! Where calls may go: base URLs that a request can choose among but never invent.
//!
//! It exists because many services live at a per-customer host (`https://acme.zendesk.com`) and the customer's
//! part arrives in the request (`auth.subdomain`). Pasted into a URL as it is, `evil.com/`, `a@b` or `x.y` would
//! send the user's credentials somewhere else. Here the request only supplies one DNS label, checked before any
//! URL exists; the parent domain is fixed in code; the only other way to move a bridge is an operator's override
//! from configuration (an environment variable read at start-up), never from a request.
//!
//! Paths are built the same way: [`BaseUrl::join`] percent-encodes each segment, so an id such as `12/../../admin`
//! stays one segment.

use crate::{Error, FieldError};
use reqwest::Url;
use std::fmt;

/// Why a configured base URL was refused (at start-up: a request never supplies one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrlError(String);

impl fmt::Display for BaseUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BaseUrlError {}

/// The root of an external service's API: an `http` or `https` URL with a host, no credentials, no query and no
/// fragment, whose path ends with `/`. Calls are built from it with [`join`](Self::join).
///
/// It comes either from code and configuration ([`parse`](Self::parse), [`from_variable`](Self::from_variable)) or from a
/// [`TenantUrl`] given a checked label.
///
/// ```
/// use bridge::http::BaseUrl;
///
/// let base = BaseUrl::parse("https://api.example.com/v2").unwrap();
/// let url = base.join(["users", "ann/../../admin", "tickets.json"]).unwrap();
/// assert_eq!(url.as_str(), "https://api.example.com/v2/users/ann%2F..%2F..%2Fadmin/tickets.json");
/// assert!(base.join(["users", ".."]).is_err());
/// assert!(BaseUrl::parse("https://user:pw@api.example.com").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Checks a base URL from code or configuration.
    ///
    /// `http` is accepted so that an operator can point a bridge at a local fake or a proxy; production
    /// defaults should be `https`.
    pub fn parse(text: &str) -> Result<Self, BaseUrlError> {
        let refuse = |why: &str| Err(BaseUrlError(format!("invalid base URL: {why}")));
        let Ok(mut url) = Url::parse(text.trim()) else {
            return refuse("not an absolute URL");
        };
        if !matches!(url.scheme(), "http" | "https") {
            return refuse("the scheme must be http or https");
        }
        if url.host_str().is_none_or(str::is_empty) {
            return refuse("there is no host");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("it may not carry credentials");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return refuse("it may not have a query or a fragment");
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self(url))
    }

    /// The base URL an operator's override variable (such as `ZENDESK_BASE_URL`) holds, given the value the
    /// program read (`None` or empty: no override); an error names the variable. The library never reads the
    /// environment itself: the program's `main` does, once, at start-up.
    ///
    /// ```
    /// use bridge::http::BaseUrl;
    ///
    /// let read = BaseUrl::from_variable("ZENDESK_BASE_URL", Some("http://127.0.0.1:8080")).unwrap();
    /// assert_eq!(read.unwrap().to_string(), "http://127.0.0.1:8080/");
    /// assert_eq!(BaseUrl::from_variable("ZENDESK_BASE_URL", Some(" ")), Ok(None));
    /// let err = BaseUrl::from_variable("ZENDESK_BASE_URL", Some("ftp://x")).unwrap_err();
    /// assert!(err.to_string().starts_with("ZENDESK_BASE_URL: "));
    /// ```
    pub fn from_variable(name: &str, value: Option<&str>) -> Result<Option<Self>, BaseUrlError> {
        match value {
            Some(value) if !value.trim().is_empty() => {
                Self::parse(value).map(Some).map_err(|e| BaseUrlError(format!("{name}: {e}")))
            }
            _ => Ok(None),
        }
    }

    /// The URL itself.
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// The base with `segments` appended to its path, each percent-encoded as one segment (`/`, `?`, `#`, `%`
    /// and the like cannot escape it).
    ///
    /// A segment that is empty, `.` or `..` is refused with a `400`, since segments usually come from the request
    /// (an id) and these would silently name another resource.
    pub fn join<I>(&self, segments: I) -> Result<Url, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut segments = segments.into_iter().peekable();
        if segments.peek().is_none() {
            return Ok(self.0.clone());
        }
        let mut url = self.0.clone();
        {
            let mut path = url.path_segments_mut().map_err(|()| Error::internal("the base URL cannot have a path"))?;
            path.pop_if_empty();
            for segment in segments {
                let segment = segment.as_ref();
                if matches!(segment, "" | "." | "..") {
                    return Err(Error::invalid_input(
                        "an identifier in the request is empty, \".\" or \"..\", which cannot name a resource",
                    ));
                }
                path.push(segment);
            }
        }
        Ok(url)
    }

    /// A link found in the service's answer (a `next_page` URL, say), if it points at the same scheme, host and
    /// port as this base; otherwise a `502`: a service does not send a bridge elsewhere with its credentials.
    pub fn follow(&self, link: &str) -> Result<Url, Error> {
        let url =
            self.0.join(link).map_err(|_| Error::upstream("the external service sent a link that is not a URL"))?;
        let same_origin = url.scheme() == self.0.scheme()
            && url.host() == self.0.host()
            && url.port_or_known_default() == self.0.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none();
        if same_origin {
            Ok(url)
        } else {
            Err(Error::upstream("the external service sent a link to another site, which the bridge does not follow"))
        }
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({:?})", self.0.as_str())
    }
}

/// Per-customer base URLs under a fixed parent domain: `https://<label>.<parent>/`, where the label comes from
/// the request and is checked first.
///
/// **The label** must be one DNS label: 1 to 63 characters among `a`–`z`, `0`–`9` and `-`, not starting or
/// ending with `-`. ASCII capitals are lowercased (host names are case-insensitive, and users type `Acme`);
/// anything else is refused, with no attempt at repair: spaces, dots, `/`, `@`, `%`, `:`, non-ASCII letters. A
/// refused label is a `400` naming the request field it came from, and no URL, hence no call, is made.
///
/// **An override** (for a staging host, a proxy, a local fake) replaces the whole base for every tenant. It comes
/// from code or configuration ([`with_override`](Self::with_override), with a [`BaseUrl::from_variable`] the
/// program read at start-up), never from a request. The label is still checked when an
/// override is set, so invalid requests fail the same way everywhere.
///
/// ```
/// use bridge::http::TenantUrl;
///
/// let zendesk = TenantUrl::new("zendesk.com");
/// let base = zendesk.tenant("auth.subdomain", "Acme").unwrap();
/// assert_eq!(base.to_string(), "https://acme.zendesk.com/");
///
/// let err = zendesk.tenant("auth.subdomain", "evil.com/").unwrap_err();
/// assert_eq!(err.status(), 400);
/// assert_eq!(err.fields()[0].field, "auth.subdomain");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUrl {
    parent: String,
    override_base: Option<BaseUrl>,
}

impl TenantUrl {
    /// Tenants under `parent_domain` (e.g. `"zendesk.com"`), which is fixed in the bridge's code.
    ///
    /// # Panics
    ///
    /// If `parent_domain` is not a dot-separated list of valid labels (see above): a bug, found at start-up.
    pub fn new(parent_domain: &str) -> Self {
        let parent = parent_domain.to_ascii_lowercase();
        assert!(
            parent.split('.').all(|label| check_label(label).is_ok()),
            "TenantUrl::new: {parent_domain:?} is not a valid parent domain"
        );
        Self { parent, override_base: None }
    }

    /// Sends every tenant to `base` instead.
    pub fn with_override(mut self, base: BaseUrl) -> Self {
        self.override_base = Some(base);
        self
    }

    /// The parent domain.
    pub fn parent_domain(&self) -> &str {
        &self.parent
    }

    /// The override, if one is set.
    pub fn override_base(&self) -> Option<&BaseUrl> {
        self.override_base.as_ref()
    }

    /// The base URL of the tenant `label`, which came from the request field `field` (named in the error).
    pub fn tenant(&self, field: &str, label: &str) -> Result<BaseUrl, Error> {
        let label = check_label(label).map_err(|message| {
            Error::invalid_fields(vec![FieldError { field: field.to_owned(), message: message.to_owned() }])
        })?;
        if let Some(base) = &self.override_base {
            return Ok(base.clone());
        }
        let url = Url::parse(&format!("https://{label}.{}/", self.parent))
            .map_err(|_| Error::internal("a checked tenant label did not make a URL"))?;
        Ok(BaseUrl(url))
    }
}

/// Per-customer base URLs that arrive whole, from the request or from the service itself (Salesforce's
/// `instance_url`: `https://acme.my.salesforce.com`), checked before any call is made to them: `https`, no
/// credentials, port, query or fragment, no path but `/`, and a host made of valid DNS labels **under** one of the
/// parent domains fixed in code (`salesforce.com` accepts `acme.my.salesforce.com`, never `salesforce.com` itself
/// nor `salesforce.com.evil.example`). Anything else is a `400` naming the field it came from, and no URL exists.
///
/// As with [`TenantUrl`], an operator's [override](Self::with_override) (a proxy, a local fake) replaces every
/// tenant's base, and the URL is still checked first, so that invalid requests fail the same way everywhere.
///
/// ```
/// use bridge::http::TenantHosts;
///
/// let salesforce = TenantHosts::new(&["salesforce.com", "force.com"]);
/// let base = salesforce.tenant("auth.instance_url", "https://Acme.my.salesforce.com").unwrap();
/// assert_eq!(base.to_string(), "https://acme.my.salesforce.com/");
///
/// for foreign in ["https://evil.example", "http://acme.my.salesforce.com", "https://salesforce.com.evil.example"] {
///     let err = salesforce.tenant("auth.instance_url", foreign).unwrap_err();
///     assert_eq!((err.status(), err.fields()[0].field.as_str()), (400, "auth.instance_url"));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantHosts {
    parents: Vec<String>,
    override_base: Option<BaseUrl>,
}

impl TenantHosts {
    /// Tenants under any of `parent_domains` (e.g. `["salesforce.com", "force.com"]`), fixed in the bridge's code.
    ///
    /// # Panics
    ///
    /// If one of `parent_domains` is not a dot-separated list of valid labels: a bug, found at start-up.
    pub fn new(parent_domains: &[&str]) -> Self {
        let parents = parent_domains.iter().map(|parent| TenantUrl::new(parent).parent).collect();
        Self { parents, override_base: None }
    }

    /// Sends every tenant to `base` instead.
    pub fn with_override(mut self, base: BaseUrl) -> Self {
        self.override_base = Some(base);
        self
    }

    /// The override, if one is set.
    pub fn override_base(&self) -> Option<&BaseUrl> {
        self.override_base.as_ref()
    }

    /// The tenant's own base URL (`https://<host>/`, the host lowercased), whatever the override: the key to
    /// remember things of the tenant by. A `400` naming `field` when `url` is not one of these tenants'.
    pub fn own_base(&self, field: &str, url: &str) -> Result<BaseUrl, Error> {
        let refuse = |message: String| Error::invalid_fields(vec![FieldError { field: field.to_owned(), message }]);
        let expected = || format!("must be an https URL under {}", self.parents.join(" or "));
        let url = Url::parse(url.trim()).map_err(|_| refuse(format!("is not a URL: it {}", expected())))?;
        if url.scheme() != "https" {
            return Err(refuse(format!("{}: the scheme is not https", expected())));
        }
        if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
            return Err(refuse(format!("{}, with no credentials and no port", expected())));
        }
        if url.query().is_some() || url.fragment().is_some() || !matches!(url.path(), "" | "/") {
            return Err(refuse(format!("{}, with no path, query or fragment", expected())));
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let under = |parent: &String| {
            host.strip_suffix(parent.as_str())
                .and_then(|rest| rest.strip_suffix('.'))
                .is_some_and(|labels| labels.split('.').all(|label| check_label(label).is_ok()))
        };
        if !self.parents.iter().any(under) {
            return Err(refuse(format!("{}: the host is not one of them", expected())));
        }
        Url::parse(&format!("https://{host}/"))
            .map(BaseUrl)
            .map_err(|_| Error::internal("a checked tenant host did not make a URL"))
    }

    /// The base URL calls for the tenant at `url` go to: [`own_base`](Self::own_base), or the override when one
    /// is set (after the same check).
    pub fn tenant(&self, field: &str, url: &str) -> Result<BaseUrl, Error> {
        let own = self.own_base(field, url)?;
        Ok(self.override_base.clone().unwrap_or(own))
    }
}

/// `label`, lowercased, if it is one DNS label; otherwise why not.
fn check_label(label: &str) -> Result<String, &'static str> {
    if label.is_empty() {
        return Err("must not be empty");
    }
    if label.len() > 63 {
        return Err("must be at most 63 characters long");
    }
    if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("must be a single DNS label: only letters, digits and hyphens");
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err("must not start or end with a hyphen");
    }
    Ok(label.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_operators_override_from_the_value_the_program_read() {
        let read = |value| BaseUrl::from_variable("ZENDESK_BASE_URL", value);
        assert_eq!(read(Some("http://127.0.0.1:8080")).unwrap().unwrap().as_url().as_str(), "http://127.0.0.1:8080/");
        assert_eq!(read(Some(" http://a.example ")).unwrap().unwrap().to_string(), "http://a.example/");
        assert_eq!(read(Some("   ")), Ok(None));
        assert_eq!(read(Some("")), Ok(None));
        assert_eq!(read(None), Ok(None));
        let err = read(Some("ftp://a.example")).unwrap_err();
        assert_eq!(err.to_string(), "ZENDESK_BASE_URL: invalid base URL: the scheme must be http or https");
    }

    #[test]
    fn refuses_credentials_in_either_part() {
        for url in ["https://user@a.example", "https://:pw@a.example", "https://user:pw@a.example"] {
            let err = BaseUrl::parse(url).unwrap_err();
            assert_eq!(err.to_string(), "invalid base URL: it may not carry credentials", "{url}");
        }
    }

    #[test]
    fn prints_the_url_and_its_override() {
        let base = BaseUrl::parse("https://a.example/v2").unwrap();
        assert_eq!(format!("{base:?}"), "BaseUrl(\"https://a.example/v2/\")");
        let tenants = TenantUrl::new("zendesk.com");
        assert_eq!(tenants.override_base(), None);
        let moved = tenants.with_override(base.clone());
        assert_eq!(moved.override_base(), Some(&base));
    }

    #[test]
    fn tenant_hosts_take_only_https_hosts_under_their_parents() {
        let hosts = TenantHosts::new(&["salesforce.com", "force.com"]);
        let base = |url: &str| hosts.tenant("auth.instance_url", url).map(|b| b.to_string());
        for (good, expected) in [
            ("https://acme.my.salesforce.com", "https://acme.my.salesforce.com/"),
            ("https://ACME.my.salesforce.com/", "https://acme.my.salesforce.com/"),
            ("https://acme--dev.sandbox.my.salesforce.com", "https://acme--dev.sandbox.my.salesforce.com/"),
            ("https://fun-app-1234.scratch.my.salesforce.com", "https://fun-app-1234.scratch.my.salesforce.com/"),
            ("https://na1.salesforce.com", "https://na1.salesforce.com/"),
            ("https://acme.lightning.force.com", "https://acme.lightning.force.com/"),
        ] {
            assert_eq!(base(good).ok().as_deref(), Some(expected), "{good}");
        }
        for bad in [
            "https://evil.example",
            "https://salesforce.com",
            "https://.salesforce.com",
            "https://evilsalesforce.com",
            "https://salesforce.com.evil.example",
            "https://acme.my.salesforce.com.evil.example/",
            "https://acme.my.salesforce.com@evil.example",
            "https://user:pw@acme.my.salesforce.com",
            "http://acme.my.salesforce.com",
            "https://acme.my.salesforce.com:8443",
            "https://acme.my.salesforce.com/services",
            "https://acme.my.salesforce.com/?x=1",
            "https://acme.my.salesforce.com/#x",
            "https://a_b.my.salesforce.com",
            "https://127.0.0.1",
            "acme.my.salesforce.com",
            "",
        ] {
            let err = base(bad).unwrap_err();
            assert_eq!((err.status(), err.fields()[0].field.as_str()), (400, "auth.instance_url"), "{bad}");
        }
        let local = BaseUrl::parse("http://127.0.0.1:9/").unwrap();
        let moved = hosts.clone().with_override(local.clone());
        assert_eq!(moved.tenant("f", "https://acme.my.salesforce.com").ok(), Some(local.clone()));
        assert_eq!(
            moved.own_base("f", "https://acme.my.salesforce.com").unwrap().to_string(),
            "https://acme.my.salesforce.com/"
        );
        assert!(moved.tenant("f", "https://evil.example").is_err(), "the override does not skip the check");
        assert_eq!((hosts.override_base(), moved.override_base()), (None, Some(&local)));
    }

    #[test]
    fn labels() {
        for good in ["acme", "a", "a-b", "0", "xn--caf-dma", &"a".repeat(63)] {
            assert_eq!(check_label(good).as_deref(), Ok(good), "{good}");
        }
        assert_eq!(check_label("AcMe").as_deref(), Ok("acme"));
        for bad in [
            "",
            "evil.com/",
            "a@b",
            "x.y",
            "..",
            "%2e",
            "-a",
            "a-",
            "a b",
            " a",
            "a\n",
            "café",
            "a:80",
            "a/b",
            "a?b",
            "a#b",
            "a\\b",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(check_label(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn join_keeps_each_segment_whole() {
        let base = BaseUrl::parse("http://127.0.0.1:9/root").unwrap();
        assert_eq!(base.to_string(), "http://127.0.0.1:9/root/");
        let url = base.join(["a b", "%2e%2e", "x?y#z", "a\\b", "é"]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/root/a%20b/%252e%252e/x%3Fy%23z/a%5Cb/%C3%A9");
        for bad in ["", ".", ".."] {
            assert_eq!(base.join(["users", bad]).unwrap_err().status(), 400);
        }
        assert_eq!(base.join::<[&str; 0]>([]).unwrap().as_str(), "http://127.0.0.1:9/root/");
    }

    #[test]
    fn follow_stays_on_the_same_origin() {
        let base = BaseUrl::parse("https://acme.zendesk.com/").unwrap();
        let next = base.follow("https://acme.zendesk.com/api/v2/users.json?page=2").unwrap();
        assert_eq!(next.as_str(), "https://acme.zendesk.com/api/v2/users.json?page=2");
        assert!(base.follow("/api/v2/users.json?page=3").is_ok());
        for bad in [
            "https://evil.com/",
            "http://acme.zendesk.com/",
            "https://acme.zendesk.com:8443/",
            "https://x@acme.zendesk.com/",
            "//evil.com/a",
        ] {
            assert_eq!(base.follow(bad).unwrap_err().status(), 502, "{bad}");
        }
    }

    #[test]
    fn base_urls_from_configuration() {
        for bad in ["ftp://x/", "https://a/?q=1", "https://a/#f", "relative/path", "https://u:p@a/"] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
        let tenants = TenantUrl::new("Zendesk.com").with_override(BaseUrl::parse("http://127.0.0.1:1").unwrap());
        assert_eq!(tenants.parent_domain(), "zendesk.com");
        assert_eq!(tenants.tenant("auth.subdomain", "acme").unwrap().to_string(), "http://127.0.0.1:1/");
        assert!(tenants.tenant("auth.subdomain", "a@b").is_err());
    }

    #[test]
    #[should_panic(expected = "not a valid parent domain")]
    fn parent_domain_is_checked() {
        TenantUrl::new("zendesk.com/");
    }
}
