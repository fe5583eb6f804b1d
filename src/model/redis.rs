//! Redis URLs: `redis://` or `rediss://[user[:password]@]host[:port][/db][?password=…]`.
//!
//! Parsed here, once, so that everything downstream (env values, probes,
//! KEDA's trigger) uses the parts it needs, and the password goes only into
//! a Secret. The URL is read as Frappe's client reads it: redis-py's
//! `parse_url`, which splits it with Python's `urlparse` (the authority ends
//! at the first `/`, `?` or `#`; the user-info at the last `@` before it; the
//! password after the first `:` of the user-info) and percent-decodes the
//! user and the password, and reads `?password=` too. So the Secret and
//! KEDA get the password Redis receives, decoded, and the URLs written for
//! the pods percent-encode it again.

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::endpoint;
use super::jobs;
use super::report::Reporter;
use crate::diagnostic::Code;
use crate::values::{Anchor, Spanned, Values};

/// A parsed Redis URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    pub tls: bool,
    /// The ACL user name, decoded (`default` on managed services).
    pub user: Option<String>,
    /// The password, decoded: what Redis receives.
    pub password: Option<String>,
    /// The user-info is a name alone (`redis://name@host`, no `:`), which
    /// redis-py sends as a user name with an empty password.
    pub bare_user: bool,
    pub host: String,
    pub port: u16,
    /// The database number (`/1`), 0 by default.
    pub db: u32,
}

/// Why a text is not a Redis URL. No variant holds text of the user-info:
/// messages quote the URL only whole, which diagnostics mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisUrlError {
    /// A control character other than a tab or a line break (which are
    /// removed, as Python removes them).
    ControlCharacter,
    Scheme,
    BareHost,
    UnclosedBracket,
    NoHost,
    InvalidHost,
    InvalidPort(String),
    InvalidDatabase(String),
    UnencodedUser,
    /// An `@` after the first `/`, `?` or `#`: a password with one of these
    /// unencoded, which every client reads as a host and port instead.
    UnencodedPassword,
    /// A percent-escape of the user-info or the query that is no UTF-8 text.
    NotUtf8,
    /// A query parameter other than `password`, which no pod would receive.
    QueryParameter,
    Fragment,
    /// A password in the user-info and another in the query.
    TwoPasswords,
}

impl fmt::Display for RedisUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisUrlError::ControlCharacter => f.write_str("it holds a control character"),
            RedisUrlError::Scheme => f.write_str("the scheme must be `redis://` or `rediss://`"),
            RedisUrlError::BareHost => f.write_str("write a URL such as `redis://host:6379`, not a bare host"),
            RedisUrlError::UnclosedBracket => f.write_str("an IPv6 host needs a closing `]`"),
            RedisUrlError::NoHost => f.write_str("the URL has no host"),
            RedisUrlError::InvalidHost => f.write_str("the host is not a DNS name or an IP address"),
            RedisUrlError::InvalidPort(port) => write!(f, "`{port}` is not a port (1-65535)"),
            RedisUrlError::InvalidDatabase(db) => write!(f, "`/{db}` is not a database number"),
            RedisUrlError::UnencodedUser => f.write_str("the user name has characters a URL must percent-encode"),
            RedisUrlError::UnencodedPassword => f.write_str(
                "an `@` follows a `/`, `?` or `#`, so Redis clients take the host from inside the password; \
                 percent-encode these in a password (`/` as `%2F`, `?` as `%3F`, `#` as `%23`, `@` as `%40`)",
            ),
            RedisUrlError::NotUtf8 => f.write_str("a percent-escape does not decode to UTF-8 text"),
            RedisUrlError::QueryParameter => {
                f.write_str("the query may hold `password=` only: the URLs written for the pods and KEDA carry no other parameter")
            }
            RedisUrlError::Fragment => f.write_str("a `#` has no meaning in a Redis URL; in a password, write it as `%23`"),
            RedisUrlError::TwoPasswords => f.write_str("the URL has a password before the host and another in its query; keep one"),
        }
    }
}

