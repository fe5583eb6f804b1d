//! What `diff` never prints: a Secret's data, a value under a key that
//! names a secret (a ConfigMap's `SOME_TOKEN`, an annotation `x-password`:
//! the masker's `key_meaning`, through lists but not into objects, whose
//! keys are Kubernetes' fields: `secret:` holds a reference), the value of an
//! env var whose name says it is secret (`DB_PASSWORD`), the credentials of a
//! URL (`redis://user:password@host`, `?password=`), a password given to a
//! command (`args: [--db-root-password, pw]`, `--admin-password=pw`,
//! `mysql -ppw`, `--set=adminPassword=pw`, in a list, a container's
//! `command` and `args` read as one, or a shell line: the masker's
//! `secret_arguments`), a secret in a configuration file held as text (a
//! ConfigMap's `site_config.json` with its `db_password`, however JSON
//! writes it; a `password = pw` line, a field of JSON, code or XML
//! anywhere in a line: `secret_assignment_lines`; YAML
//! text read as a values file is: `secrets_in_yaml_text`), and
//! any of these texts wherever else it appears (the chart copies the Redis
//! URL, password included, into its workers' probe commands). Each is shown
//! as `***`, as in diagnostics.
//!
//! Where two versions differ only in a masked text, the masks would read
//! the same; they then say `*** (before)` and `*** (after)`, as `kubectl
//! diff` does.

use std::collections::BTreeSet;
use std::ops::Range;

use k8s_openapi::ByteString;
use serde_json::Value;

use crate::source::secrets::{self, KeyMeaning, MASK, SEARCHED_LEN};

/// The secret texts of some objects, to mask wherever they appear.
#[derive(Debug, Default)]
pub struct Secrets {
    /// Masked wherever they appear.
    texts: BTreeSet<String>,
    /// Shorter than [`SEARCHED_LEN`]: masked where they are a whole value.
    whole_values: BTreeSet<String>,
}

impl Secrets {
    /// Collects the secrets of an object (`secret_kind`: it is a Secret).
    pub fn collect(&mut self, value: &Value, secret_kind: bool) {
        if secret_kind && let Some(Value::Object(data)) = value.get("data") {
            for encoded in data.values() {
                let decoded = serde_json::from_value::<ByteString>(encoded.clone()).ok();
                if let Some(text) = decoded.and_then(|bytes| String::from_utf8(bytes.0).ok()) {
                    self.add(text);
                }
            }
        }
        self.collect_values(value, false);
    }

    /// `secret_key`: the nearest key above names a secret.
    fn collect_values(&mut self, value: &Value, secret_key: bool) {
        match value {
            Value::String(text) => {
                if secret_key {
                    self.add(text.clone());
                }
                for range in secrets::url_credentials(text) {
                    // A user name alone (`rediss://default@host`, the ACL
                    // user) is masked in its URL ([`Secrets::mask_text`]),
                    // not wherever the word is: a worker's `default` queue.
                    if let Some((_, password)) = text[range.clone()].split_once(':') {
                        self.add(text[range].to_owned());
                        self.add(password.to_owned());
                    }
                }
                for range in secrets_of_text(text) {
                    self.add(text[range].to_owned());
                }
                if let Some(json) = embedded_json(text) {
                    self.collect_values(&json, secret_key);
                }
            }
            Value::Object(map) => {
                if let Some(text) = secret_env_value(map) {
                    self.add(text.to_owned());
                }
                for (key, index, value) in command_line_arguments(map) {
                    if let Some(word) = map[key].get(index).and_then(Value::as_str) {
                        self.add(word[value].to_owned());
                    }
                }
                map.iter().for_each(|(key, v)| self.collect_values(v, names_secret(key)));
            }
            Value::Array(items) => {
                for (index, value) in secret_arguments(items.iter()) {
                    if let Some(Value::String(word)) = items.get(index) {
                        self.add(word[value].to_owned());
                    }
                }
                items.iter().for_each(|v| self.collect_values(v, secret_key));
            }
            Value::Number(number) if secret_key => self.add(number.to_string()),
            _ => {}
        }
    }

