//! The secrets of a configuration text read line by line: `key = value`
//! assignments (INI, env files, YAML-style lines), `key value` directives
//! (redis.conf, nginx, `.netrc`), and secret fields anywhere in a line
//! (JSON, flow mappings, `=>` dicts, XML elements).

use std::collections::HashMap;
use std::ops::Range;

use super::is_flag_word;
use super::keys::{KeyMeaning, key_meaning};
use super::yaml::lines;

/// The values that the lines of a text assign to secret keys, as
/// configuration files write them: `password = pw` (an INI file, such as
/// MySQL's `[client]` section), `password: pw`, `DB_PASSWORD=pw` (an env
/// file); from after the first `=` or `:` to the end of the line. A key is
/// one word of letters, digits, `_`, `-` and `.` (a list's `- ` and quotes
/// aside): a line with blanks before its `=` is prose or a command, whose
/// words [`secret_arguments`] reads. Anywhere in a line, the fields
/// [`secret_fields_in_line`] finds: JSON, a flow mapping, code, XML.
/// Directives of a key and its value apart by a blank: a line that is only
/// that ([`blank_separated_secret`]: `requirepass pw`), redis.conf's `user`
/// ([`acl_user_passwords`]), nginx's headers and `.netrc`'s tokens
/// ([`named_directive_value`]). A value that only refers to a variable
/// holds none.
pub fn secret_assignment_lines(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    // A secret XML element whose text goes on after its line: its name.
    let mut open_element: Option<&str> = None;
    for (start, line) in lines(text) {
        let line = line.trim_end();
        if let Some(name) = open_element {
            let close = end_tag(line, name);
            let inside = &line[..close.unwrap_or(line.len())];
            let trimmed = inside.trim();
            if !is_variable_reference(trimmed) {
                let from = start + inside.len() - inside.trim_start().len();
                found.push(from..from + trimmed.len());
            }
            open_element = open_element.filter(|_| close.is_none());
        }
        if line.contains(['"', '\'', '{', '<']) {
            let (fields, open) = secret_fields_in_line(line);
            found.extend(fields.into_iter().map(|field| start + field.start..start + field.end));
            open_element = open_element.or(open);
        }
        found.extend(
            acl_user_passwords(line)
                .into_iter()
                .map(|rule| start + rule.start..start + rule.end),
        );
        found.extend(named_directive_value(line).map(|value| start + value.start..start + value.end));
        let Some(separator) = line.find(['=', ':']) else {
            // `requirepass pw`, as redis.conf writes its directives.
            if let Some(value) = blank_separated_secret(line) {
                found.push(start + value.start..start + value.end);
            }
            continue;
        };
        let key = line[..separator].trim().trim_start_matches(['-', ' ']).trim_matches(['"', '\'']);
        let value = line[separator + 1..].trim_start();
        if key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) && key_meaning(key) == KeyMeaning::Secret {
            match value.strip_prefix('>') {
                // `password => 'pw', host => 'db'` is a field of code (Perl,
                // Ruby, PHP), its value as far as a field's goes.
                Some(arrowed) => {
                    let (value, _) = field_value(line, line.len() - arrowed.trim_start().len());
                    if holds_secret(&line[value.clone()]) {
                        found.push(start + value.start..start + value.end);
                    }
                }
                None if !is_variable_reference(value) => found.push(start + line.len() - value.len()..start + line.len()),
                None => {}
            }
        }
    }
    found
}

/// The passwords of redis.conf's `user <name> [rule …]` directive, whose
/// rules are `ACL SETUSER`'s: what follows the `>` and `<` of a password
/// and the `#` and `!` of its SHA-256 (an unsalted hash a guess is checked
/// against offline), in the words after the user's name.
fn acl_user_passwords(line: &str) -> Vec<Range<usize>> {
    let trimmed = line.trim_start();
    if !trimmed.get(..5).is_some_and(|directive| directive.eq_ignore_ascii_case("user ")) {
        return Vec::new();
    }
    let mut rules = Vec::new();
    let mut at = line.len() - trimmed.len();
    for (index, word) in line[at..].split(' ').enumerate() {
        if index >= 2 && word.len() > 1 && word.starts_with(['>', '<', '#', '!']) {
            rules.push(at + 1..at + word.len());
        }
        at += word.len() + 1;
    }
    rules
}

