//! Redis URLs: `redis://` or `rediss://[user[:password]@]host[:port][/db]`.
//!
//! Parsed here, once, so that everything downstream (env values, probes,
//! KEDA's trigger) uses the parts it needs, and the password goes only into
//! a Secret.

use std::fmt;

use super::endpoint;

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