impl std::error::Error for RedisUrlError {}

/// What a user name or password keeps unencoded in the URLs written: RFC
/// 3986 `unreserved` alone, so that `$` (the kubelet's `$(VAR)`), `%` and
/// every delimiter are escaped.
const USERINFO_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `text` percent-decoded, as Python's `unquote` reads it (an invalid
/// escape stays as written); `plus`: a `+` is a blank, as in a query.
fn decode(text: &str, plus: bool) -> Result<String, RedisUrlError> {
    let text = if plus { text.replace('+', " ") } else { text.to_owned() };
    percent_decode_str(&text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| RedisUrlError::NotUtf8)
}

impl RedisUrl {
    pub fn parse(url: &str) -> Result<RedisUrl, RedisUrlError> {
        // redis-py's `parse_url` reads a URL with Python's `urlsplit`,
        // which removes every tab and line break first (3.9.5 and later,
        // bpo-43882), as the WHATWG parser of socket.io's Node does: the
        // last line break of a `--set-file` file, which helm keeps, breaks
        // no Frappe pod. The URLs written are built from the parts.
        let url = url.replace(['\t', '\r', '\n'], "");
        if url.contains(char::is_control) {
            return Err(RedisUrlError::ControlCharacter);
        }
        let (tls, rest) = if let Some(rest) = url.strip_prefix("rediss://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("redis://") {
            (false, rest)
        } else if url.contains("://") {
            return Err(RedisUrlError::Scheme);
        } else {
            return Err(RedisUrlError::BareHost);
        };
        // Where `urlparse` ends the authority. An `@` after it means a
        // password with an unencoded delimiter: refused before any part of
        // the URL is read, so that no message names a piece of it.
        let (authority, after) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        if after.contains('@') {
            return Err(RedisUrlError::UnencodedPassword);
        }
        if after.contains('#') {
            return Err(RedisUrlError::Fragment);
        }
        let (path, query) = after.split_once('?').unwrap_or((after, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').ok_or(RedisUrlError::UnclosedBracket)?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(RedisUrlError::NoHost);
        }
        if !endpoint::is_host(host) {
            return Err(RedisUrlError::InvalidHost);
        }
        let port = match port {
            None => 6379,
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| RedisUrlError::InvalidPort(port.to_owned()))?,
        };
        let db = path.trim_start_matches('/');
        let db = if db.is_empty() {
            0
        } else {
            db.parse::<u32>().map_err(|_| RedisUrlError::InvalidDatabase(db.to_owned()))?
        };
        // `user:password`, `:password` (no user) or `user` alone.
        let (user, password) = match userinfo {
            None => (None, None),
            Some(userinfo) => match userinfo.split_once(':') {
                Some((user, password)) => (Some(user), Some(password)),
                None => (Some(userinfo), None),
            },
        };
        let bare_user = userinfo.is_some_and(|u| !u.is_empty() && !u.contains(':'));
        let user = user.filter(|s| !s.is_empty());
        if user.is_some_and(|u| !u.bytes().all(is_userinfo_byte)) {
            return Err(RedisUrlError::UnencodedUser);
        }
        let user = user.map(|u| decode(u, false)).transpose()?;
        let password = password.filter(|s| !s.is_empty()).map(|p| decode(p, false)).transpose()?;
        let query_password = query_password(query)?;
        if password.is_some() && query_password.is_some() {
            return Err(RedisUrlError::TwoPasswords);
        }
        Ok(RedisUrl {
            tls,
            user,
            password: password.or(query_password),
            bare_user,
            host: host.to_owned(),
            port,
            db,
        })
    }

    /// `host:port`, as connection checks want it.
    pub fn endpoint(&self) -> String {
        endpoint::host_port(&self.host, self.port)
    }

    /// The URL without its password: what the ConfigMap holds.
    pub fn without_password(&self) -> String {
        self.written(None)
    }

    /// The URL with its password, percent-encoded: what redis-py (and
    /// socket.io's client) decode back to the password.
    pub fn with_password(&self, password: &str) -> String {
        self.written(Some(&utf8_percent_encode(password, USERINFO_ENCODE).to_string()))
    }

