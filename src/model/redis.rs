//! Redis URLs: `redis://` or `rediss://[user[:password]@]host[:port][/db]`.
//!
//! Parsed here, once, so that everything downstream (env values, probes,
//! KEDA's trigger) uses the parts it needs, and the password goes only into
//! a Secret.

use std::collections::BTreeMap;
use std::fmt;

use super::endpoint;
use super::jobs;
use super::report::Reporter;
use crate::diagnostic::Code;
use crate::values::{Anchor, Spanned, Values};

/// A parsed Redis URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    pub tls: bool,
    /// The ACL user name, as written (`default` on managed services).
    pub user: Option<String>,
    /// The password, as written in the URL (percent-escapes kept).
    pub password: Option<String>,
    pub host: String,
    pub port: u16,
    /// The database number (`/1`), 0 by default.
    pub db: u32,
}

/// Why a text is not a Redis URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisUrlError {
    Scheme,
    BareHost,
    UnclosedBracket,
    NoHost,
    InvalidHost,
    InvalidPort(String),
    InvalidDatabase(String),
    UnencodedUser,
}

impl fmt::Display for RedisUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisUrlError::Scheme => f.write_str("the scheme must be `redis://` or `rediss://`"),
            RedisUrlError::BareHost => f.write_str("write a URL such as `redis://host:6379`, not a bare host"),
            RedisUrlError::UnclosedBracket => f.write_str("an IPv6 host needs a closing `]`"),
            RedisUrlError::NoHost => f.write_str("the URL has no host"),
            RedisUrlError::InvalidHost => f.write_str("the host is not a DNS name or an IP address"),
            RedisUrlError::InvalidPort(port) => write!(f, "`{port}` is not a port (1-65535)"),
            RedisUrlError::InvalidDatabase(db) => write!(f, "`/{db}` is not a database number"),
            RedisUrlError::UnencodedUser => f.write_str("the user name has characters a URL must percent-encode"),
        }
    }
}

impl std::error::Error for RedisUrlError {}

impl RedisUrl {
    pub fn parse(url: &str) -> Result<RedisUrl, RedisUrlError> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("rediss://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("redis://") {
            (false, rest)
        } else if url.contains("://") {
            return Err(RedisUrlError::Scheme);
        } else {
            return Err(RedisUrlError::BareHost);
        };
        let authority = rest.split(['/', '?']).next().unwrap_or("");
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
        let path = rest[authority.len()..].split('?').next().unwrap_or("");
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
        let nonempty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        let user = nonempty(user);
        if user.as_deref().is_some_and(|u| !u.bytes().all(is_userinfo_byte)) {
            return Err(RedisUrlError::UnencodedUser);
        }
        Ok(RedisUrl {
            tls,
            user,
            password: nonempty(password),
            host: host.to_owned(),
            port,
            db,
        })
    }

    /// `host:port`, as connection checks want it.
    pub fn endpoint(&self) -> String {
        endpoint::host_port(&self.host, self.port)
    }

    /// The URL with `password` in the password's place (nothing when
    /// `None`): the form written into pod specs, where `password` is a
    /// `$(VAR)` reference the kubelet expands from a Secret.
    pub fn with_password(&self, password: Option<&str>) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let user = self.user.as_deref().unwrap_or("");
        let userinfo = match password {
            Some(password) => format!("{user}:{password}@"),
            None if !user.is_empty() => format!("{user}@"),
            None => String::new(),
        };
        format!("{scheme}://{userinfo}{}/{}", self.endpoint(), self.db)
    }
}

/// RFC 3986 `unreserved`, `sub-delims` and `%`, less `$` (the kubelet
/// expands `$(VAR)` in env values): what a user name may hold, so that it
/// stands as is in a URL, in an env value and in KEDA's metadata.
fn is_userinfo_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!&'()*+,;=%".contains(&b)
}

pub(super) struct Redis {
    pub(super) cache: RedisUrl,
    pub(super) queue: RedisUrl,
    /// Where each password comes from, when the Redis has one.
    pub(super) cache_password: Option<jobs::SecretRef>,
    pub(super) queue_password: Option<jobs::SecretRef>,
    /// Passwords written in the URLs, for the bench's own Secret.
    pub(super) inline_passwords: BTreeMap<String, String>,
}

/// Keys of the Redis passwords in the bench's own Secret.
pub const REDIS_CACHE_PASSWORD_KEY: &str = "redis-cache-password";
pub const REDIS_QUEUE_PASSWORD_KEY: &str = "redis-queue-password";

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
    /// The key of a password written in the URL, in the bench's own Secret.
    secret_key: &'static str,
    /// The key of the password in `externalRedis.existingSecret`, and its default.
    existing_secret_key: (&'a Option<String>, &'static str),
}

/// The cache and queue Redis, their passwords' Secrets, and the passwords
/// the URLs write.
pub(super) fn resolve_redis(values: &Values, fullname: &str, report: &mut Reporter<'_>) -> Option<Redis> {
    let external = &values.external_redis;
    check_socketio_keys(values, report);
    let mut inline_passwords = BTreeMap::new();
    let mut resolve = |service: Service<'_>, report: &mut Reporter<'_>| {
        let url = service_url(&service, report)?;
        let parsed = parse_url(url, report)?;
        let password = password(&service, &parsed, url, values, fullname, &mut inline_passwords, report);
        Some((parsed, password))
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
            existing_secret_key: (&external.existing_secret_queue_key, "queue-password"),
        },
        report,
    );
    let ((cache, cache_password), (queue, queue_password)) = (cache?, queue?);
    Some(Redis {
        cache,
        queue,
        cache_password,
        queue_password,
        inline_passwords,
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
    inline_passwords: &mut BTreeMap<String, String>,
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
                    format!("the {role} Redis password is written in the values file"),
                )
                .with_help("keep it in a Secret: set `externalRedis.existingSecret` and write the URL without the password");
            inline_passwords.insert(service.secret_key.to_owned(), password.clone());
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
        (None, None) => None,
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
    use super::RedisUrl;

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
        assert_eq!(full.with_password(Some("$(P)")), "rediss://default:$(P)@queue.example.com:6380/1");
        assert_eq!(full.with_password(None), "rediss://default@queue.example.com:6380/1");
        assert_eq!(
            RedisUrl::parse("redis://:pw@h").unwrap().with_password(Some("x")),
            "redis://:x@h:6379/0"
        );
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
        ] {
            assert!(RedisUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