    fn add(&mut self, text: String) {
        // A flag under a secret-sounding key (`x-auth: "false"`) is masked
        // where it is written; as a text to mask everywhere it would hide
        // every `false`.
        if secrets::is_flag_word(text.trim()) {
            return;
        }
        // Shorter texts are masked where they are the whole value only:
        // masking every `x` of a one-letter password would garble everything.
        if text.chars().count() >= SEARCHED_LEN {
            self.texts.insert(text);
        } else if !text.is_empty() {
            self.whole_values.insert(text);
        }
    }

    /// `value` as it may be printed.
    pub fn mask(&self, value: &Value, secret_kind: bool) -> Value {
        let mut masked = value.clone();
        if secret_kind && let Some(Value::Object(data)) = masked.get_mut("data") {
            data.values_mut().for_each(|v| *v = Value::String(MASK.to_owned()));
        }
        self.mask_values(&mut masked, false);
        masked
    }

    fn mask_values(&self, value: &mut Value, secret_key: bool) {
        match value {
            Value::String(text) if (secret_key && !text.is_empty()) || self.whole_values.contains(text.as_str()) => {
                *text = MASK.to_owned();
            }
            Value::String(text) => *text = self.mask_text(text),
            Value::Number(_) if secret_key => *value = Value::String(MASK.to_owned()),
            Value::Object(map) => {
                if secret_env_value(map).is_some() {
                    map.insert("value".to_owned(), Value::String(MASK.to_owned()));
                }
                for (key, index, value) in command_line_arguments(map) {
                    if let Some(Value::String(word)) = map.get_mut(key).and_then(|items| items.get_mut(index)) {
                        word.replace_range(value, MASK);
                    }
                }
                map.iter_mut().for_each(|(key, v)| self.mask_values(v, names_secret(key)));
            }
            Value::Array(items) => {
                let arguments = secret_arguments(items.iter());
                for (index, item) in items.iter_mut().enumerate() {
                    match (arguments.iter().find(|(argument, _)| *argument == index), item) {
                        (Some((_, value)), Value::String(word)) => word.replace_range(value.clone(), MASK),
                        (_, item) => self.mask_values(item, secret_key),
                    }
                }
            }
            _ => {}
        }
    }

    fn mask_text(&self, text: &str) -> String {
        let mut ranges = secrets::url_credentials(text);
        ranges.extend(secrets_of_text(text));
        if let Some(json) = embedded_json(text) {
            ranges.extend(self.in_json_text(text, &json));
        }
        for secret in &self.texts {
            ranges.extend(text.match_indices(secret.as_str()).map(|(at, found)| at..at + found.len()));
        }
        if ranges.is_empty() {
            return text.to_owned();
        }
        secrets::apply(text, &secrets::merge(ranges))
    }

    /// Where JSON text `text` (read: `json`) writes its secrets: each string
    /// or number literal that is one of them, whatever its length and
    /// however it is escaped (`"pw\u0021"`), and each escaped string that
    /// holds one (which the search for the text as written misses).
    fn in_json_text(&self, text: &str, json: &Value) -> Vec<Range<usize>> {
        let mut inside = Secrets::default();
        inside.collect_values(json, false);
        json_literals(text)
            .into_iter()
            .filter_map(|literal| {
                let written = &text[literal.clone()];
                let read = match serde_json::from_str(written).ok()? {
                    Value::String(read) => read,
                    Value::Number(number) => number.to_string(),
                    _ => return None,
                };
                let secret = inside.texts.contains(&read)
                    || inside.whole_values.contains(&read)
                    || (written.contains('\\') && self.mask_text(&read) != read);
                // A string's mask goes inside its quotes.
                let quote = usize::from(written.starts_with('"'));
                secret.then(|| literal.start + quote..literal.end - quote)
            })
            .collect()
    }