    /// The URL with a `$(VAR)` reference in the password's place, which the
    /// kubelet expands from a Secret, as it is: it cannot encode.
    pub fn with_password_reference(&self, variable: &str) -> String {
        self.written(Some(&format!("$({variable})")))
    }

    fn written(&self, password: Option<&str>) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let user = self
            .user
            .as_deref()
            .map(|u| utf8_percent_encode(u, USERINFO_ENCODE).to_string())
            .unwrap_or_default();
        let userinfo = match password {
            Some(password) => format!("{user}:{password}@"),
            None if !user.is_empty() => format!("{user}@"),
            None => String::new(),
        };
        format!("{scheme}://{userinfo}{}/{}", self.endpoint(), self.db)
    }
}

/// The `password` of a URL's query, decoded as `parse_qs` does (redis-py
/// takes the first); any other parameter is refused, since the URLs written
/// for the pods carry none.
fn query_password(query: &str) -> Result<Option<String>, RedisUrlError> {
    let mut password = None;
    for parameter in query.split('&').filter(|p| !p.is_empty()) {
        match parameter.split_once('=') {
            Some((name, value)) if decode(name, true)? == "password" => {
                let value = decode(value, true)?;
                if password.is_none() && !value.is_empty() {
                    password = Some(value);
                }
            }
            _ => return Err(RedisUrlError::QueryParameter),
        }
    }
    Ok(password)
}

/// RFC 3986 `unreserved`, `sub-delims` and `%`, less `$` (the kubelet
/// expands `$(VAR)` in env values): what a user name may hold as written.
fn is_userinfo_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!&'()*+,;=%".contains(&b)
}

pub(super) struct Redis {
    pub(super) cache: RedisUrl,
    pub(super) queue: RedisUrl,
    /// Where each password comes from, when the Redis has one.
    pub(super) cache_password: Option<jobs::SecretRef>,
    pub(super) queue_password: Option<jobs::SecretRef>,
    /// Where each whole URL, password encoded, is kept when the values
    /// write the password: the Deployments read it from there, since the
    /// kubelet's `$(VAR)` expansion cannot percent-encode.
    pub(super) cache_url: Option<jobs::SecretRef>,
    pub(super) queue_url: Option<jobs::SecretRef>,
    /// Passwords written in the values (decoded) and the URLs that carry
    /// them, for the bench's own Secret.
    pub(super) inline_secrets: BTreeMap<String, String>,
}

/// `jobs.clearCache.redisFlush` empties the cache's Redis database
/// (`FLUSHDB`): refused when the queue lives in the same database, where it
/// would delete every queued job (emails, reports, imports) with the cache.
pub(super) fn check_flush_spares_the_queue(values: &Values, redis: &Redis, report: &mut Reporter<'_>) {
    let flush = &values.jobs.clear_cache.redis_flush;
    let same = |a: &RedisUrl, b: &RedisUrl| (a.host.eq_ignore_ascii_case(&b.host), a.port, a.db) == (true, b.port, b.db);
    if *flush.enabled && same(&redis.cache, &redis.queue) {
        report
            .at(
                Code::ConflictingKeys,
                &flush.enabled,
                format!(
                    "`jobs.clearCache.redisFlush` would empty database {} of {}:{}, which holds the job queue as well as the cache",
                    redis.cache.db, redis.cache.host, redis.cache.port
                ),
            )
            .with_help("give the cache its own Redis or database number (`redis://host:6379/1`), or turn `redisFlush` off");
    }
}

/// Keys of the Redis passwords, and of the URLs with them, in the bench's
/// own Secret.
pub const REDIS_CACHE_PASSWORD_KEY: &str = "redis-cache-password";
pub const REDIS_QUEUE_PASSWORD_KEY: &str = "redis-queue-password";
pub const REDIS_CACHE_URL_KEY: &str = "redis-cache-url";
pub const REDIS_QUEUE_URL_KEY: &str = "redis-queue-url";

