//! The credentials of URLs: their user-info, and the values of query
//! parameters whose names name a secret.

use std::ops::Range;

use super::keys::{KeyMeaning, key_meaning};

/// Where the credentials of the URLs in a value are. A one-line value that is a URL
/// is read so that what any reader may take for its user-info is masked:
/// everything between `://` and the last `@`, wherever a client ends the
/// user-info before it (redis-py ends it at the first `/`, `?` or `#`, and
/// `RedisUrl::parse` refuses a URL with an `@` after one of them, so that the
/// two agree on every URL it accepts). And the values of secret query
/// parameters. So is a value that starts with a URL broken over lines (a
/// `--set-file` file's, its user name on one line and its `@` on the next),
/// which `RedisUrl::parse` reads without its line breaks, as Python does, or
/// refuses and quotes. Any other value of several
/// lines (an nginx configuration) is searched as free text.
pub(super) fn url_credentials_of_value(value: &str) -> Vec<Range<usize>> {
    let starts_with_url = value.trim_start().split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if value.contains('\n') && !starts_with_url {
        return url_credentials(value);
    }
    let Some(scheme_end) = value.find("://") else {
        // `default:pw@cache:6379`, a URL written without its scheme (or
        // with a broken one, `redis:/u:pw@h`): what precedes the `@` back to
        // a blank or a `/`, when it holds a `:`. (A user-info has no `/`;
        // `registry:5000/frappe@sha256:…` is an image.)
        return value
            .rfind('@')
            .map(|at| value[..at].rfind(|c: char| c.is_whitespace() || c == '/').map_or(0, |cut| cut + 1)..at)
            .filter(|credential| value[credential.clone()].contains(':'))
            .into_iter()
            .collect();
    };
    let start = scheme_end + 3;
    let mut credentials = query_secrets(value, start, value.len());
    if let Some(at) = value[start..].rfind('@').filter(|at| *at > 0) {
        credentials.push(start..start + at);
    }
    credentials
}

/// The values of the query parameters of `text[start..end]` (a URL after
/// its `://`) whose names name a secret (`password`, `token`): in
/// `?a=1&password=x`, `x`.
fn query_secrets(text: &str, start: usize, end: usize) -> Vec<Range<usize>> {
    let Some(question) = text[start..end].find('?').map(|i| start + i + 1) else {
        return Vec::new();
    };
    let mut ranges = Vec::new();
    let mut from = question;
    for parameter in text[question..end].split(['&', '#']) {
        if let Some((name, value)) = parameter.split_once('=')
            && !value.is_empty()
            && key_meaning(&percent_encoding::percent_decode_str(name).decode_utf8_lossy()) == KeyMeaning::Secret
        {
            let value_start = from + name.len() + 1;
            ranges.push(value_start..value_start + value.len());
        }
        from += parameter.len() + 1;
    }
    ranges
}

/// The credentials of every URL in free text: after `scheme://`, its
/// user-info up to the last `@` before a blank, a quote or backtick, or the
/// next `://`, and the values of its secret query parameters.
pub fn url_credentials(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let separator = from + found;
        let has_scheme = text[..separator]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        let start = separator + 3;
        let authority_end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
            .map_or(text.len(), |i| start + i);
        let authority_end = text[start..authority_end].find("://").map_or(authority_end, |i| start + i);
        if has_scheme {
            if let Some(at) = text[start..authority_end].rfind('@').filter(|at| *at > 0) {
                ranges.push(start..start + at);
            }
            ranges.extend(query_secrets(text, start, authority_end));
        }
        from = start;
    }
    ranges
}