    /// Both versions of an object as they may be printed: where masking
    /// makes two different texts read the same, each says which it is.
    pub fn mask_pair(&self, before: &Value, after: &Value, secret_kind: bool) -> (Value, Value) {
        let (mut masked_before, mut masked_after) = (self.mask(before, secret_kind), self.mask(after, secret_kind));
        mark(before, after, &mut masked_before, &mut masked_after);
        (masked_before, masked_after)
    }
}

/// The secret values of the words of a command line given as a list
/// (`args`, `command`), as [`secrets::secret_arguments`] finds them.
fn secret_arguments<'v>(items: impl Iterator<Item = &'v Value>) -> Vec<(usize, Range<usize>)> {
    let words: Vec<&str> = items.map(|item| item.as_str().unwrap_or("")).collect();
    if words.iter().all(|word| word.is_empty()) {
        return Vec::new();
    }
    secrets::secret_arguments(&words)
}

/// The secret values of a container's `command` and `args`, which it runs
/// as one command line (`command: [mysql]`, `args: [-ppw]`): the key of
/// the list each is in, its index there and where in the word it is.
fn command_line_arguments(map: &serde_json::Map<String, Value>) -> Vec<(&'static str, usize, Range<usize>)> {
    let (Some(Value::Array(command)), Some(Value::Array(args))) = (map.get("command"), map.get("args")) else {
        return Vec::new();
    };
    secret_arguments(command.iter().chain(args))
        .into_iter()
        .map(|(index, value)| match index.checked_sub(command.len()) {
            None => ("command", index, value),
            Some(index) => ("args", index, value),
        })
        .collect()
}

/// Where the secrets of a text (a command, or a configuration file a
/// ConfigMap holds) are: read as shell lines and assignment lines, and as
/// YAML when it has several lines.
fn secrets_of_text(text: &str) -> Vec<Range<usize>> {
    let mut ranges = secrets::secrets_in_text(text);
    ranges.extend(secrets::secrets_in_yaml_text(text));
    ranges
}

/// The JSON a text holds whole (an object or a list), as a ConfigMap may
/// hold a `site_config.json`.
fn embedded_json(text: &str) -> Option<Value> {
    if text.trim_start().starts_with(['{', '[']) {
        serde_json::from_str(text).ok()
    } else {
        None
    }
}

/// Where the string and number literals of a JSON text are written, a
/// string's quotes included. The text parsed as JSON already
/// ([`embedded_json`]): this only tells where each literal starts and ends,
/// which the parse does not say.
fn json_literals(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut literals = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        match bytes[at] {
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    // An escape's second character is ASCII: `\"`, `\\`, `\u`.
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at = (at + 1).min(bytes.len());
            }
            b'-' | b'0'..=b'9' => {
                while at < bytes.len() && matches!(bytes[at], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    at += 1;
                }
            }
            _ => {
                at += 1;
                continue;
            }
        }
        literals.push(start..at);
    }
    literals
}

fn names_secret(key: &str) -> bool {
    secrets::key_meaning(key) == KeyMeaning::Secret
}

/// The value of an env var `{name, value}` whose name says it is secret.
fn secret_env_value(map: &serde_json::Map<String, Value>) -> Option<&str> {
    let name = map.get("name")?.as_str()?;
    let value = map.get("value")?.as_str()?;
    names_secret(name).then_some(value)
}