/// One of the two Redis services, and where the values give it.
struct Service<'a> {
    /// `cache` or `queue`, as messages name it.
    role: &'static str,
    url: &'a Spanned<Option<String>>,
    /// The key, as messages name it.
    key: &'static str,
    /// Where a missing URL is reported.
    missing: Anchor<'a>,
    /// The older charts' name of the same key.
    legacy_url: &'a Spanned<Option<String>>,
    legacy_key: &'static str,
    /// The keys of a password written in the URL, and of the URL with it,
    /// in the bench's own Secret.
    secret_key: &'static str,
    url_key: &'static str,
    /// The key of the password in `externalRedis.existingSecret`, and its default.
    existing_secret_key: (&'a Option<String>, &'static str),
}

/// The cache and queue Redis, their passwords' Secrets, and the passwords
/// the URLs write.
pub(super) fn resolve_redis(values: &Values, fullname: &str, report: &mut Reporter<'_>) -> Option<Redis> {
    let external = &values.external_redis;
    check_socketio_keys(values, report);
    let mut inline_secrets = BTreeMap::new();
    let mut resolve = |service: Service<'_>, report: &mut Reporter<'_>| {
        let url = service_url(&service, report)?;
        let parsed = parse_url(url, report)?;
        let password = password(&service, &parsed, url, values, fullname, &mut inline_secrets, report);
        let whole_url = inline_secrets.contains_key(service.url_key).then(|| jobs::SecretRef {
            name: fullname.to_owned(),
            key: service.url_key.to_owned(),
        });
        Some((parsed, password, whole_url))
    };
    let external_redis = values.external_redis.or_in(Anchor::root(), "externalRedis");
    let cache = resolve(
        Service {
            role: "cache",
            url: &external.cache,
            key: "externalRedis.cache",
            missing: external.cache.or_in(&external_redis, "cache"),
            legacy_url: &values.redis_cache_host,
            legacy_key: "redisCacheHost",
            secret_key: REDIS_CACHE_PASSWORD_KEY,
            url_key: REDIS_CACHE_URL_KEY,
            existing_secret_key: (&external.existing_secret_cache_key, "cache-password"),
        },
        report,
    );
    let queue = resolve(
        Service {
            role: "queue",
            url: &external.queue,
            key: "externalRedis.queue",
            missing: external.queue.or_in(&external_redis, "queue"),
            legacy_url: &values.redis_queue_host,
            legacy_key: "redisQueueHost",
            secret_key: REDIS_QUEUE_PASSWORD_KEY,
            url_key: REDIS_QUEUE_URL_KEY,
            existing_secret_key: (&external.existing_secret_queue_key, "queue-password"),
        },
        report,
    );
    let ((cache, cache_password, cache_url), (queue, queue_password, queue_url)) = (cache?, queue?);
    Some(Redis {
        cache,
        queue,
        cache_password,
        queue_password,
        cache_url,
        queue_url,
        inline_secrets,
    })
}

/// The URL of a service, from its key or the older charts' one.
fn service_url<'a>(service: &Service<'a>, report: &mut Reporter<'_>) -> Option<&'a Spanned<Option<String>>> {
    let Service { key, legacy_key, role, .. } = *service;
    let current = service.url.as_deref().filter(|s| !s.is_empty());
    let legacy = service.legacy_url.as_deref().filter(|s| !s.is_empty());
    if let Some(old) = legacy {
        report
            .at_key(
                Code::LegacyKey,
                service.legacy_url,
                format!("`{legacy_key}` is the name older charts gave `{key}`"),
            )
            .with_help(format!(
                "rename it to `{key}`; newer charts ignore `{legacy_key}` and deploy an in-cluster Redis instead"
            ));
        if let Some(new) = current
            && new != old
        {
            report
                .at(
                    Code::ConflictingKeys,
                    service.legacy_url,
                    format!("`{legacy_key}` and `{key}` are both set, to different URLs"),
                )
                .with_help(format!("keep only `{key}`"));
        }
    }
    match (current, legacy) {
        (Some(_), _) => Some(service.url),
        (None, Some(_)) => Some(service.legacy_url),
        (None, None) => {
            report
                .at_key(
                    Code::MissingRedis,
                    &service.missing,
                    format!("no Redis URL for the {role}: `{key}` is required"),
                )
                .with_help(format!("Redis is an external service here; set `{key}: redis://<host>:6379`"));
            None
        }
    }
}

