//! Redis URLs: `redis://` or `rediss://[user[:password]@]host[:port][/db]`.
//!
//! Parsed here, once, so that everything downstream (probes, connection
//! checks) uses host and port and never copies the password anywhere.

/// A parsed Redis URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// The URL as written, which Frappe itself reads.
    pub url: String,
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// The database number (`/1`), 0 by default.
    pub db: u32,
    pub has_password: bool,
}

impl RedisUrl {
    pub fn parse(url: &str) -> Result<RedisUrl, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("rediss://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("redis://") {
            (false, rest)
        } else if url.contains("://") {
            return Err("the scheme must be `redis://` or `rediss://`".to_owned());
        } else {
            return Err("write a URL such as `redis://host:6379`, not a bare host".to_owned());
        };
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').ok_or("an IPv6 host needs a closing `]`")?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err("the URL has no host".to_owned());
        }
        if host.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(format!("`{host}` is not a host name"));
        }
        let port = match port {
            None => 6379,
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("`{port}` is not a port (1-65535)"))?,
        };
        let path = rest[authority.len()..].split('?').next().unwrap_or("");
        let db = path.trim_start_matches('/');
        let db = if db.is_empty() {
            0
        } else {
            db.parse::<u32>().map_err(|_| format!("`/{db}` is not a database number"))?
        };
        let has_password = userinfo.is_some_and(|u| u.contains(':') && !u.ends_with(':') || !u.contains(':') && !u.is_empty());
        Ok(RedisUrl {
            url: url.to_owned(),
            tls,
            host: host.to_owned(),
            port,
            db,
            has_password,
        })
    }

    /// `host:port`, as connection checks want it.
    pub fn endpoint(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
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
            (plain.host.as_str(), plain.port, plain.tls, plain.has_password),
            ("cache", 6379, false, false)
        );
        let full = RedisUrl::parse("rediss://default:s3cr:et@queue.example.com:6380/1").unwrap();
        assert_eq!(
            (full.host.as_str(), full.port, full.tls, full.has_password),
            ("queue.example.com", 6380, true, true)
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
        ] {
            assert!(RedisUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