/// nginx's directives that name a header or a parameter and give its value
/// (`proxy_set_header X-Api-Key pw;`, `fastcgi_param DB_PASSWORD pw;`),
/// and `.netrc`'s line of tokens (`machine h login u password pw`): the
/// keyword before the value.
const NAMED_DIRECTIVES: &[&str] = &[
    "proxy_set_header",
    "add_header",
    "grpc_set_header",
    "fastcgi_param",
    "uwsgi_param",
    "scgi_param",
    "machine",
];

/// The value of a [`NAMED_DIRECTIVES`] line whose name names a secret: the
/// word after that name, or the quoted text there, without its `;`.
fn named_directive_value(line: &str) -> Option<Range<usize>> {
    let trimmed = line.trim_start();
    let (directive, _) = trimmed.split_once(char::is_whitespace)?;
    if !NAMED_DIRECTIVES.contains(&directive) {
        return None;
    }
    let mut at = line.len() - trimmed.len() + directive.len();
    let mut named = false;
    while let Some(word_start) = line[at..].find(|c: char| !c.is_whitespace()).map(|i| at + i) {
        if named {
            let (value, _) = field_value(line, word_start);
            return holds_secret(&line[value.clone()]).then_some(value);
        }
        let word_end = line[word_start..].find(char::is_whitespace).map_or(line.len(), |i| word_start + i);
        named = key_meaning(&line[word_start..word_end]) == KeyMeaning::Secret;
        at = word_end;
    }
    None
}

/// The value of a line that is a secret key, a blank and one word or one
/// quoted text (redis.conf's `requirepass pw` and `masterauth "p w"`); a
/// line of more words is prose or a command.
fn blank_separated_secret(line: &str) -> Option<Range<usize>> {
    let trimmed = line.trim_start();
    let (key, value) = trimmed.split_once(char::is_whitespace)?;
    let value = value.trim();
    let one_value = match value.as_bytes() {
        [quote @ (b'"' | b'\''), .., last] => last == quote,
        _ => !value.contains(char::is_whitespace),
    };
    // A quoted value is masked inside its quotes.
    let quote = usize::from(value.len() >= 2 && value.starts_with(['"', '\'']));
    let start = line.trim_end().len() - value.len() + quote;
    let end = line.trim_end().len() - quote;
    (one_value
        && key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && key_meaning(key) == KeyMeaning::Secret
        && holds_secret(&line[start..end]))
    .then_some(start..end)
}