/// A URL the values give, parsed.
fn parse_url(url: &Spanned<Option<String>>, report: &mut Reporter<'_>) -> Option<RedisUrl> {
    let text = url.as_deref().unwrap_or_default();
    match RedisUrl::parse(text) {
        Ok(parsed) => Some(parsed),
        Err(problem) => {
            report
                .at(Code::InvalidRedisUrl, url, format!("`{text}` is not a Redis URL: {problem}"))
                .with_help("write `redis://host:6379` or `rediss://user:password@host:6380/0`");
            None
        }
    }
}

/// Where a service's password comes from: `externalRedis.existingSecret`,
/// or the bench's own Secret for one the URL writes (with a warning).
fn password(
    service: &Service<'_>,
    url: &RedisUrl,
    written: &Spanned<Option<String>>,
    values: &Values,
    fullname: &str,
    inline_secrets: &mut BTreeMap<String, String>,
    report: &mut Reporter<'_>,
) -> Option<jobs::SecretRef> {
    let role = service.role;
    let existing_secret = values.external_redis.existing_secret.as_deref().filter(|s| !s.is_empty());
    match (&url.password, existing_secret) {
        (Some(_), Some(_)) => {
            report
                .at(
                    Code::ConflictingKeys,
                    written,
                    format!("the {role} Redis URL has a password, and `externalRedis.existingSecret` gives one too"),
                )
                .with_help("remove the password from the URL (keep the user name) and keep it in the Secret");
            None
        }
        (Some(password), None) => {
            report
                .at(
                    Code::PlaintextPassword,
                    written,
                    format!("the {role} Redis password is written in the values"),
                )
                .with_help("keep it in a Secret: set `externalRedis.existingSecret` and write the URL without the password");
            inline_secrets.insert(service.secret_key.to_owned(), password.clone());
            inline_secrets.insert(service.url_key.to_owned(), url.with_password(password));
            Some(jobs::SecretRef {
                name: fullname.to_owned(),
                key: service.secret_key.to_owned(),
            })
        }
        (None, Some(secret)) => {
            let (custom, default_key) = service.existing_secret_key;
            Some(jobs::SecretRef {
                name: secret.to_owned(),
                key: custom.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| default_key.to_owned()),
            })
        }
        (None, None) => {
            // redis-py reads `redis://name@host` as a user name with an
            // empty password, which logs in only as a `nopass` ACL user; more
            // often the name is a password that lacks its `:`, and it would
            // stand in clear in the ConfigMap.
            if url.bare_user {
                report
                    .at(
                        Code::InvalidRedisUrl,
                        written,
                        format!("the {role} Redis URL has a user name and no password, and no Secret gives one"),
                    )
                    .with_help(
                        "a password goes after a `:` (`redis://:PASSWORD@host` or `redis://default:PASSWORD@host`), \
                         better in `externalRedis.existingSecret`; for an ACL user without a password write `redis://NAME:@host`",
                    );
            }
            None
        }
    }
}