fn mark(before: &Value, after: &Value, masked_before: &mut Value, masked_after: &mut Value) {
    match (before, after, masked_before, masked_after) {
        (Value::Object(b), Value::Object(a), Value::Object(mb), Value::Object(ma)) => {
            for (key, bv) in b {
                if let (Some(av), Some(mbv), Some(mav)) = (a.get(key), mb.get_mut(key), ma.get_mut(key)) {
                    mark(bv, av, mbv, mav);
                }
            }
        }
        (Value::Array(b), Value::Array(a), Value::Array(mb), Value::Array(ma)) => {
            for (((bv, av), mbv), mav) in b.iter().zip(a).zip(mb.iter_mut()).zip(ma.iter_mut()) {
                mark(bv, av, mbv, mav);
            }
        }
        (b, a, Value::String(mb), Value::String(ma)) if b != a && mb == ma => {
            mb.push_str(" (before)");
            ma.push_str(" (after)");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_masked_wherever_they_appear() {
        let secret = json!({"kind": "Secret", "data": {"password": "c3VwZXJzZWNyZXQ="}});
        let deployment = json!({"env": [{"name": "SMTP_PASSWORD", "value": "mailpass99"}, {"name": "HOST", "value": "db"}],
            "probe": ["wait-for-it", "redis://:queuepass1@queue:6379", "echo supersecret mailpass99 queuepass1"]});
        let mut secrets = Secrets::default();
        secrets.collect(&secret, true);
        secrets.collect(&deployment, false);
        let shown = format!("{} {}", secrets.mask(&secret, true), secrets.mask(&deployment, false));
        for leak in ["supersecret", "c3VwZXJzZWNyZXQ=", "mailpass99", "queuepass1"] {
            assert!(!shown.contains(leak), "{leak} is printed: {shown}");
        }
        assert!(shown.contains(r#""value":"db""#), "{shown}");
    }

    #[test]
    fn a_short_secret_is_masked_where_it_is_a_whole_value() {
        let secret = json!({"kind": "Secret", "stringData": {"redis-password": "weakpw"}, "data": {"p": "b2xkcHc="}});
        let config = json!({"data": {"FRAPPE_DB_HOST": "weakpw", "OLD": "oldpw", "NOTE": "weakpw is short", "HOST": "db"}});
        let mut secrets = Secrets::default();
        secrets.collect(&secret, true);
        let shown = secrets.mask(&config, false);
        assert_eq!(
            shown,
            json!({"data": {"FRAPPE_DB_HOST": "***", "OLD": "***", "NOTE": "weakpw is short", "HOST": "db"}})
        );
    }

    #[test]
    fn passwords_given_to_commands_are_masked() {
        let pod = json!({"args": ["--db-root-password", "Leak-1", "--admin-password=ab", "--verbose", "--token=$(TOKEN)"],
            "command": ["sh", "-c", "bench new-site --admin-password Leak-2 --mariadb-root-password=cd site1"],
            "quoted": ["sh", "-c", "mysql --password \"Leak 3 tail\" x; PGPASSWORD='Leak 4 tail' psql"]});
        let mut secrets = Secrets::default();
        secrets.collect(&pod, false);
        assert_eq!(
            secrets.mask(&pod, false),
            json!({"args": ["--db-root-password", "***", "--admin-password=***", "--verbose", "--token=$(TOKEN)"],
                "command": ["sh", "-c", "bench new-site --admin-password *** --mariadb-root-password=*** site1"],
                "quoted": ["sh", "-c", "mysql --password \"***\" x; PGPASSWORD='***' psql"]})
        );
    }

    #[test]
    fn a_flag_under_a_secret_key_hides_no_other_value() {
        let config = json!({"annotations": {"x-auth": "false"}, "data": {"SSL": "false", "my.cnf": "skip_password = false\n"}});
        let mut secrets = Secrets::default();
        secrets.collect(&config, false);
        assert_eq!(
            secrets.mask(&config, false),
            json!({"annotations": {"x-auth": "***"}, "data": {"SSL": "false", "my.cnf": "skip_password = ***\n"}})
        );
    }

    #[test]
    fn masks_that_read_the_same_say_which_is_which() {
        let before = json!({"data": {"a": "b2xk", "same": "eA=="}});
        let after = json!({"data": {"a": "bmV3", "same": "eA=="}});
        let (b, a) = Secrets::default().mask_pair(&before, &after, true);
        assert_eq!(b, json!({"data": {"a": "*** (before)", "same": "***"}}));
        assert_eq!(a, json!({"data": {"a": "*** (after)", "same": "***"}}));
    }
}
