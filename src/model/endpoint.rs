//! Hosts of the external services, checked before they reach any object.
//!
//! A host from the values ends up in env values, in probe arguments, in the
//! configure Job's script and in KEDA's trigger. Accepting only DNS names and
//! IP literals here means none of those places can receive anything else:
//! no spaces, quotes, `$(…)` or path characters.

use std::net::IpAddr;

/// Whether `host` is an IP literal (v4 or v6, without brackets) or a DNS
/// host name: dot-separated labels of letters, digits and inner `-`, each at
/// most 63 characters, 253 in all, with an optional final dot.
pub fn is_host(host: &str) -> bool {
    if host.parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `host:port`, with an IPv6 literal in brackets.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::is_host;

    #[test]
    fn hosts_are_dns_names_or_ip_literals() {
        for good in [
            "db",
            "db.internal",
            "scoopjoy-db.cluster-abc123.us-east-1.rds.amazonaws.com",
            "Db.Example.COM.",
            "10.0.0.5",
            "::1",
            "fd00::5",
        ] {
            assert!(is_host(good), "{good}");
        }
        for bad in [
            "",
            "db$(touch /tmp/x)",
            "db;id",
            "db internal",
            "-db",
            "db-",
            "db..internal",
            "db/x",
            "'db'",
            "db\n",
            "[::1]",
            &"a".repeat(64),
        ] {
            assert!(!is_host(bad), "{bad:?}");
        }
    }
}