/// Frappe v15 and v16 read no `redis_socketio`: realtime events go through
/// the queue Redis (`node_utils.js`, `frappe/realtime.py`).
fn check_socketio_keys(values: &Values, report: &mut Reporter<'_>) {
    for (value, key) in [
        (&values.external_redis.socketio, "externalRedis.socketio"),
        (&values.redis_socketio_host, "redisSocketIOHost"),
    ] {
        if value.as_deref().is_some_and(|v| !v.is_empty()) {
            report
                .at_key(
                    Code::UnusedKey,
                    value,
                    format!("`{key}` changes nothing: Frappe v15 and v16 publish realtime events through the queue Redis"),
                )
                .with_help("remove it; socket.io uses `externalRedis.queue`");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RedisUrl, RedisUrlError};

    #[test]
    fn reads_a_url_without_tabs_and_line_breaks_as_python_does() {
        // Python 3.11.7, redis 8.1.0: `parse_url('redis://u:p@qu\\neue:6380/1\\n')`
        // gives host `queue`, port 6380, db 1.
        assert_eq!(
            RedisUrl::parse("redis://u:p@qu\neue:6380/1\n"),
            RedisUrl::parse("redis://u:p@queue:6380/1")
        );
        assert_eq!(RedisUrl::parse("redis://queue\u{0}:6379"), Err(RedisUrlError::ControlCharacter));
    }

    #[test]
    fn parses_the_forms_frappe_accepts() {
        let plain = RedisUrl::parse("redis://cache:6379").unwrap();
        assert_eq!(
            (
                plain.host.as_str(),
                plain.port,
                plain.tls,
                plain.user.as_deref(),
                plain.password.as_deref()
            ),
            ("cache", 6379, false, None, None)
        );
        let full = RedisUrl::parse("rediss://default:s3cr:et@queue.example.com:6380/1").unwrap();
        assert_eq!(
            (
                full.host.as_str(),
                full.port,
                full.tls,
                full.user.as_deref(),
                full.password.as_deref()
            ),
            ("queue.example.com", 6380, true, Some("default"), Some("s3cr:et"))
        );
        assert_eq!(full.with_password_reference("P"), "rediss://default:$(P)@queue.example.com:6380/1");
        assert_eq!(full.without_password(), "rediss://default@queue.example.com:6380/1");
        assert_eq!(RedisUrl::parse("redis://:pw@h").unwrap().with_password("x"), "redis://:x@h:6379/0");
        assert_eq!(RedisUrl::parse("redis://h").unwrap().port, 6379);
        assert_eq!(RedisUrl::parse("redis://[::1]:7000").unwrap().endpoint(), "[::1]:7000");
        for bad in [
            "cache:6379",
            "http://x",
            "redis://",
            "redis://h:0",
            "redis://h:99999",
            "redis://h/x",
            "redis://h$(id):6379",
            "redis://a b@h:6379",
            "redis://$(X)@h:6379",
            "redis://u:pw/x@h:6379",
            "redis://u:pw?x@h:6379",
            "redis://u:pw#x@h:6379",
            "redis://h:6379/0?ssl_cert_reqs=none",
            "redis://u:a@h:6379/0?password=b",
            "redis://u:%FF@h",
        ] {
            assert!(RedisUrl::parse(bad).is_err(), "{bad}");
        }
    }

    /// As redis-py's `parse_url`: the user and the password percent-decoded,
    /// `?password=` as `parse_qs` decodes it, `name@` a user alone; the
    /// password written back encoded (`tests/masking.rs` checks the round
    /// trip against redis-py itself).
    #[test]
    fn decodes_as_redis_py_and_encodes_back() {
        let url = RedisUrl::parse("redis://us%65r:P%40W1%2F:x@h:6379/2").unwrap();
        assert_eq!((url.user.as_deref(), url.password.as_deref()), (Some("user"), Some("P@W1/:x")));
        assert_eq!(
            url.with_password("P@W1/:x $(X)%"),
            "redis://user:P%40W1%2F%3Ax%20%24%28X%29%25@h:6379/2"
        );
        let query = RedisUrl::parse("rediss://h:6380/0?password=a+b%21").unwrap();
        assert_eq!(query.password.as_deref(), Some("a b!"));
        assert_eq!(query.without_password(), "rediss://h:6380/0");
        let bare = RedisUrl::parse("redis://token@h").unwrap();
        assert!(bare.bare_user && bare.password.is_none());
        assert!(!RedisUrl::parse("redis://name:@h").unwrap().bare_user);
        assert!(!RedisUrl::parse("redis://u:p@h").unwrap().bare_user);
    }
}