/// The values of the secret fields written anywhere in `line`, whatever
/// precedes them (`LOG_CONFIG={"password": "pw"}`, one JSON object of many
/// lines of them):
/// - a quoted key, then `:`, `=>` or `=`, then its value: JSON, a Python
///   dict, PHP's `'password' => 'pw'`;
/// - a plain key after a flow mapping's `{` or `,`, then `: `
///   (`creds: {password: pw, host: db}`), whose value may be a flow
///   sequence or mapping (`{tokens: [a, b]}`); or after `{`, `,` or `(`,
///   then `=>` (Perl's `(user => 'u', password => 'pw')`);
/// - an XML element's text, `<password>pw</password>`, and an attribute's
///   value, `<user name="u" password="pw"/>`.
///
/// A quoted value is masked inside its quotes; an empty one, `null`,
/// `true` or `false` and a reference to a variable hold none. Also the name
/// of a secret element whose start tag ends the line: its text is on the
/// lines [`secret_assignment_lines`] reads after it, to its end tag.
fn secret_fields_in_line(line: &str) -> (Vec<Range<usize>>, Option<&str>) {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let mut open_element = None;
    // Each search reads the line at most once: a quote that closes (of
    // `"`, of `'`) or a `>` not found is not looked for again, and the end
    // tags are found once, when an element is first looked at. (Each `"` of
    // `\"\"\"…`, and each `<password` of a long line, read the rest of it.)
    let mut unclosed_quotes = [false; 2];
    let mut no_tag_end = false;
    let mut tags: Option<HashMap<&str, Vec<usize>>> = None;
    // The last `name` field named a secret: the `value` after it is one.
    let mut named_secret = false;
    let mut at = 0;
    while at < bytes.len() {
        let key = match bytes[at] {
            quote @ (b'"' | b'\'') => {
                // An escaped quote (`\"`) starts no quoted text.
                let escaped = bytes[..at].iter().rev().take_while(|byte| **byte == b'\\').count() % 2 == 1;
                let unclosed = &mut unclosed_quotes[usize::from(quote == b'\'')];
                let end = if *unclosed || escaped { None } else { quoted_end(line, at) };
                *unclosed |= end.is_none() && !escaped;
                end.map(|end| (at + 1..end - 1, end))
            }
            opener @ (b'{' | b',' | b'(') => {
                let start = at + 1 + (line[at + 1..].len() - line[at + 1..].trim_start().len());
                let length = line[start..]
                    .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
                    .unwrap_or(line.len() - start);
                let plain = start + length;
                // `(password: str)` is a Python parameter's type.
                let mapped = (opener != b'(' && line[plain..].starts_with(": ")) || line[plain..].trim_start().starts_with("=>");
                (length > 0 && mapped).then_some((start..plain, plain))
            }
            b'<' => {
                let start = at + 1;
                let length = line[start..].find(|c| !is_xml_name_char(c)).unwrap_or(line.len() - start);
                let name = &line[start..start + length];
                let (attributes_end, keyed_secret) = if length > 0 {
                    secret_attributes(line, start + length, &mut unclosed_quotes, &mut found)
                } else {
                    (start, false)
                };
                // `<password>pw</password>`, its attributes aside; a
                // Java properties file's `<entry key="db.password">pw</entry>`.
                let after_name = &line[start + length..];
                let element = if length > 0
                    && after_name.starts_with(['>', ' '])
                    && !no_tag_end
                    && (keyed_secret || key_meaning(name) == KeyMeaning::Secret)
                {
                    let open = after_name.find('>').map(|open| start + length + open + 1);
                    no_tag_end = open.is_none();
                    let tags = tags.get_or_insert_with(|| end_tags(line));
                    open.filter(|open| !line[..*open].ends_with("/>")).map(|open| {
                        let close = tags
                            .get(name)
                            .and_then(|closes| closes.get(closes.partition_point(|close| *close < open)));
                        (open, close.copied())
                    })
                } else {
                    None
                };
                match element {
                    Some((open, Some(close))) => {
                        if !is_variable_reference(line[open..close].trim()) {
                            found.push(open..close);
                        }
                        at = close;
                        continue;
                    }
                    // A start tag that ends its line: its text is on the
                    // lines after it. (Not `mysql <password.sql >out`.)
                    Some((open, None)) if line[open..].trim().is_empty() => {
                        open_element = Some(name);
                        at = line.len();
                        continue;
                    }
                    // `<password>pw`, its end tag on a later line: the rest
                    // of the line is its text too. (A `>` after a blank
                    // may be a redirection: `mysql <password.sql >out`.)
                    Some((open, None)) if open == attributes_end + 1 => {
                        let text = line[open..].trim();
                        if !is_variable_reference(text) {
                            let from = line.len() - line[open..].trim_start().len();
                            found.push(from..from + text.len());
                        }
                        open_element = Some(name);
                        at = line.len();
                        continue;
                    }
                    _ if attributes_end > start + length => {
                        at = attributes_end;
                        continue;
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let Some((key, key_end)) = key else {
            at += 1;
            continue;
        };
        let after = &line[key_end..];
        let separator = after.trim_start();
        let value_at = ["=>", ":", "="]
            .iter()
            .find_map(|sign| separator.strip_prefix(sign))
            .map(|rest| line.len() - rest.trim_start().len());
        let name = &line[key];
        match value_at {
            Some(value_at) if key_meaning(name) == KeyMeaning::Secret || (named_secret && name.eq_ignore_ascii_case("value")) => {
                named_secret = false;
                let (value, value_end) = field_value(line, value_at);
                if holds_secret(&line[value.clone()]) {
                    found.push(value);
                }
                at = value_end.max(key_end);
            }
            Some(value_at) => {
                // `{"name": "DB_PASSWORD", "value": "pw"}`, an env var's
                // pair in JSON text: its `value` is secret.
                // Only a quoted name is read: its search ends at the next
                // quote of its kind, the next value's at the latest, so
                // the names of a line read it twice at most.
                if name.eq_ignore_ascii_case("name") {
                    named_secret = line[value_at..].starts_with(['"', '\''])
                        && key_meaning(&line[field_value(line, value_at).0]) == KeyMeaning::Secret;
                }
                at = key_end.max(at + 1);
            }
            // A quoted text that is no key may hold fields itself:
            // `CFG='{"token":"pw"}'`.
            None => at += 1,
        }
    }
    (found, open_element)
}

/// The attributes of an XML start tag from `start` of `line` (after its
/// name), `name="value"` or `name='value'`, blanks around the `=`: the
/// values of those whose names name a secret go to `found`, and the
/// `value` of a tag whose `key` or `name` names one (.NET's `<add
/// key="DbPassword" value="pw"/>`); returns where the last attribute read
/// ends, and whether a `key` or `name` named a secret (the element's text
/// is then one). `unclosed_quotes` (of `"`, of `'`) says which quote no
/// later one closes, so that no search reads the line twice.
fn secret_attributes(line: &str, start: usize, unclosed_quotes: &mut [bool; 2], found: &mut Vec<Range<usize>>) -> (usize, bool) {
    let mut at = start;
    let mut keyed_secret = false;
    // The value of a `value` attribute before the `key` that names a secret.
    let mut value_before_key = None;
    loop {
        let name_start = line.len() - line[at..].trim_start().len();
        if name_start == at {
            return (at, keyed_secret);
        }
        let length = line[name_start..].find(|c| !is_xml_name_char(c)).unwrap_or(line.len() - name_start);
        let Some(value) = line[name_start + length..].trim_start().strip_prefix('=').map(str::trim_start) else {
            return (at, keyed_secret);
        };
        let quote = match value.as_bytes().first() {
            Some(quote @ (b'"' | b'\'')) if length > 0 => *quote,
            _ => return (at, keyed_secret),
        };
        let value_start = line.len() - value.len() + 1;
        let unclosed = &mut unclosed_quotes[usize::from(quote == b'\'')];
        let Some(value_end) = (!*unclosed).then(|| line[value_start..].find(char::from(quote))).flatten() else {
            *unclosed = true;
            return (at, keyed_secret);
        };
        let value_end = value_start + value_end;
        let name = &line[name_start..name_start + length];
        let value = value_start..value_end;
        if name.eq_ignore_ascii_case("key") || name.eq_ignore_ascii_case("name") {
            if key_meaning(&line[value.clone()]) == KeyMeaning::Secret {
                keyed_secret = true;
                found.extend(value_before_key.take());
            }
        } else if name.eq_ignore_ascii_case("value") && holds_secret(&line[value.clone()]) {
            if keyed_secret {
                found.push(value.clone());
            } else {
                value_before_key = Some(value.clone());
            }
        }
        if key_meaning(name) == KeyMeaning::Secret && holds_secret(&line[value.clone()]) {
            found.push(value);
        }
        at = value_end + 1;
    }
}

/// Where the first end tag `</name>` (`</name >`) of `line` starts.
fn end_tag(line: &str, name: &str) -> Option<usize> {
    line.match_indices("</").map(|(close, _)| close).find(|close| {
        line[close + 2..]
            .strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with('>'))
    })
}

/// The end tags of `line` (`</name>`, `</name >`): each element's name and
/// where its end tags start, in order.
fn end_tags(line: &str) -> HashMap<&str, Vec<usize>> {
    let mut tags: HashMap<&str, Vec<usize>> = HashMap::new();
    for (close, _) in line.match_indices("</") {
        let rest = &line[close + 2..];
        let length = rest.find(|c| !is_xml_name_char(c)).unwrap_or(rest.len());
        if length > 0 && rest[length..].trim_start().starts_with('>') {
            tags.entry(&rest[..length]).or_default().push(close);
        }
    }
    tags
}

/// Whether `c` may be part of an XML element's name (as far as a secret's
/// name goes: letters, digits, `_`, `-`, `.` and a namespace's `:`).
fn is_xml_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// Whether a field's value, as [`field_value`] reads it, holds a secret:
/// it is neither empty, a word YAML reads as a boolean or null, nor a
/// reference to a variable.
fn holds_secret(value: &str) -> bool {
    !value.is_empty() && !is_flag_word(value) && !is_variable_reference(value)
}

/// Where the quoted text that starts at `start` (its quote) ends, after its
/// closing quote; a backslash escapes the next character.
fn quoted_end(line: &str, start: usize) -> Option<usize> {
    let bytes = line.as_bytes();
    let quote = bytes[start];
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            byte if byte == quote => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// The value of a field that starts at `start` of `line`, as what to mask
/// (inside its quotes) and where it ends: a quoted text, a flow sequence
/// or mapping to its closing bracket, or a word up to a `,`, `;`, `}`, `]`,
/// `)` or blank.
fn field_value(line: &str, start: usize) -> (Range<usize>, usize) {
    let bytes = line.as_bytes();
    match bytes.get(start) {
        Some(b'"' | b'\'') => match quoted_end(line, start) {
            Some(end) => (start + 1..end - 1, end),
            None => (start + 1..line.len(), line.len()),
        },
        Some(b'[' | b'{') => {
            let mut depth = 0usize;
            let mut at = start;
            while at < bytes.len() {
                match bytes[at] {
                    b'"' | b'\'' => {
                        at = quoted_end(line, at).unwrap_or(line.len());
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return (start..at + 1, at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            (start..line.len(), line.len())
        }
        _ => {
            let end = line[start..]
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '}' | ']' | ')'))
                .map_or(line.len(), |i| start + i);
            (start..end, end)
        }
    }
}

/// Whether `value` (quoted or not) is only a reference to a variable:
/// `$(NAME)`, `${NAME}`, `$NAME`, a Python format's `%(name)s` (a log
/// format's field); or empty.
pub(super) fn is_variable_reference(value: &str) -> bool {
    let value = value.trim_matches(['"', '\'']);
    let name = value
        .strip_prefix("$(")
        .and_then(|rest| rest.strip_suffix(')'))
        .or_else(|| {
            let rest = value.strip_prefix("%(")?;
            rest.strip_suffix(|c: char| c.is_ascii_alphabetic())?.strip_suffix(')')
        })
        .or_else(|| value.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')))
        .or_else(|| value.strip_prefix('$'));
    value.is_empty() || name.is_some_and(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// What follows the first `=`, `:` or blank of `text` (after its leading
/// blanks): in a `--set` argument or an input's name, the value of a
/// `key=value`, `key:value` or `key value` that was meant as an assignment.
pub(super) fn after_first_separator(text: &str) -> Option<&str> {
    let start = text.len() - text.trim_start().len();
    let (at, separator) = text[start..]
        .char_indices()
        .find(|(_, c)| matches!(c, '=' | ':') || c.is_whitespace())?;
    Some(&text[start + at + separator.len_utf8()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::secrets::{apply, merge};

    /// A plain key before `=>` (Perl's and Ruby's hashes) is a field's key,
    /// after a line's start, `{`, `,` or `(`; an end tag may hold a blank
    /// before its `>`; a Python parameter's type is no field's value.
    #[test]
    fn arrowed_fields_and_spaced_end_tags_hold_secrets() {
        let shown = |text: &str| apply(text, &merge(secret_assignment_lines(text)));
        for (text, masked) in [
            ("password => 'pw1', host => 'db'", "password => '***', host => 'db'"),
            (
                "my %db = (user => 'u', password => 'pw2');",
                "my %db = (user => 'u', password => '***');",
            ),
            ("{user => 'u', :x => 1, token => pw3}", "{user => 'u', :x => 1, token => ***}"),
            (
                "<password >pw4</password >, <password>pw5</password\t>",
                "<password >***</password >, <password>***</password\t>",
            ),
            (
                "def login(password: str, token: str = None):",
                "def login(password: str, token: str = None):",
            ),
        ] {
            assert_eq!(shown(text), masked, "{text}");
        }
    }

    /// An XML element's text on the lines after its start tag, to its end
    /// tag (or the text's end); an attribute that names a secret, quoted
    /// either way, blanks around its `=`. Other attributes and elements,
    /// and a reference, stay readable.
    #[test]
    fn xml_text_on_later_lines_and_attributes_hold_secrets() {
        let shown = |text: &str| apply(text, &merge(secret_assignment_lines(text)));
        for (text, masked) in [
            (
                "<config>\n  <password>\n    pw1\n  </password>\n  <user>u</user>\n</config>",
                "<config>\n  <password>\n    ***\n  </password>\n  <user>u</user>\n</config>",
            ),
            (
                "<db-password >\npw2\n pw3 </db-password> <host>db</host>\n<n>1</n>",
                "<db-password >\n***\n *** </db-password> <host>db</host>\n<n>1</n>",
            ),
            (
                "<password>\n  ${DB_PASSWORD}\n</password>",
                "<password>\n  ${DB_PASSWORD}\n</password>",
            ),
            ("<token>\npw4", "<token>\n***"),
            (
                r#"<user name="x" password="pw5"/> <c password = 'p w6' n='1'>"#,
                r#"<user name="x" password="***"/> <c password = '***' n='1'>"#,
            ),
            (
                r#"<c a="it's" apiKey='pw7' password="" token="$(T)">"#,
                r#"<c a="it's" apiKey='***' password="" token="$(T)">"#,
            ),
        ] {
            assert_eq!(shown(text), masked, "{text}");
        }
    }

    /// redis.conf's directives, a key and its value apart by a blank; an
    /// XML element's text after its start tag on its line, its end tag on a
    /// later one; the `value` of a key/value pair (.NET's `<add>`, Java's
    /// `<entry>`) whose key names a secret. Prose, a redirection and other
    /// pairs stay readable.
    #[test]
    fn blank_separated_directives_xml_text_after_its_start_tag_and_keyed_values_hold_secrets() {
        let shown = |text: &str| apply(text, &merge(secret_assignment_lines(text)));
        for (text, masked) in [
            (
                "bind 0.0.0.0\nrequirepass pw1\nmasterauth \"p w2\"\n# requirepass foobared\n",
                "bind 0.0.0.0\nrequirepass ***\nmasterauth \"***\"\n# requirepass foobared\n",
            ),
            ("password is rotated\npassword $PW\n", "password is rotated\npassword $PW\n"),
            (
                "user default on >pw10 ~cache:* +@all\nuser bob on #5e88 <pw11 resetkeys",
                "user default on >*** ~cache:* +@all\nuser bob on #*** <*** resetkeys",
            ),
            ("echo user > out", "echo user > out"),
            (
                "proxy_set_header X-Api-Key pw12;\n  add_header Authorization \"Bearer pw13\";\nfastcgi_param DB_PASSWORD pw14;\nproxy_set_header Host $host;",
                "proxy_set_header X-Api-Key ***;\n  add_header Authorization \"***\";\nfastcgi_param DB_PASSWORD ***;\nproxy_set_header Host $host;",
            ),
            (
                "machine h login u password pw15\nproxy_set_header X-Token $token;",
                "machine h login u password ***\nproxy_set_header X-Token $token;",
            ),
            (
                "<password>pw3\n  pw4\n</password>\n<user>u</user>",
                "<password>***\n  ***\n</password>\n<user>u</user>",
            ),
            ("<password type=\"t\"> pw5 \n</password>", "<password type=\"t\"> *** \n</password>"),
            ("mysql <password.sql >out\nnext line", "mysql <password.sql >out\nnext line"),
            (
                r#"<add key="DbPassword" value="pw6"/><add value="pw7" name="api_key"/><add key="Host" value="db"/>"#,
                r#"<add key="DbPassword" value="***"/><add value="***" name="api_key"/><add key="Host" value="db"/>"#,
            ),
            (
                r#"<entry key="db.password">pw8</entry><entry key="db.host">db</entry>"#,
                r#"<entry key="db.password">***</entry><entry key="db.host">db</entry>"#,
            ),
            (
                r#"ENV=[{"name":"DB_PASSWORD","value":"pw9"},{"name":"HOST","value":"db"}]"#,
                r#"ENV=[{"name":"DB_PASSWORD","value":"***"},{"name":"HOST","value":"db"}]"#,
            ),
        ] {
            assert_eq!(shown(text), masked, "{text}");
        }
    }

    /// A quoted text that is no field's key is read for fields too: a
    /// shell's quoted JSON that holds no blank, which no word of the line
    /// reads again.
    #[test]
    fn fields_inside_a_quoted_text_hold_secrets() {
        let shown = |text: &str| apply(text, &merge(secret_assignment_lines(text)));
        for (text, masked) in [
            (
                r#"export CFG='{"token":"pw1","level":"debug"}'"#,
                r#"export CFG='{"token":"***","level":"debug"}'"#,
            ),
            (r#"echo "{'password':'pw2'}" '{"n":1}'"#, r#"echo "{'password':'***'}" '{"n":1}'"#),
        ] {
            assert_eq!(shown(text), masked, "{text}");
        }
    }

    #[test]
    fn secret_fields_anywhere_in_a_line() {
        let shown = |text: &str| apply(text, &merge(secret_assignment_lines(text)));
        for (text, masked) in [
            (r#"{"a": 1, "password": "p\"w", "b": 2}"#, r#"{"a": 1, "password": "***", "b": 2}"#),
            (r#"X={"token":"pw","n":1}"#, r#"X={"token":"***","n":1}"#),
            ("'password' => 'pw', 'host' => 'db'", "'password' => '***', 'host' => 'db'"),
            ("creds: {password: pw, host: db}", "creds: {password: ***, host: db}"),
            ("a: {tokens: [x, {y: z}], n: 1}", "a: {tokens: ***, n: 1}"),
            (
                "<password type=plain>pw</password><user>u</user>",
                "<password type=plain>***</password><user>u</user>",
            ),
            // Shown: an empty password, null, a measure, references, a redirection.
            (
                r#"{"password": "", "pw": null, "password_reset_limit": 3}"#,
                r#"{"password": "", "pw": null, "password_reset_limit": 3}"#,
            ),
            (
                r#"{"password": "${PW}"}<password>$(PW)</password>"#,
                r#"{"password": "${PW}"}<password>$(PW)</password>"#,
            ),
            ("mysql <password.sql >out; <password/>x", "mysql <password.sql >out; <password/>x"),
        ] {
            assert_eq!(shown(text), masked, "{text}");
        }
    }
}
