//! What of the inputs is never printed: secret values and the user-info of
//! URLs.
//!
//! Diagnostics quote source lines and repeat values in their messages, and
//! they go to CI logs, Argo CD's UI and uploaded SARIF files. So the texts the
//! tool prints about its inputs (source lines, messages, help, notes, in every
//! format) pass through [`Sources::redact`](super::Sources::redact) and
//! [`Sources::shown_line`](super::Sources::shown_line), which mask what this
//! module finds. It finds it in the inputs themselves: the loader and the
//! `--set` parser hand it each text as they parse it (`YamlWalk`,
//! `FileSecrets::assignment`), so no text is parsed twice, and a text no
//! reader parsed is searched when something is first printed. No rule or
//! format has to remember to register a secret.
//!
//! What is secret:
//! - a value under a key that names a secret ([`key_meaning`]): the values'
//!   `dbRootPassword` and `adminPassword`, any key with a word such as
//!   `password`, `secret` or `token` or ending in `auth`, and an env var
//!   `{name: DB_PASSWORD, value: …}` (all of its value, should it be a list
//!   or a mapping); in a YAML file (block, flow, quoted, block scalars, through
//!   aliases) or a `--set` argument;
//! - the user-info of any URL (`redis://user:password@host`), and the value
//!   of a query parameter whose name names a secret (`?password=…`),
//!   wherever it is written, percent-decoded too;
//! - each of these texts wherever else it appears: in a comment, another
//!   value, a message. A secret of [`SEARCHED_LEN`] characters or more is
//!   masked wherever it appears; a shorter one only where it stands apart from
//!   letters and digits, because masking every `x` of a one-letter password
//!   would garble everything printed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, ScalarStyle};

use super::{FileId, SourceSyntax, Sources};
use crate::node::{Node, Segment, Value as NodeValue};

mod shell;

/// What replaces a secret in printed text.
pub const MASK: &str = "***";

/// Secrets at least this long are masked even inside other words.
pub const SEARCHED_LEN: usize = 8;

/// What a key says about the value under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMeaning {
    /// The value is a secret: `dbRootPassword`, `apiKey`, `clientSecret`.
    Secret,
    /// The value names where a secret is kept, and is no secret itself:
    /// `dbExistingSecret`, `secretName`, `secretKeyRef`, `name`, `key`.
    Reference,
    /// Nothing either way: the value inherits what the keys above it say.
    Neutral,
}

/// Words of a key that mark its value as secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "credential",
    "credentials",
    "apikey",
    // Shortened and misspelt: the keys a diagnostic quotes with a "did you
    // mean `dbRootPassword`?".
    "pw",
    "passw",
    "paswd",
    "pswd",
    "psswd",
    "paswrd",
    "passwrd",
];

/// Pairs of consecutive words that mark a value as secret.
const SECRET_PAIRS: &[(&str, &str)] = &[("api", "key"), ("private", "key"), ("access", "key"), ("encryption", "key")];

/// Words that mark a value as secret when they end a key: `REDIS_AUTH`,
/// `auth` (what Redis's `AUTH` command takes, a password), and HTTP's
/// `Authorization` header (`Basic dXNlcjpwdw==`, a bearer token). Before
/// another word they only qualify it: `authType`, the volumes'
/// `chapAuthSession`.
const SECRET_LAST_WORDS: &[&str] = &["auth", "authorization"];

/// Last words of keys that hold a measure of a secret, not the secret:
/// `password_reset_limit`, `minimum_password_score`, `PASSWORD_MIN_LENGTH`,
/// `TOKEN_TTL`.
const MEASURE_ENDINGS: &[&str] = &[
    "limit", "length", "score", "ttl", "expiry", "age", "timeout", "count", "policy", "strength", "min", "max",
];

/// Last words of keys that refer to a Secret or a key in it.
const REFERENCE_ENDINGS: &[&str] = &["name", "names", "ref", "refs"];

/// The one place that decides which keys hold secrets. A key is split into
/// words (`dbRootPassword`, `DB_ROOT_PASSWORD`, `db-root-password` all give
/// `db root password`). A key that refers to where a secret is kept
/// (`dbExistingSecret`, `dbExistingSecretPasswordKey`, `secretName`,
/// `secretKeyRef`, the `key` of a selector) is a reference; otherwise a
/// key with a secret word is a secret.
pub fn key_meaning(key: &str) -> KeyMeaning {
    // Most keys (`replicaCount`, `image`) say nothing; telling them apart
    // without splitting them into words halves the cost of finding secrets.
    if key.is_ascii() && !has_telling_fragment(key.as_bytes()) {
        return KeyMeaning::Neutral;
    }
    meaning_of_words(key)
}

/// Whether an ASCII key holds one of [`TELLING_FRAGMENTS`], in any case:
/// every key of a values file comes here. Comparing byte by byte, lowered
/// on the way, is several times cheaper than `windows` with
/// `eq_ignore_ascii_case`, which cost as much as the rest of the walk.
fn has_telling_fragment(key: &[u8]) -> bool {
    (0..key.len()).any(|at| {
        let rest = &key[at..];
        TELLING_FRAGMENTS
            .iter()
            .any(|fragment| rest.len() >= fragment.len() && rest.iter().zip(fragment.bytes()).all(|(c, f)| c.to_ascii_lowercase() == f))
    })
}

/// A fragment of every word above (in `SECRET_WORDS`, `SECRET_PAIRS`,
/// `SECRET_LAST_WORDS`, `REFERENCE_ENDINGS`, and `existing` and `key`), in
/// lower case: an ASCII key without one of them says nothing. (A non-ASCII
/// key may lower-case into one: the Kelvin sign `K` becomes `k`.)
/// `pas` and `word` also cover every one-typo spelling of `password`
/// ([`resembles_password`]): a single edit leaves one of them whole.
const TELLING_FRAGMENTS: &[&str] = &[
    "pas",
    "word",
    "pw",
    "psw",
    "pssw",
    "secret",
    "token",
    "credential",
    "auth",
    "key",
    "existing",
    "name",
    "ref",
];

/// [`key_meaning`] from the key's words.
fn meaning_of_words(key: &str) -> KeyMeaning {
    let words = words(key);
    let is_reference = words.iter().any(|w| is_word(w, "existing"))
        || words
            .last()
            .is_some_and(|w| REFERENCE_ENDINGS.iter().any(|ending| is_word(w, ending)))
        || matches!(words[..], [only] if is_word(only, "key"));
    if is_reference {
        return KeyMeaning::Reference;
    }
    if words
        .last()
        .is_some_and(|w| MEASURE_ENDINGS.iter().any(|ending| is_word(w, ending)))
    {
        return KeyMeaning::Neutral;
    }
    if has_secret_word(&words) || resembles_password(key) {
        KeyMeaning::Secret
    } else {
        KeyMeaning::Neutral
    }
}

/// Whether a text that may be a key, written loosely (`dbRootPassword`,
/// `--db-password`, `PGPASSWORD`, a misspelling), names a secret: what the
/// texts that are not YAML keys (`--set` arguments, paths, words in a value)
/// are asked.
fn names_a_secret(text: &str) -> bool {
    has_secret_word(&words(text)) || resembles_password(text) || {
        // `redisAuth[=pw`, `REDIS_AUTH pw`: a word that names a secret only
        // as a key's last ([`SECRET_LAST_WORDS`]) is followed by what the
        // key was given, and by an index (`auth[0`).
        let key = text.split(['=', ':']).next().unwrap_or(text);
        let key = key.split_whitespace().next().unwrap_or(key);
        let key_words: Vec<&str> = words(key).into_iter().filter(|w| w.chars().any(char::is_alphabetic)).collect();
        key != text && has_secret_word(&key_words)
    }
}

fn has_secret_word(words: &[&str]) -> bool {
    words.iter().any(|w| SECRET_WORDS.iter().any(|secret| is_word(w, secret)))
        || words
            .last()
            .is_some_and(|w| SECRET_LAST_WORDS.iter().any(|secret| is_word(w, secret)))
        || words
            .windows(2)
            .any(|pair| SECRET_PAIRS.iter().any(|(a, b)| is_word(pair[0], a) && is_word(pair[1], b)))
}

/// Whether `key`, lower-cased and without its punctuation, holds `passwd`,
/// `password`, or `password` with one typo (a letter missing, added or
/// wrong, or two swapped: `pasword`, `passowrd`). The word split misses keys
/// written run together (`DBROOTPASSWORD`, `PGPASSWORD`) and misspelt ones
/// (`dbRootPasword`), and a misspelt key is the one a diagnostic quotes.
fn resembles_password(key: &str) -> bool {
    const PASSWORD: &[u8] = b"password";
    let letters: Vec<u8> = key
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    letters.windows(6).any(|w| w == b"passwd")
        || (PASSWORD.len() - 1..=PASSWORD.len() + 1).any(|len| letters.windows(len).any(|w| within_one_edit(w, PASSWORD)))
}

/// Whether `a` becomes `b` by at most one insertion, deletion, substitution
/// or swap of neighbours (the optimal string alignment distance is 0 or 1).
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match (a.len(), b.len()) {
        (0, 0) => true,
        (m, n) if m == n => a[1..] == b[1..] || (m >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..]),
        (m, n) if m == n + 1 => a[1..] == *b,
        (m, n) if m + 1 == n => *a == b[1..],
        _ => false,
    }
}

/// Whether a word of a key, in any case, is `lower`, a lower-case word.
fn is_word(word: &str, lower: &str) -> bool {
    if word.is_ascii() {
        word.eq_ignore_ascii_case(lower)
    } else {
        word.to_lowercase() == lower
    }
}

/// The words of a key, as slices of it (compared with [`is_word`]), split at
/// punctuation, at lower-to-upper case changes, before the last capital of
/// an acronym (`DBPassword`), and between letters and digits.
fn words(key: &str) -> Vec<&str> {
    let mut words = Vec::new();
    // Where the current word starts, and the character before this one.
    let mut start: Option<usize> = None;
    let mut previous = None;
    let mut chars = key.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if !c.is_alphanumeric() {
            if let Some(from) = start.take() {
                words.push(&key[from..at]);
            }
        } else if let (Some(from), Some(previous)) = (start, previous) {
            let next_is_lower = chars.peek().is_some_and(|(_, n)| n.is_lowercase());
            let boundary = (char::is_lowercase(previous) && c.is_uppercase())
                || (char::is_uppercase(previous) && c.is_uppercase() && next_is_lower)
                || char::is_alphabetic(previous) != c.is_alphabetic();
            if boundary {
                words.push(&key[from..at]);
                start = Some(at);
            }
        } else {
            start = Some(at);
        }
        previous = Some(c);
    }
    if let Some(from) = start {
        words.push(&key[from..]);
    }
    words
}

/// The secret texts of one run's sources, to mask wherever else they appear.
#[derive(Debug, Default)]
pub struct Secrets {
    /// Each once, blank ones left out.
    texts: Vec<String>,
    /// The user-infos without `:` of the sources' URLs, secret only where
    /// an `@` follows them (see [`FileSecrets::credential`]).
    user_names: Vec<String>,
}

impl Secrets {
    /// The secret texts of every source.
    pub fn find(sources: &Sources) -> Secrets {
        let mut texts: Vec<String> = (0..sources.files.len())
            .flat_map(|index| {
                let file = FileId(index as u32);
                sources
                    .file_secrets(file)
                    .texts
                    .iter()
                    .chain(&sources.get(file).name_secrets)
                    .cloned()
            })
            .chain(sources.hidden.iter().cloned())
            .filter(|t| !t.trim().is_empty())
            .collect();
        texts.sort_unstable();
        texts.dedup();
        let mut user_names: Vec<String> = (0..sources.files.len())
            .flat_map(|index| sources.file_secrets(FileId(index as u32)).user_names.iter().cloned())
            .collect();
        user_names.sort_unstable();
        user_names.dedup();
        Secrets { texts, user_names }
    }

    /// The ranges of `text` where a secret of the sources appears (the
    /// user-info of the URLs in the values among them). Texts the tool
    /// writes itself, such as a help's example URL, stay as they are.
    pub fn in_text(&self, text: &str) -> Vec<Range<usize>> {
        let mut ranges = Vec::new();
        for secret in &self.texts {
            for (at, _) in text.match_indices(secret.as_str()) {
                let range = at..at + secret.len();
                if secret.chars().count() >= SEARCHED_LEN || stands_apart(text, &range) {
                    ranges.push(range);
                }
            }
        }
        for name in &self.user_names {
            for (at, _) in text.match_indices(name.as_str()) {
                let range = at..at + name.len();
                let in_a_url = text[range.end..].starts_with('@') || text[..range.start].ends_with("://");
                if in_a_url && stands_apart(text, &range) {
                    ranges.push(range);
                }
            }
        }
        merge(ranges)
    }
}

/// The secrets of one source: where they are written in it, and their texts.
///
/// The reader of a source finds them as it parses it (`YamlWalk`, driven by
/// the loader's own parse, and `FileSecrets::assignment`, called by the
/// `--set` parser), so that no text is parsed twice. A source no reader
/// recorded them for (a text that did not load, a file that is not UTF-8)
/// has them found from its text when something is first printed, by the
/// same walk for YAML.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileSecrets {
    /// Byte ranges of secret text in the source.
    ranges: Vec<Range<usize>>,
    texts: Vec<String>,
    user_names: Vec<String>,
}

impl FileSecrets {
    /// The secrets of a source from its text alone: a YAML text parsed and
    /// walked as the loader walks it; a `--set` argument as described at
    /// [`FileSecrets::unparsed_set_argument`].
    pub(super) fn of_text(text: &str, syntax: SourceSyntax) -> FileSecrets {
        match syntax {
            SourceSyntax::Yaml => yaml(text),
            SourceSyntax::SetArgument(_) => FileSecrets::unparsed_set_argument(text),
            SourceSyntax::FileValue { secret } => FileSecrets::file_value(text, secret),
        }
    }

    /// The secrets of a file read by `--set-file`: all of it when its key
    /// names a secret (a password file), and the user-info of its URLs.
    fn file_value(text: &str, secret: bool) -> FileSecrets {
        let mut found = FileSecrets::default();
        if secret && !text.trim().is_empty() {
            found.add_value(text, 0..text.len(), text);
        }
        for credential in url_credentials_of_value(text) {
            found.credential(text, credential, text, 0..text.len());
        }
        found
    }

    /// The secret ranges that overlap `line` (byte offsets in the source),
    /// relative to the line's start and without the blanks a block scalar's
    /// range takes along.
    pub fn in_line(&self, line_text: &str, line: Range<usize>) -> Vec<Range<usize>> {
        self.ranges
            .iter()
            .filter(|r| r.start < line.end && r.end > line.start)
            .filter_map(|r| {
                let start = r.start.max(line.start) - line.start;
                let end = r.end.min(line.end) - line.start;
                let part = &line_text[start..end];
                let trimmed = part.trim();
                if trimmed.is_empty() {
                    return None;
                }
                let start = start + (part.len() - part.trim_start().len());
                Some(start..start + trimmed.len())
            })
            .collect()
    }

    /// One assignment of a parsed `--set` argument `text`: its value, written
    /// at `range`, is secret when the nearest key of its path (`keys`) that
    /// says anything names a secret, as in YAML; the user-info of a URL in it
    /// is secret wherever it is.
    pub(crate) fn assignment<'k>(&mut self, text: &str, keys: impl IntoIterator<Item = &'k str>, range: Range<usize>, value: &str) {
        for credential in url_credentials_of_value(value) {
            self.credential(value, credential, text, range.clone());
        }
        let secret = keys.into_iter().fold(false, |inherited, key| {
            // `--set 'dbRootPassword pw=='` parses, as the key `dbRootPassword pw`.
            if key.contains(char::is_whitespace) {
                self.assigned_in_words(key, true);
            }
            secret_under(key, inherited)
        });
        if secret && !value.is_empty() {
            self.add_value(text, range, value);
        } else {
            // `--set 'image.tag=1 dbRootPassword=pw'`: one value, a second
            // assignment meant.
            self.assigned_in_words(value, true);
            // `--set 'worker.gunicorn.args[2]=mysql -ppw'`.
            self.in_value_text(value, (text.get(range.clone()) == Some(value)).then_some(range.start));
        }
    }

    /// The items of a `--set` list (`args={mysql,-ppw}`), each its text and
    /// where it is written in `text`, read as the words of a command.
    pub(crate) fn list_items(&mut self, text: &str, items: &[(Range<usize>, &str)]) {
        let words: Vec<&str> = items.iter().map(|(_, word)| *word).collect();
        for (index, value) in secret_arguments(&words) {
            let (written, word) = &items[index];
            let written_at = (text.get(written.clone()) == Some(*word)).then_some(written.start);
            self.part_of_value(word, value, written_at);
        }
    }

    /// The rest of `text` from the value of its first word that reads as an
    /// assignment to a secret key (`dbRootPassword=pw`, `--password=pw`,
    /// `adminPassword: pw`; with `blank_separates`, `dbRootPassword pw`
    /// too), as a secret text.
    fn assigned_in_words(&mut self, text: &str, blank_separates: bool) {
        let mut at = 0;
        while let Some(start) = text[at..].find(|c: char| !c.is_whitespace()).map(|i| at + i) {
            let end = text[start..].find(char::is_whitespace).map_or(text.len(), |i| start + i);
            let word = &text[start..end];
            at = end;
            let (key, value_from) = match word.find(['=', ':']) {
                Some(separator) => (&word[..separator], start + separator + 1),
                None if blank_separates => (word, end),
                None => continue,
            };
            let value = text[value_from..].trim();
            if !value.is_empty() && names_a_secret(key) {
                self.text(value);
                return;
            }
        }
    }

    /// A `--set` argument that did not parse (or was never parsed): when it
    /// has a secret word anywhere, everything after its first `=`, `:` or
    /// blank ([`after_first_separator`]), since what it assigns is unknown;
    /// otherwise the secrets of that rest read as a command
    /// ([`FileSecrets::in_value_text`]); and the user-info of any URL in it.
    fn unparsed_set_argument(text: &str) -> FileSecrets {
        let mut found = FileSecrets::default();
        for range in url_credentials(text) {
            found.credential(text, range, text, 0..text.len());
        }
        if names_a_secret(text)
            && let Some(rest) = after_first_separator(text)
            && !rest.trim().is_empty()
        {
            found.ranges.push(text.len() - rest.len()..text.len());
            found.text(rest);
        } else if let Some(value) = after_first_separator(text) {
            // `--set 'worker.gunicorn.command=mysql -ppw' x`.
            found.in_value_text(value, Some(text.len() - value.len()));
        }
        found
    }

    /// The secrets that `value`, a command or a configuration file's text,
    /// gives ([`secrets_in_text`]): masked where they are written when the
    /// value is written as it reads from `written_at` on, and wherever
    /// their texts (or their words') appear.
    fn in_value_text(&mut self, value: &str, written_at: Option<usize>) {
        for part in secrets_in_text(value) {
            self.part_of_value(value, part, written_at);
        }
    }

    /// `part` of `value`, a secret: see [`FileSecrets::in_value_text`].
    pub(super) fn part_of_value(&mut self, value: &str, part: Range<usize>, written_at: Option<usize>) {
        let secret = &value[part.clone()];
        if is_flag_word(secret.trim()) {
            return;
        }
        if let Some(start) = written_at {
            self.ranges.push(start + part.start..start + part.end);
        }
        self.text(secret);
        // A short password glued to a letter of its flag (`-ppw`) never
        // stands apart: its word, from its blank on, does.
        if value[..part.start].ends_with(char::is_alphanumeric) {
            let word_start = value[..part.start].rfind(char::is_whitespace).map_or(0, |blank| blank + 1);
            self.text(&value[word_start..part.end]);
        }
    }

    /// A secret value: `range` is where it is written, `value` what it means.
    pub(super) fn add_value(&mut self, text: &str, range: Range<usize>, value: &str) {
        // A flag under a secret-sounding key (an annotation
        // `…/enable-global-auth: "false"`) is masked where it is written;
        // as a text to find everywhere it would hide every `false`.
        if is_flag_word(value.trim()) {
            self.ranges.push(range);
            return;
        }
        let raw = &text[range.clone()];
        let unquoted = match raw.as_bytes() {
            [b'"', .., b'"'] | [b'\'', .., b'\''] => &raw[1..raw.len() - 1],
            _ => raw,
        };
        let escaped = format!("{value:?}");
        for form in [value, unquoted, &escaped[1..escaped.len() - 1]] {
            self.text(form);
        }
        self.ranges.push(range);
    }

    /// A URL's user-info or secret query value at `range` of `value`, its
    /// password alone, which may be written elsewhere too, and each
    /// percent-decoded, as a client reads it. `value` is written at
    /// `written` in `source`.
    fn credential(&mut self, value: &str, range: Range<usize>, source: &str, written: Range<usize>) {
        let credential = &value[range.clone()];
        // A user-info without `:` is a user name to redis-py, most often
        // the ACL user (`rediss://default@host`) whose password a Secret
        // gives, though it may be a password lacking its `:`. As a text to
        // find everywhere, `default` would hide `worker.default`: it is
        // masked where it is written, and in other texts after `://` or
        // before `@` ([`Secrets::in_text`]). (A query's password has no `@`
        // after it.)
        let password = credential.split_once(':').map(|(_, password)| password);
        if password.is_none() && value[range.end..].starts_with('@') {
            self.user_name_at(source, written, credential);
            self.user_names.push(credential.to_owned());
            let decoded = percent_encoding::percent_decode_str(credential).decode_utf8_lossy();
            if decoded != credential {
                self.user_names.push(decoded.into_owned());
            }
            return;
        }
        for form in std::iter::once(credential).chain(password) {
            self.text(form);
            let decoded = percent_encoding::percent_decode_str(form).decode_utf8_lossy();
            if decoded != form {
                self.text(&decoded);
            }
        }
    }

    /// Where user name `name` is written in `source[written]`: before its
    /// `@`; or, when the value is not written as it reads (escapes, a
    /// folded line), the whole of it.
    fn user_name_at(&mut self, source: &str, written: Range<usize>, name: &str) {
        let before = self.ranges.len();
        let raw = &source[written.clone()];
        for (at, _) in raw.match_indices(name) {
            if raw[at + name.len()..].starts_with('@') {
                self.ranges.push(written.start + at..written.start + at + name.len());
            }
        }
        if self.ranges.len() == before {
            self.ranges.push(written);
        }
    }

    /// A secret text, and each of its lines when it has several.
    fn text(&mut self, text: &str) {
        self.texts.push(text.to_owned());
        if text.contains('\n') {
            self.texts.extend(text.lines().map(|l| l.trim().to_owned()));
        }
    }
}

/// The words of a command line that are secrets nothing assigns: the word
/// after a `--set`, `--set-string` or `--set-file` argument that names a
/// secret key and has no `=` (`--set dbRootPassword hunter2`, written as
/// helm's `--set` is not), which clap takes for an input file or an
/// unexpected argument.
pub fn words_meant_as_secrets(args: &[String]) -> Vec<String> {
    let args: Vec<&str> = args.iter().map(String::as_str).take_while(|arg| *arg != "--").collect();
    let mut hidden = Vec::new();
    let mut at = 0;
    while at < args.len() {
        let (flag, attached) = args[at].split_once('=').map_or((args[at], None), |(flag, rest)| (flag, Some(rest)));
        at += 1;
        if !matches!(flag, "--set" | "--set-string" | "--set-file") {
            continue;
        }
        let assignment = match attached {
            Some(assignment) => assignment,
            None => {
                at += 1;
                match args.get(at - 1) {
                    Some(assignment) => assignment,
                    None => break,
                }
            }
        };
        if !assignment.contains('=')
            && names_a_secret(assignment)
            && let Some(next) = args.get(at).filter(|next| !next.starts_with('-'))
        {
            hidden.push((*next).to_owned());
        }
    }
    hidden
}

/// The secret values among the words of a command line (a container's
/// `args` or `command`, or the words of a shell line in one), as the index
/// of each word that holds one and where in the word the value is:
/// - the word after a flag whose name names a secret ([`key_meaning`]) and
///   that carries no value (`--db-root-password pw`);
/// - the value of a word that assigns one (`--admin-password=pw`,
///   `PGPASSWORD=pw`), also where the assignment is nested in another's
///   value, as helm's `--set=adminPassword=pw` and `--set
///   image.tag=1,adminPassword=pw` write it;
/// - the value of a client's own password flag ([`PASSWORD_FLAGS`]:
///   `mysql -ppw`, `redis-cli -a pw`, `curl -u user:pw`), in the words
///   from the client's name to the end of its command (`;`, `|`, `&`);
/// - the argument of a client's command that is a password
///   ([`PASSWORD_COMMANDS`]: `redis-cli AUTH user pw`, `bench
///   set-password user pw`).
///
/// A value that only refers to a variable (`$(DB_ROOT_PASSWORD)`, which the
/// kubelet expands from a Secret, `${X}`, `$X`) holds none.
pub fn secret_arguments(words: &[&str]) -> Vec<(usize, Range<usize>)> {
    let mut found = password_arguments(words);
    found.retain(|(index, value)| !is_variable_reference(&words[*index][value.clone()]));
    found
}

/// [`secret_arguments`], the values that only refer to a variable
/// included: a shell line tells them by how they are written (`-p"$X"pw`
/// reads `-p$Xpw`, a reference and a password).
fn password_arguments(words: &[&str]) -> Vec<(usize, Range<usize>)> {
    // A flag or key is one word: a list's item with blanks is a shell line.
    let names_secret = |flag: &str| !flag.contains(char::is_whitespace) && key_meaning(flag.trim_start_matches('-')) == KeyMeaning::Secret;
    let mut found = Vec::new();
    // The client whose flags these are and what its words so far tell, how
    // the next word holds the value of the flag before it, and which word a
    // client's command takes its password in.
    let mut client: Option<ClientWords> = None;
    let mut value_after_flag: Option<FlagValue> = None;
    let mut password_word = None;
    for (index, word) in words.iter().enumerate() {
        let flag = client.as_ref().and_then(|client| password_flag(client, word));
        let value = if password_word == Some(index) {
            Some(0..word.len())
        } else if let Some(value) = value_after_flag.take().filter(|_| !word.starts_with("--")) {
            value.secret_in(word)
        } else if let Some((flag, glued)) = flag
            && (glued.is_empty() || flag.value.secret_in(glued).is_some())
        {
            if glued.is_empty() {
                value_after_flag = Some(flag.value);
            }
            let start = word.len() - glued.len();
            flag.value.secret_in(glued).map(|value| start + value.start..start + value.end)
        } else if let Some(client) = &client
            && let Some(command) = PASSWORD_COMMANDS
                .iter()
                .find(|command| command.clients.contains(&client.name) && word.eq_ignore_ascii_case(command.command))
        {
            password_word = command.password_word(&words[index + 1..]).map(|after| index + 1 + after);
            None
        } else if word.contains('=') {
            assigned_secret(word, names_secret).map(|at| at..word.len())
        } else {
            value_after_flag = (word.starts_with('-') && names_secret(word)).then_some(FlagValue::Password);
            None
        };
        found.extend(value.filter(|value| !value.is_empty()).map(|value| (index, value)));
        let name = word.rsplit('/').next().unwrap_or(word);
        if is_client(name) {
            client = Some(ClientWords::new(name));
        } else if word.ends_with([';', '|', '&']) {
            client = None;
        } else if let Some(client) = &mut client {
            client.read(word);
        }
    }
    found
}

/// A client in a command line, and what its words after its name tell its
/// flags ([`PasswordFlag::subcommand`],
/// [`PasswordFlag::options_end_at_operand`]), read one word at a time: a
/// client's words are read once, however many there are.
struct ClientWords<'w> {
    name: &'w str,
    /// The subcommands of its flags among its words.
    subcommands: Vec<&'static str>,
    /// Whether `getopt` reads an operand among them: a word that is no
    /// option (`-x`, `-xvalue`) and no value of the option before it.
    operand: bool,
    /// Whether the next word is the value of an option that takes one,
    /// alone in its word.
    value_next: bool,
}

impl<'w> ClientWords<'w> {
    fn new(name: &'w str) -> Self {
        ClientWords {
            name,
            subcommands: Vec::new(),
            operand: false,
            value_next: false,
        }
    }

    /// The password flags of this client.
    fn flags(&self) -> impl Iterator<Item = &'static PasswordFlag> + use<'w> {
        let name = self.name;
        PASSWORD_FLAGS.iter().filter(move |flag| flag.clients.contains(&name))
    }

    /// Takes the client's next word into account.
    fn read(&mut self, word: &str) {
        if let Some(subcommand) = self
            .flags()
            .find_map(|flag| flag.subcommand.filter(|subcommand| *subcommand == word))
            && !self.subcommands.contains(&subcommand)
        {
            self.subcommands.push(subcommand);
        }
        let Some(takes_value) = self.flags().find_map(|flag| flag.options_end_at_operand) else {
            return;
        };
        let is_value = std::mem::take(&mut self.value_next);
        match word.strip_prefix('-') {
            Some(letters) if !is_value && !letters.is_empty() => {
                self.value_next = letters.len() == 1 && takes_value.contains(letters);
            }
            _ => self.operand |= !is_value,
        }
    }
}

/// Whether `name` is a program of [`PASSWORD_FLAGS`] or
/// [`PASSWORD_COMMANDS`].
fn is_client(name: &str) -> bool {
    PASSWORD_FLAGS.iter().any(|flag| flag.clients.contains(&name))
        || PASSWORD_COMMANDS.iter().any(|command| command.clients.contains(&name))
}

/// Where the secrets a text assigns are: in its words, read as a shell
/// line ([`secret_arguments`]), and in its lines, read as a configuration
/// file ([`secret_assignment_lines`]). A word that holds blanks once its
/// quotes are gone (`sh -c 'mysql -ppw'`, `-H "Authorization: Basic x"`)
/// is read again as such a text. A value that only refers to a variable is
/// told by how it is written: `-p"$X"` refers to one, `-p"$X"pw` holds a
/// password too, and `-p$(cat /run/secret)` runs a command.
pub fn secrets_in_text(text: &str) -> Vec<Range<usize>> {
    let mut found = secret_assignment_lines(text);
    shell::for_each_command(text, |words| {
        let texts: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
        for (index, value) in password_arguments(&texts) {
            let Some(written) = words[index].written(value.clone()) else {
                continue;
            };
            let substituted = &texts[index][value] == "$" && text[written.end..].starts_with('(');
            if !substituted && !is_variable_reference(&text[written.clone()]) {
                found.push(written);
            }
        }
        // Its quotes gone, such a word is shorter than the text: this ends.
        let quoted_line = |word: &&shell::ShellWord| word.text.contains(char::is_whitespace) && word.text.len() < text.len();
        for word in words.iter().filter(quoted_line) {
            found.extend(secrets_in_text(&word.text).into_iter().filter_map(|range| word.written(range)));
        }
    });
    found
}

/// Where the value of the first assignment in `word` to a key that
/// `names_secret` starts. A key runs back to the word's start or to the
/// `=` or `,` before it: `--set=adminPassword=pw` assigns `adminPassword`.
fn assigned_secret(word: &str, names_secret: impl Fn(&str) -> bool) -> Option<usize> {
    let mut key_start = 0;
    for (at, c) in word.char_indices() {
        match c {
            '=' if names_secret(&word[key_start..at]) => return Some(at + 1),
            '=' | ',' => key_start = at + 1,
            _ => {}
        }
    }
    None
}

/// A client's own flag whose value is a password, which [`key_meaning`]
/// cannot tell from its name.
struct PasswordFlag {
    /// The programs (the basename of the command word) that read it.
    clients: &'static [&'static str],
    /// The flag; empty for the client's operands (`mysqlsh user:pw@host`).
    flag: &'static str,
    /// Whether the value may follow in the flag's word (`-ppw`).
    glued: bool,
    /// Whether the value may be the next word (`-a pw`).
    separate: bool,
    /// The client's short flags that take no value, which may come before
    /// a short `flag` in its word (curl's `-fsSu user:pw`, mysql's `-vppw`).
    clustered_after: &'static str,
    /// The subcommand the flag is one of, which must come before it
    /// (`bench worker -p pw`; `bench start -p` names a Procfile).
    subcommand: Option<&'static str>,
    /// For a client whose options end at its first operand (sshpass, whose
    /// operand is the program it runs: `sshpass -p pw ssh -p 22 host`), its
    /// short flags that take a value, which tell an option's value from an
    /// operand.
    options_end_at_operand: Option<&'static str>,
    value: FlagValue,
}

/// What most flags are: a password glued to the flag or not, in any
/// command of its client.
const PASSWORD: PasswordFlag = PasswordFlag {
    clients: &[],
    flag: "",
    glued: true,
    separate: true,
    clustered_after: "",
    subcommand: None,
    options_end_at_operand: None,
    value: FlagValue::Password,
};

/// What a flag's value is.
#[derive(Debug, Clone, Copy)]
enum FlagValue {
    /// A password.
    Password,
    /// `user:password`: secret after the first `:`; a user name alone
    /// holds none (the client then asks for the password).
    UserAndPassword,
    /// `[scheme://][user[:password]@]host`: secret between the first `:`
    /// and the last `@`.
    UserInfo,
}

impl FlagValue {
    /// Where in `value` the secret is, if it holds one.
    fn secret_in(self, value: &str) -> Option<Range<usize>> {
        match self {
            FlagValue::Password => Some(0..value.len()),
            FlagValue::UserAndPassword => value.find(':').map(|colon| colon + 1..value.len()),
            FlagValue::UserInfo => {
                let at = value.rfind('@')?;
                let user_start = value.find("://").map_or(0, |scheme| scheme + 3);
                let colon = user_start + value.get(user_start..at)?.find(':')?;
                Some(colon + 1..at)
            }
        }
    }
}

/// A MySQL or MariaDB client (under each name) and its short flags that
/// take no value. `my_getopt` reads a word of short flags letter by letter
/// until one takes a value, which is the rest of the word (`-vppw`: `-v`,
/// then `-p` with `pw`). The letters are those `--help` lists without a
/// value in MariaDB 10.11 (Debian's `mariadb-client`), each tool its own.
const fn mysql_client(clients: &'static [&'static str], clustered_after: &'static str) -> PasswordFlag {
    PasswordFlag {
        clients,
        flag: "-p",
        separate: false,
        clustered_after,
        ..PASSWORD
    }
}

/// Client flags that take a password, as each client parses them.
/// - MySQL's and MariaDB's `-p[password]` (`my_getopt`, `OPT_ARG`): the
///   password only in the same word; `-p` alone asks for one, and the
///   next word is the database (`mysql -p 3306` names one). Their
///   `--password=pw` is found by its name.
/// - MySQL Shell's `-p[password]` (in its word only; `--password pw` asks
///   for one and `pw` is read as the URI), the URI it connects to
///   (`[scheme://]user:pw@host`, an operand or `--uri`) and `--ssh`'s
///   (`mysqlsh`'s `shell_options.cc`). Its `--password=pw`,
///   `--dbpassword=pw` and `--password1=pw` to `--password3=pw` are found
///   by their names.
/// - `redis-cli -a <password>`: the next word only (`-a` must be the whole
///   word). Its `--pass` is found by its name.
/// - curl's `-u, --user <user:password>` and `-U, --proxy-user`, split at
///   the first `:`; a short flag's value may follow in its word
///   (`-uuser:pw`), and short flags that take no value may come before it
///   there (`-fsSu user:pw`; curl's `tool_getparam.c`). A long flag's value
///   is the next word only: curl has no `--user=…`.
/// - sshpass's `-p <password>` (`getopt`, `"+f:d:p:P:heVv"`: in its word or
///   the next, after `-h`, `-e`, `-V`, `-v` in its word, and never after
///   the program it runs).
/// - Frappe's `bench worker -p <password>` (`--rq-password`, found by its
///   name too; `frappe/commands/scheduler.py`).
const PASSWORD_FLAGS: &[PasswordFlag] = &[
    mysql_client(&["mysql", "mariadb"], "ABCEGHILNTUVXbcfinoqrstvw"),
    mysql_client(&["mysqldump", "mariadb-dump"], "ABCEFHKNQRVXYacdefilnqtvxy"),
    mysql_client(&["mysqladmin", "mariadb-admin"], "CEVbflrsv"),
    mysql_client(&["mysqlcheck", "mariadb-check"], "1ABCFVZacefgmoqrsv"),
    mysql_client(&["mysqlimport", "mariadb-import"], "CLVdfiklrsv"),
    mysql_client(&["mysqlshow", "mariadb-show"], "CViktv"),
    mysql_client(&["mysqlslap", "mariadb-slap"], "CTVasv"),
    mysql_client(&["mysqlbinlog", "mariadb-binlog"], "BDFHRVcfstv"),
    PasswordFlag {
        clients: &["mysqlsh"],
        flag: "-p",
        separate: false,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["mysqlsh"],
        flag: "",
        separate: false,
        value: FlagValue::UserInfo,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["mysqlsh"],
        flag: "--uri",
        value: FlagValue::UserInfo,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["mysqlsh"],
        flag: "--ssh",
        value: FlagValue::UserInfo,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["redis-cli"],
        flag: "-a",
        glued: false,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["curl"],
        flag: "-u",
        clustered_after: CURL_FLAGS_WITHOUT_VALUE,
        value: FlagValue::UserAndPassword,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["curl"],
        flag: "--user",
        glued: false,
        value: FlagValue::UserAndPassword,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["curl"],
        flag: "-U",
        clustered_after: CURL_FLAGS_WITHOUT_VALUE,
        value: FlagValue::UserAndPassword,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["curl"],
        flag: "--proxy-user",
        glued: false,
        value: FlagValue::UserAndPassword,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["sshpass"],
        flag: "-p",
        clustered_after: "heVv",
        options_end_at_operand: Some("fdpP"),
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["bench"],
        flag: "-p",
        subcommand: Some("worker"),
        ..PASSWORD
    },
];

/// curl's short flags that take no value (`ARG_NONE` and `ARG_BOOL` in
/// `aliases[]` of curl's `src/tool_getparam.c`: `-f`, `-s`, `-S`, `-L`,
/// `-k`, `-v`, `-:` for `--next`, ...).
const CURL_FLAGS_WITHOUT_VALUE: &str = "#012346:BGIJLMNORSVZafgijklnpqsv";

/// The password flag of `client` that `word` is or starts, and what
/// follows the flag in the word.
fn password_flag<'w>(client: &ClientWords, word: &'w str) -> Option<(&'static PasswordFlag, &'w str)> {
    client
        .flags()
        .filter(|flag| flag.subcommand.is_none_or(|subcommand| client.subcommands.contains(&subcommand)))
        .filter(|flag| flag.options_end_at_operand.is_none() || !client.operand)
        .find_map(|flag| {
            if flag.flag.is_empty() {
                // An operand.
                return (!word.starts_with('-')).then_some((flag, word));
            }
            let glued = word.strip_prefix(flag.flag).or_else(|| {
                // `-fsSu`: the flag's letter after others that take no value.
                let letter = flag.flag.strip_prefix('-').filter(|letter| letter.len() == 1)?;
                let cluster = word.strip_prefix('-')?;
                let at = cluster.find(letter)?;
                (at > 0 && cluster[..at].chars().all(|c| flag.clustered_after.contains(c))).then(|| &cluster[at + 1..])
            })?;
            let takes = if glued.is_empty() { flag.separate } else { flag.glued };
            takes.then_some((flag, glued))
        })
}

/// A client's command whose argument is a password.
struct PasswordCommand {
    /// The programs (the basename of the command word) that run it.
    clients: &'static [&'static str],
    /// Its name, in any case.
    command: &'static str,
    /// Which of its arguments (counted from 0) the password is: the last
    /// one given of those up to `arguments.end()`, given that it is at
    /// least `arguments.start()` (`AUTH [username] password`).
    arguments: std::ops::RangeInclusive<usize>,
    /// Whether the words that start with `-` between them are options of
    /// the command, not arguments.
    skips_options: bool,
    /// Whether its first argument is a key whose value the password is,
    /// and only when the key names a secret (`set-config db_password pw`).
    keyed: bool,
}

impl PasswordCommand {
    /// Which of `after`, the words after the command's name in its command
    /// line, holds the password.
    fn password_word(&self, after: &[&str]) -> Option<usize> {
        let arguments: Vec<usize> = after
            .iter()
            .enumerate()
            .filter(|(_, word)| !(self.skips_options && word.starts_with('-')))
            .map(|(index, _)| index)
            .take(self.arguments.end() + 1)
            .collect();
        if self.keyed && arguments.first().is_none_or(|&key| key_meaning(after[key]) != KeyMeaning::Secret) {
            return None;
        }
        let last = arguments.len().checked_sub(1)?;
        (last >= *self.arguments.start()).then(|| arguments[last])
    }
}

/// Client commands that take a password as an argument:
/// - Redis's `AUTH [username] password` (`src/commands/auth.json`), which
///   redis-cli sends as its words after its options give it; and
///   `HELLO 3 AUTH username password`, read the same.
/// - Frappe's `bench set-password USER [PASSWORD]` and `bench
///   set-admin-password [ADMIN_PASSWORD]`, click commands whose only
///   option, `--logout-all-sessions`, may come anywhere among them
///   (`frappe/commands/site.py`, v15 and v16).
/// - Frappe's `bench set-config KEY VALUE`, when the key names a secret
///   (`db_password`, `redis_password`, `encryption_key`): a click command
///   whose options `-g`/`--global`, `-p`/`--parse` and `--as-dict` take no
///   value (`frappe/commands/utils.py`).
const PASSWORD_COMMANDS: &[PasswordCommand] = &[
    PasswordCommand {
        clients: &["redis-cli"],
        command: "auth",
        arguments: 0..=1,
        skips_options: false,
        keyed: false,
    },
    PasswordCommand {
        clients: &["bench"],
        command: "set-password",
        arguments: 1..=1,
        skips_options: true,
        keyed: false,
    },
    PasswordCommand {
        clients: &["bench"],
        command: "set-admin-password",
        arguments: 0..=0,
        skips_options: true,
        keyed: false,
    },
    PasswordCommand {
        clients: &["bench"],
        command: "set-config",
        arguments: 1..=1,
        skips_options: true,
        keyed: true,
    },
];

/// The values that the lines of a text assign to secret keys, as
/// configuration files write them: `password = pw` (an INI file, such as
/// MySQL's `[client]` section), `password: pw`, `DB_PASSWORD=pw` (an env
/// file); from after the first `=` or `:` to the end of the line. A key is
/// one word of letters, digits, `_`, `-` and `.` (a list's `- ` and quotes
/// aside): a line with blanks before its `=` is prose or a command, whose
/// words [`secret_arguments`] reads. Anywhere in a line, the fields
/// [`secret_fields_in_line`] finds: JSON, a flow mapping, code, XML.
/// A value that only refers to a variable holds none.
pub fn secret_assignment_lines(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for (start, line) in lines(text) {
        let line = line.trim_end();
        if line.contains(['"', '\'', '{', '<']) {
            found.extend(
                secret_fields_in_line(line)
                    .into_iter()
                    .map(|field| start + field.start..start + field.end),
            );
        }
        let Some(separator) = line.find(['=', ':']) else {
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

/// The values of the secret fields written anywhere in `line`, whatever
/// precedes them (`LOG_CONFIG={"password": "pw"}`, one JSON object of many
/// lines of them):
/// - a quoted key, then `:`, `=>` or `=`, then its value: JSON, a Python
///   dict, PHP's `'password' => 'pw'`;
/// - a plain key after a flow mapping's `{` or `,`, then `: `
///   (`creds: {password: pw, host: db}`), whose value may be a flow
///   sequence or mapping (`{tokens: [a, b]}`); or after `{`, `,` or `(`,
///   then `=>` (Perl's `(user => 'u', password => 'pw')`);
/// - an XML element's text, `<password>pw</password>`.
///
/// A quoted value is masked inside its quotes; an empty one, `null`,
/// `true` or `false` and a reference to a variable hold none.
fn secret_fields_in_line(line: &str) -> Vec<Range<usize>> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    // Each search reads the line at most once: a quote that closes (of
    // `"`, of `'`) or a `>` not found is not looked for again, and the end
    // tags are found once, when an element is first looked at. (Each `"` of
    // `\"\"\"…`, and each `<password` of a long line, read the rest of it.)
    let mut unclosed_quotes = [false; 2];
    let mut no_tag_end = false;
    let mut tags: Option<HashMap<&str, Vec<usize>>> = None;
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
                // `<password>pw</password>`, its attributes aside.
                let after_name = &line[start + length..];
                let element = if length > 0 && after_name.starts_with(['>', ' ']) && !no_tag_end && key_meaning(name) == KeyMeaning::Secret
                {
                    let open = after_name.find('>').map(|open| start + length + open + 1);
                    no_tag_end = open.is_none();
                    let tags = tags.get_or_insert_with(|| end_tags(line));
                    open.filter(|open| !line[..*open].ends_with("/>")).and_then(|open| {
                        let closes = tags.get(name)?;
                        let close = closes.get(closes.partition_point(|close| *close < open))?;
                        Some((open, *close))
                    })
                } else {
                    None
                };
                if let Some((open, close)) = element {
                    if !is_variable_reference(line[open..close].trim()) {
                        found.push(open..close);
                    }
                    at = close;
                    continue;
                }
                None
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
        match value_at {
            Some(value_at) if key_meaning(&line[key]) == KeyMeaning::Secret => {
                let (value, value_end) = field_value(line, value_at);
                if holds_secret(&line[value.clone()]) {
                    found.push(value);
                }
                at = value_end.max(key_end);
            }
            Some(_) => at = key_end.max(at + 1),
            // A quoted text that is no key may hold fields itself:
            // `CFG='{"token":"pw"}'`.
            None => at += 1,
        }
    }
    found
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
fn is_variable_reference(value: &str) -> bool {
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
fn after_first_separator(text: &str) -> Option<&str> {
    let start = text.len() - text.trim_start().len();
    let (at, separator) = text[start..]
        .char_indices()
        .find(|(_, c)| matches!(c, '=' | ':') || c.is_whitespace())?;
    Some(&text[start + at + separator.len_utf8()..])
}

/// What an input's name (a path as given) holds that is secret: the
/// credentials of a URL (or of `user:password@host:path`), and the value of
/// a name that reads as an assignment to a secret key (`dbRootPassword=…`
/// given where a file was expected, its `--set` forgotten).
pub(super) fn in_name(name: &str) -> Vec<Range<usize>> {
    let mut ranges = url_credentials(name);
    // The whole name (`dbRootPassword=a/b`), and its last path segment
    // (`../dbRootPassword=pw`).
    let last_segment = name.rfind('/').map_or(0, |slash| slash + 1);
    for part in [name, &name[last_segment..]] {
        if let Some(value) = after_first_separator(part)
            && !value.is_empty()
        {
            let key = &part[..part.len() - value.len()];
            if !key.contains('/') && names_a_secret(key) {
                ranges.push(name.len() - value.len()..name.len());
            }
        }
    }
    // `user:password@host:path`, as scp and git write a remote file.
    if !name.contains("://")
        && let Some(at) = name.find('@')
        && let Some(colon) = name[..at].find(':')
        && !name[..colon].contains('/')
        && colon + 1 < at
    {
        ranges.push(colon + 1..at);
    }
    ranges
}

/// A key path typed on the command line (`explain`'s KEY) as it may be
/// printed and looked up: typed where a `--set` path is, it may carry the
/// assignment meant for one (`dbRootPassword=…`), masked as a `--set`
/// argument that does not parse is, and a URL's credentials.
pub fn masked_key_path(text: &str) -> Cow<'_, str> {
    let ranges = FileSecrets::unparsed_set_argument(text).ranges;
    masked(text, ranges.into_iter().chain(url_credentials(text)).collect())
}

/// The name of an input no [`Sources`] registers (`diff --against`,
/// `takeover --from-helm`) as it may be printed: masked as the name of a
/// values file is ([`in_name`]).
pub fn masked_name(name: &str) -> Cow<'_, str> {
    masked(name, in_name(name))
}

/// `text` with `ranges` masked, borrowed when there are none.
fn masked(text: &str, ranges: Vec<Range<usize>>) -> Cow<'_, str> {
    if ranges.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(apply(text, &merge(ranges)))
    }
}

/// Where a text ends inside a URL's authority (after `://`, before any
/// blank or quote): the range after the `://`. A text cut short, at the
/// first byte of a file that is not UTF-8, may end in a password whose `@`
/// was never read.
pub(crate) fn unfinished_url(text: &str) -> Option<Range<usize>> {
    let start = text.rfind("://")? + 3;
    let rest = &text[start..];
    (!rest.is_empty() && !rest.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`'))).then_some(start..text.len())
}

/// The scalars of the `value` of every env var `{name: DB_PASSWORD, value:
/// …}` of the merged values whose name names a secret (each scalar of a
/// list or mapping written there, too), wherever the two were written: the
/// loader's walk finds a pair written together in one file; this finds a
/// pair that `--set` assignments (one argument or several) or different
/// files give.
pub(crate) fn secret_env_values(root: &Node) -> Vec<(super::Span, &str)> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.value {
            NodeValue::Map(entries) => {
                let entry = |key: &str| entries.iter().find(|e| e.key == key).map(|e| &e.value);
                if let (Some(name), Some(value)) = (entry("name"), entry("value"))
                    && let NodeValue::Scalar(name) = &name.value
                    && key_meaning(&name.text) == KeyMeaning::Secret
                {
                    let mut inside = vec![value];
                    while let Some(node) = inside.pop() {
                        match &node.value {
                            NodeValue::Scalar(scalar) if !scalar.text.is_empty() => found.push((node.span, scalar.text.as_str())),
                            NodeValue::Seq(items) => inside.extend(items),
                            NodeValue::Map(entries) => inside.extend(entries.iter().map(|e| &e.value)),
                            _ => {}
                        }
                    }
                }
                stack.extend(entries.iter().map(|e| &e.value));
            }
            NodeValue::Seq(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

/// The secret values of the `command` and `args` of every mapping of the
/// merged values that has both (a container's, `jobs.configure`'s), read
/// as one command line ([`secret_arguments`]): each word's node, its text
/// and where in it the value is. The loader's walk finds a pair written
/// together in one file; this finds a pair that different files or
/// `--set` assignments give (`command: [mysql]` in one, `args: [-ppw]` in
/// another).
pub(crate) fn secret_command_line_values(root: &Node) -> Vec<(super::Span, &str, Range<usize>)> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.value {
            NodeValue::Map(entries) => {
                let list = |key: &str| match entries.iter().find(|e| e.key == key).map(|e| &e.value.value) {
                    Some(NodeValue::Seq(items)) => Some(items),
                    _ => None,
                };
                if let (Some(command), Some(args)) = (list("command"), list("args")) {
                    let items: Vec<&Node> = command.iter().chain(args).collect();
                    let words: Vec<&str> = items
                        .iter()
                        .map(|item| match &item.value {
                            NodeValue::Scalar(scalar) => scalar.text.as_str(),
                            _ => "",
                        })
                        .collect();
                    for (index, value) in secret_arguments(&words) {
                        found.push((items[index].span, words[index], value));
                    }
                }
                stack.extend(entries.iter().map(|e| &e.value));
            }
            NodeValue::Seq(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

/// Whether a value assigned at `path` (by `--set` and its siblings) is
/// secret: the nearest key that says anything decides, as in YAML.
pub fn path_is_secret<'a>(path: impl IntoIterator<Item = &'a Segment>) -> bool {
    path.into_iter().fold(false, |inherited, segment| match segment {
        Segment::Key(key) => secret_under(key, inherited),
        Segment::Index(_) => inherited,
    })
}

/// Whether a value under `key` is secret, in a collection whose own keys
/// make it secret (`inherited`) or not: the nearest key that says anything
/// decides.
fn secret_under(key: &str, inherited: bool) -> bool {
    match key_meaning(key) {
        KeyMeaning::Secret => true,
        KeyMeaning::Reference => false,
        KeyMeaning::Neutral => inherited,
    }
}

/// One open collection while walking a YAML text's events. Keys and values
/// are kept as the parser gives them, borrowed from the text `'t` unless
/// they had to be unescaped, so that walking a text copies little of it.
struct Frame<'t> {
    /// Whether the keys above make every value in here secret.
    secret: bool,
    /// The collection's anchor, and where its scalars start in `scalars`.
    anchor: usize,
    first_scalar: usize,
    /// For a mapping, the key whose value comes next (`None` while a key is
    /// expected) and where it ends.
    map: Option<(Option<Cow<'t, str>>, usize)>,
    /// `name: …` and the scalars (indices into `scalars`) of `value: …` in
    /// this mapping: an env var whose name names a secret has a secret
    /// value, whole, should it be a list or a mapping.
    env_name: Option<Cow<'t, str>>,
    env_value: Option<Range<usize>>,
    /// This collection is the `value: …` of the mapping above.
    is_env_value: bool,
    /// For a sequence, its items (indices into `scalars`; `None` for a
    /// collection): the words of a command (`args: [-p, pw]`).
    items: Vec<Option<usize>>,
    /// This sequence is the `command: …` (0) or `args: …` (1) of the
    /// mapping above.
    command_part: Option<usize>,
    /// For a mapping, the items of its `command` and `args` sequences: a
    /// container runs them as one command line (`command: [mysql]`,
    /// `args: [-ppw]`).
    command_line: [Option<Vec<Option<usize>>>; 2],
}

impl Frame<'_> {
    fn open(map: bool, secret: bool, anchor: usize, first_scalar: usize) -> Self {
        Frame {
            secret,
            anchor,
            first_scalar,
            map: map.then_some((None, 0)),
            env_name: None,
            env_value: None,
            is_env_value: false,
            items: Vec::new(),
            command_part: None,
            command_line: [None, None],
        }
    }
}

/// A value scalar seen in the walk.
struct SeenScalar<'t> {
    range: Range<usize>,
    value: Cow<'t, str>,
    secret: bool,
    /// For a mapping's value with a tag or an anchor, where its key ends:
    /// the value as written starts at them.
    key_end: Option<usize>,
}

impl SeenScalar<'_> {
    /// Where the value starts in YAML text `text`, when it is written there
    /// as it reads (plain, or quoted without escapes).
    fn written_as_read(&self, text: &str) -> Option<usize> {
        let written = &text[self.range.clone()];
        let quote = usize::from(written.starts_with(['"', '\'']));
        (written.get(quote..written.len() - quote) == Some(&*self.value)).then_some(self.range.start + quote)
    }
}

/// A walk over a YAML text's events that records every value under a
/// secret key, with its location. The loader feeds it the events of its own
/// parse ([`YamlWalk::event`]), and [`YamlWalk::finish`] gives what it found.
#[derive(Default)]
pub(crate) struct YamlWalk<'t> {
    stack: Vec<Frame<'t>>,
    scalars: Vec<SeenScalar<'t>>,
    /// The scalars (indices into `scalars`) of each anchored node.
    anchors: HashMap<usize, Range<usize>>,
    /// The text of each anchored key, for an alias used as a key.
    anchored_keys: HashMap<usize, Cow<'t, str>>,
    /// Where the last event ended.
    last_end: usize,
    /// The secret values of sequences read as commands: the scalar, and
    /// where in it the value is ([`secret_arguments`]).
    arguments: Vec<(usize, Range<usize>)>,
}

impl<'t> YamlWalk<'t> {
    /// The next event of the parse, written at `range` of the text.
    pub(crate) fn event(&mut self, event: &Event<'t>, range: Range<usize>) {
        self.last_end = self.last_end.max(range.end);
        let (map, anchor) = match event {
            Event::MappingEnd | Event::SequenceEnd => return self.close(),
            Event::MappingStart(_, anchor, _) => (true, *anchor),
            Event::SequenceStart(_, anchor, _) => (false, *anchor),
            Event::Scalar(..) | Event::Alias(_) => (false, 0),
            _ => return,
        };
        let opens = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
        let first_scalar = self.scalars.len();
        // A key: remember it; what follows is its value.
        if let Some(frame) = self.stack.last_mut()
            && let Some((key @ None, key_end)) = &mut frame.map
        {
            *key = Some(match event {
                Event::Scalar(text, _, anchor, _) => {
                    if *anchor != 0 {
                        self.anchored_keys.insert(*anchor, text.clone());
                    }
                    text.clone()
                }
                // `*k : value` is under the key (or value) anchored `&k`.
                Event::Alias(id) => match (self.anchored_keys.get(id), self.anchors.get(id)) {
                    (Some(key), _) => key.clone(),
                    (None, Some(anchored)) if anchored.len() == 1 => self.scalars[anchored.start].value.clone(),
                    _ => Cow::Borrowed(""),
                },
                _ => Cow::Borrowed(""),
            });
            *key_end = range.end;
            if opens {
                self.stack.push(Frame::open(map, false, 0, first_scalar));
            }
            return;
        }
        let (secret, key) = match self.stack.last_mut() {
            None => (false, None),
            Some(frame) => match frame.map.as_mut() {
                None => {
                    // A sequence's item: a word, if it is a scalar the walk
                    // keeps (below).
                    let word = matches!(event, Event::Scalar(value, style, ..) if !is_null(value, *style));
                    frame.items.push(word.then_some(first_scalar));
                    (frame.secret, None)
                }
                Some((key, _)) => {
                    let key = key.take().unwrap_or_default();
                    (secret_under(&key, frame.secret), Some(key))
                }
            },
        };
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let null = is_null(value, *style);
                // A secret that starts with `!` or `&` reads as a tag or an
                // anchor: the value's range starts after it, the mask before.
                let has_properties = *anchor != 0 || tag.is_some();
                let mut key_end = None;
                if let Some(frame) = self.stack.last_mut() {
                    match key.as_deref() {
                        Some("name") => frame.env_name = Some(value.clone()),
                        Some("value") if !null => frame.env_value = Some(first_scalar..first_scalar + 1),
                        _ => {}
                    }
                    if has_properties
                        && secret
                        && let Some((_, end)) = frame.map
                    {
                        key_end = Some(end);
                    }
                }
                if !null || key_end.is_some() {
                    self.scalars.push(SeenScalar {
                        range,
                        value: value.clone(),
                        secret,
                        key_end,
                    });
                }
                if *anchor != 0 {
                    self.anchors.insert(*anchor, first_scalar..self.scalars.len());
                }
            }
            Event::Alias(id) => {
                if secret && let Some(anchored) = self.anchors.get(id) {
                    for seen in &mut self.scalars[anchored.clone()] {
                        seen.secret = true;
                    }
                }
            }
            _ => self.stack.push(Frame {
                is_env_value: key.as_deref() == Some("value"),
                command_part: ["command", "args"].iter().position(|part| key.as_deref() == Some(part)),
                ..Frame::open(map, secret, anchor, first_scalar)
            }),
        }
    }

    fn close(&mut self) {
        let Some(mut frame) = self.stack.pop() else { return };
        self.read_command(&frame.items);
        if let [Some(command), Some(args)] = &frame.command_line {
            self.read_command(&[&command[..], &args[..]].concat());
        }
        if let Some(part) = frame.command_part
            && let Some(above) = self.stack.last_mut()
        {
            above.command_line[part] = Some(std::mem::take(&mut frame.items));
        }
        if let (Some(name), Some(value)) = (&frame.env_name, frame.env_value)
            && key_meaning(name) == KeyMeaning::Secret
        {
            self.scalars[value].iter_mut().for_each(|seen| seen.secret = true);
        }
        if frame.is_env_value
            && let Some(above) = self.stack.last_mut()
        {
            above.env_value = Some(frame.first_scalar..self.scalars.len());
        }
        if frame.anchor != 0 {
            self.anchors.insert(frame.anchor, frame.first_scalar..self.scalars.len());
        }
    }

    /// The secret values of `items`, a sequence's, read as the words of a
    /// command.
    fn read_command(&mut self, items: &[Option<usize>]) {
        if items.iter().flatten().next().is_none() {
            return;
        }
        let words: Vec<&str> = items
            .iter()
            .map(|item| item.map_or("", |scalar| &*self.scalars[scalar].value))
            .collect();
        for (index, value) in secret_arguments(&words) {
            self.arguments.extend(items[index].map(|scalar| (scalar, value)));
        }
    }

    /// What the walk over the events of `text` found. `broken`: the parse
    /// ended in an error after the last event given; when the error comes
    /// where a secret value was expected, the rest of the text is masked.
    pub(crate) fn finish(mut self, text: &str, broken: bool) -> FileSecrets {
        let mut found = FileSecrets::default();
        if broken {
            if let Some(from) = self.secret_from(text) {
                found.ranges.push(from..text.len());
                found.text(&text[from..]);
            }
            // The collections the error left open: an env var's `value`
            // seen before it is secret by its `name` all the same.
            while !self.stack.is_empty() {
                self.close();
            }
            for range in secrets_by_line(text) {
                found.text(&text[range.clone()]);
                found.ranges.push(range);
            }
        }
        for (scalar, value) in &self.arguments {
            let seen = &self.scalars[*scalar];
            found.part_of_value(&seen.value, value.clone(), seen.written_as_read(text));
        }
        for seen in &self.scalars {
            if !seen.secret && seen.value.contains(['=', ':']) {
                // `createSite: "adminPassword=pw"`, `--db-password=pw` in
                // a command: a value that assigns a secret itself.
                found.assigned_in_words(&seen.value, false);
            }
            if !seen.secret && (seen.value.contains(char::is_whitespace) || seen.value.contains(['"', '\'', '<'])) {
                // `sh -c "mysql -ppw"`, a configuration file's
                // `password = pw` line, `LOG={"password":"pw"}`, as `diff`
                // reads them.
                found.in_value_text(&seen.value, seen.written_as_read(text));
            }
            if seen.secret {
                let start = seen
                    .key_end
                    .map_or(seen.range.start, |key_end| value_start(text, key_end).min(seen.range.start));
                found.add_value(text, start..seen.range.end.max(start), &seen.value);
            }
            for credential in url_credentials_of_value(&seen.value) {
                found.credential(&seen.value, credential, text, seen.range.clone());
            }
        }
        found
    }

    /// Where the rest of a text that broke off here must be masked from:
    /// where a secret value was expected, if one was.
    fn secret_from(&self, text: &str) -> Option<usize> {
        let frame = self.stack.last()?;
        let (secret, from) = match &frame.map {
            Some((Some(key), key_end)) => (secret_under(key, frame.secret), value_start(text, *key_end)),
            _ => (frame.secret, self.last_end),
        };
        (secret && from < text.len()).then_some(from)
    }
}

/// Whether a scalar is YAML's null.
fn is_null(value: &str, style: ScalarStyle) -> bool {
    style == ScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

/// The secret values of a YAML text that does not parse, read line by line.
///
/// A parse stops at its first error, so the walk sees nothing of the lines
/// after it, nor of lines an unclosed quote or bracket swallowed; yet the
/// error quotes one of them, and the user's next edit may quote others. So a
/// broken text is also read as lines (ended by LF, CRLF or CR, as YAML ends
/// them): a line's key (plain or quoted, after any `- `, and each key after a
/// `{`, `[` or `,` on it) decides as in [`secret_under`], and so does an env
/// var's secret `name` for the `value` beside it; a secret value is masked to
/// the end of its line, and every line indented under a secret key (comments
/// too) is masked whole. This masks more than the walk would, never less:
/// only texts that already failed are read this way.
fn secrets_by_line(text: &str) -> Vec<Range<usize>> {
    /// A key whose value may go on below its line.
    struct Open {
        column: usize,
        /// Whether values under it are secret.
        secret: bool,
        /// Whether its line holds no value, so that a block follows (a
        /// sequence may start at the key's own column).
        nested: bool,
    }
    let mut ranges = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    // The column of the keys of a mapping whose `name` names a secret, and
    // whether the last line with a key was that `name` (wherever a tab
    // put it).
    let mut secret_env_name: Option<usize> = None;
    let mut after_secret_name = false;
    for (start, body) in lines(text) {
        let content = body.trim_start_matches([' ', '\t']);
        let mut column = body.len() - content.len();
        let shown_len = content.trim_end().len();
        if content.trim().is_empty() {
            continue;
        }
        let is_item = content
            .strip_prefix('-')
            .is_some_and(|after| after.is_empty() || after.starts_with([' ', '\t']));
        let under_secret = |open: &[Open]| open.iter().rev().find(|o| o.column < column).is_some_and(|o| o.secret);
        if content.starts_with('#') {
            // A comment leaves the structure as it is.
            if under_secret(&open) {
                ranges.push(start + column..start + column + shown_len);
            }
            continue;
        }
        while open
            .last()
            .is_some_and(|o| o.column > column || (o.column == column && !(is_item && o.nested)))
        {
            open.pop();
        }
        if open.last().is_some_and(|o| o.secret) {
            ranges.push(start + column..start + column + shown_len);
            continue;
        }
        let mut rest = content;
        while let Some(after) = rest
            .strip_prefix('-')
            .filter(|after| after.is_empty() || after.starts_with([' ', '\t']))
        {
            let item = after.trim_start_matches([' ', '\t']);
            column += rest.len() - item.len();
            rest = item;
            secret_env_name = None;
        }
        if secret_env_name.is_some_and(|env_column| column < env_column) {
            secret_env_name = None;
        }
        let rest = &rest[..rest.trim_end().len()];
        let keys = keys_on_line(rest);
        let starts_with_key = key_at(rest).is_some();
        let mut mask_from = None;
        // `{name: DB_PASSWORD, value: …}` on this line.
        let mut flow_env_secret = false;
        let after_name = std::mem::take(&mut after_secret_name) && starts_with_key;
        for (index, (key, value_start)) in keys.iter().enumerate() {
            let at_line_start = index == 0 && starts_with_key;
            let value = &rest[*value_start..];
            let secret = key_meaning(key) == KeyMeaning::Secret
                || (key == "value" && (flow_env_secret || (at_line_start && (after_name || secret_env_name == Some(column)))));
            if key == "name" {
                let name = value
                    .split([',', '}', ']', '#'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['"', '\'']);
                let names_secret = key_meaning(name) == KeyMeaning::Secret;
                flow_env_secret |= names_secret;
                if at_line_start && names_secret {
                    secret_env_name = Some(column);
                    after_secret_name = true;
                }
            }
            if at_line_start {
                let nested = value.is_empty() || value.starts_with('#');
                open.push(Open { column, secret, nested });
            }
            if secret {
                mask_from = Some(*value_start);
                break;
            }
        }
        if let Some(from) = mask_from {
            let value = &rest[from..];
            if !value.is_empty() && !value.starts_with('#') {
                let from = start + column + from;
                ranges.push(from..from + value.len());
            }
        }
    }
    ranges
}

/// The lines of `text` and where each starts, ended by LF, CRLF or CR.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= text.len() {
            return None;
        }
        let start = at;
        let end = text[start..].find(['\r', '\n']).map_or(text.len(), |i| start + i);
        at = end
            + if text[end..].starts_with("\r\n") {
                2
            } else {
                usize::from(end < text.len())
            };
        Some((start, &text[start..end]))
    })
}

/// The keys on one line (without its `- `): the one it starts with, and each
/// that follows a `{`, `[` or `,`, with where its value starts.
fn keys_on_line(line: &str) -> Vec<(Cow<'_, str>, usize)> {
    let mut keys: Vec<(Cow<'_, str>, usize)> = key_at(line).into_iter().collect();
    let mut at = keys.first().map_or(0, |(_, value_start)| *value_start);
    while let Some(found) = line[at..].find(['{', '[', ',']) {
        at += found + 1;
        let after = &line[at..];
        let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
        if let Some((key, value_start)) = key_at(&after[blanks..]) {
            keys.push((key, at + blanks + value_start));
        }
    }
    keys
}

/// The key that `text` starts with, plain or quoted, and where its value
/// starts (after the `:` and its blanks); `None` when `text` starts no key.
fn key_at(text: &str) -> Option<(Cow<'_, str>, usize)> {
    let (key, after_key) = match text.as_bytes().first()? {
        b'"' => {
            let mut escaped = false;
            let end = text[1..].find(|c: char| {
                let ends = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                ends
            })? + 1;
            (Cow::Borrowed(&text[1..end]), end + 1)
        }
        b'\'' => {
            // `''` is a quote inside the key.
            let mut from = 1;
            let end = loop {
                let quote = text[from..].find('\'')? + from;
                if text[quote + 1..].starts_with('\'') {
                    from = quote + 2;
                } else {
                    break quote;
                }
            };
            (Cow::Borrowed(&text[1..end]), end + 1)
        }
        b'{' | b'[' | b'}' | b']' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' => return None,
        _ => {
            let end = text
                .match_indices(':')
                .map(|(at, _)| at)
                .find(|at| text[at + 1..].is_empty() || text[at + 1..].starts_with([' ', '\t']))?;
            let key = &text[..end];
            if key.contains([',', '{', '}', '[', ']']) || key.contains(" #") {
                return None;
            }
            (Cow::Borrowed(key.trim_end()), end)
        }
    };
    let rest = text[after_key..].trim_start_matches([' ', '\t']).strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let value = rest.trim_start_matches([' ', '\t']);
    Some((key, text.len() - value.len()))
}

/// Where the value after a key that ends at `key_end` starts: after the
/// `:` and the blanks.
fn value_start(text: &str, key_end: usize) -> usize {
    let after_key = &text[key_end.min(text.len())..];
    text.len() - after_key.trim_start_matches(|c: char| c == ':' || c.is_whitespace()).len()
}

/// The secrets of a YAML text no loader walked: parsed here, and walked
/// as the loader walks its own parse. A text past the loader's limit is
/// refused before it is parsed; its diagnostic quotes the first line only.
fn yaml(text: &str) -> FileSecrets {
    let mut end = text.len().min(super::MAX_INPUT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    let mut parser = super::yaml_parser(text);
    let mut walk = YamlWalk::default();
    let broken = loop {
        match parser.next_event() {
            Some(Ok((event, span))) => walk.event(&event, event_range(text, &span)),
            Some(Err(_)) => break true,
            None => break false,
        }
    };
    walk.finish(text, broken)
}

/// Where the secrets of a text of several lines are when it is read as
/// YAML (a ConfigMap's `app.yaml`), as a values file is read: under a
/// secret key in a block scalar, a list or a flow mapping, through an
/// alias. A text that is not YAML gives what its lines give. An empty
/// value (`password: ""`) is shown.
pub fn secrets_in_yaml_text(text: &str) -> Vec<Range<usize>> {
    if !text.trim_end().contains('\n') {
        return Vec::new();
    }
    let mut ranges = yaml(text).ranges;
    // `password: ""` says there is none.
    ranges.retain(|range| !text[range.clone()].trim_matches(['"', '\'']).is_empty());
    ranges
}

/// Where an event of the parse of `text` is written, as the walk takes it.
pub(crate) fn event_range(text: &str, span: &granit_parser::Span) -> Range<usize> {
    let offset = |marker: &granit_parser::Marker| marker.byte_offset().unwrap_or(0).min(text.len());
    offset(&span.start)..offset(&span.end)
}

/// Whether `word` is one YAML 1.1 or 1.2 reads as a boolean or null: no
/// password, and words every diagnostic may print.
pub(crate) fn is_flag_word(word: &str) -> bool {
    ["true", "false", "yes", "no", "on", "off", "null", "~", ""]
        .iter()
        .any(|flag| word.eq_ignore_ascii_case(flag))
}

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
fn url_credentials_of_value(value: &str) -> Vec<Range<usize>> {
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

/// Whether `range` of `text` touches no letter or digit on either side.
fn stands_apart(text: &str, range: &Range<usize>) -> bool {
    let before = text[..range.start].chars().next_back();
    let after = text[range.end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Sorts ranges and joins those that overlap or touch.
pub fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// `text` with each of the (merged) `ranges` replaced by [`MASK`].
pub fn apply(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in ranges {
        out.push_str(&text[at..range.start]);
        out.push_str(MASK);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Where byte offset `offset` of `text` lands, in characters, once `ranges`
/// are masked: inside a masked range, at its mask's start (for the start of
/// an underline) or its end (for the end of one).
pub fn masked_column(text: &str, ranges: &[Range<usize>], offset: usize, end: bool) -> usize {
    let mut column = 0;
    let mut at = 0;
    for range in ranges {
        if offset < range.start || (end && offset == range.start) {
            break;
        }
        column += text[at..range.start].chars().count();
        if offset < range.end || (end && offset == range.end) {
            return column + if end { MASK.len() } else { 0 };
        }
        column += MASK.len();
        at = range.end;
    }
    column + text[at..offset].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as diagnostics would quote each of its lines.
    fn shown(text: &str) -> String {
        let mut sources = Sources::default();
        let file = sources.add("values.yaml", text);
        let mut start = 0;
        let mut shown = Vec::new();
        for (number, line) in text.split('\n').enumerate() {
            let span = crate::source::Span {
                file,
                start: start as u32,
                end: start as u32,
                line: number as u32 + 1,
                column: 1,
            };
            shown.push(sources.shown_line(span).text);
            start += line.len() + 1;
        }
        shown.join("\n")
    }

    #[test]
    fn keys_without_a_telling_fragment_say_nothing() {
        let schema = include_str!("../../schema/values.schema.json");
        let mut keys: Vec<&str> = schema
            .split('"')
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
            .collect();
        keys.extend([
            "DB_PASSWORD",
            "apiKey",
            "clientSecret",
            "dbExistingSecret",
            "secretKeyRef",
            "hostname",
            "Passwd",
            "dbRootPasword",
            "adminPaswsord",
            "PGPASSWORD",
            "bypass",
            "crossword",
            "REDIS_AUTH",
            "oauth",
        ]);
        assert!(keys.len() > 500, "{}", keys.len());
        for key in keys {
            assert_eq!(key_meaning(key), meaning_of_words(key), "{key}");
        }
    }

    #[test]
    fn key_meanings() {
        for secret in [
            "dbRootPassword",
            "adminPassword",
            "DB_PASSWORD",
            "redis-pass",
            "apiKey",
            "API_KEY",
            "privateKey",
            "clientSecret",
            "authToken",
            "imagePullSecrets",
            "passwordSecret",
            "password",
            "DBPassword2",
            "REDIS_AUTH",
            "auth",
            "AUTH_TOKEN",
            "redisAuth",
        ] {
            assert_eq!(key_meaning(secret), KeyMeaning::Secret, "{secret}");
        }
        for reference in [
            "dbExistingSecret",
            "dbExistingSecretPasswordKey",
            "adminExistingSecret",
            "adminExistingSecretKey",
            "secretName",
            "secretKeyRef",
            "secretRef",
            "name",
            "key",
        ] {
            assert_eq!(key_meaning(reference), KeyMeaning::Reference, "{reference}");
        }
        for misspelt_or_run_together in [
            "dbrootpassword",
            "DBROOTPASSWORD",
            "PGPASSWORD",
            "SMTPPASSWORD",
            "adminpassword",
            "passwords",
            "dbRootPasword",
            "dbRootPassowrd",
            "dbRootPasswrd",
            "dbRootPassswords",
            "adminPaswsord",
            "mysqlpasswd",
        ] {
            assert_eq!(
                key_meaning(misspelt_or_run_together),
                KeyMeaning::Secret,
                "{misspelt_or_run_together}"
            );
        }
        for neutral in [
            "dbHost",
            "bypass",
            "passthrough",
            "compass",
            "tokenizer",
            "value",
            "keys",
            "monkey",
            "passport",
            "crossword",
            "keyword",
            "swordfish",
            "wordpress",
            "chapAuthSession",
            "authType",
            "author",
            "oauth",
        ] {
            assert_eq!(key_meaning(neutral), KeyMeaning::Neutral, "{neutral}");
        }
    }

    #[test]
    fn masks_values_under_secret_keys_in_every_yaml_shape() {
        let text = "\
dbRootPassword: hunter2
quoted: {adminPassword: \"two words\", dbHost: db}
block:
  token: |
    line one
    line two
dbHost: db.internal
";
        assert_eq!(
            shown(text),
            "\
dbRootPassword: ***
quoted: {adminPassword: ***, dbHost: db}
block:
  token: |
    ***
    ***
dbHost: db.internal
"
        );
    }

    #[test]
    fn masks_aliases_env_vars_lists_and_references_stay() {
        let text = "\
shared: &pw correct-horse
dbRootPassword: *pw
envVars:
  - {name: SMTP_PASSWORD, value: battery-staple}
  - {name: LOG_LEVEL, value: debug}
passwordSecret: {name: redis-auth, key: password}
dbExistingSecret: db-root
tokens: [abc, def]
";
        assert_eq!(
            shown(text),
            "\
shared: &pw ***
dbRootPassword: *pw
envVars:
  - {name: SMTP_PASSWORD, value: ***}
  - {name: LOG_LEVEL, value: debug}
passwordSecret: {name: redis-auth, key: password}
dbExistingSecret: db-root
tokens: [***, ***]
"
        );
    }

    #[test]
    fn masks_a_secret_elsewhere_and_url_userinfo_everywhere() {
        let text = "\
dbRootPassword: correct-horse-battery
# the old one was correct-horse-battery, see `mysql -pcorrect-horse-battery`
cache: redis://default:s3cr@t@cache:6379/0
note: 'see https://user@example.com/x'
";
        assert_eq!(
            shown(text),
            "\
dbRootPassword: ***
# the old one was ***, see `mysql -p***`
cache: redis://***@cache:6379/0
note: 'see https://***@example.com/x'
"
        );
    }

    #[test]
    fn a_short_secret_is_masked_only_where_it_stands_apart() {
        let mut sources = Sources::default();
        sources.add("values.yaml", "dbRootPassword: x\n");
        let secrets = Secrets::find(&sources);
        let message = "expected a number, found `x`";
        assert_eq!(apply(message, &secrets.in_text(message)), "expected a number, found `***`");
    }

    #[test]
    fn a_broken_file_is_masked_from_the_secret_key_on() {
        assert_eq!(shown("a: 1\ndbRootPassword: \"hunter2\nb: 2\n"), "a: 1\ndbRootPassword: ***\n***\n");
        assert_eq!(shown("dbHost: x: y\n"), "dbHost: x: y\n");
    }

    #[test]
    fn a_broken_file_is_also_read_line_by_line() {
        // Lines an unclosed bracket or quote swallowed, and lines after the
        // error, which the parse never reached.
        assert_eq!(
            shown("image: {repository: x\ndbRootPassword: hunter2\n"),
            "image: {repository: x\ndbRootPassword: ***\n"
        );
        assert_eq!(
            shown("image: \"abc\ndbRootPassword: hunter2\n"),
            "image: \"abc\ndbRootPassword: ***\n"
        );
        assert_eq!(
            shown("a: [\n  - {repository: x, 'adminPassword': hunter2}\n\"token\": abc # note\n"),
            "a: [\n  - {repository: x, 'adminPassword': ***\n\"token\": ***\n"
        );
        // Under a secret key, every line is masked; a key's siblings are not.
        assert_eq!(
            shown("a: [\nsecrets:\n  one: hunter2\n  - two\n\n  three\ndbHost: db\ndbExistingSecret: db-root\n"),
            "a: [\nsecrets:\n  ***\n  ***\n\n  ***\ndbHost: db\ndbExistingSecret: db-root\n"
        );
    }

    #[test]
    fn the_line_reading_of_a_broken_file_follows_yaml() {
        // Lines end at CR too; a comment leaves the structure as it was; an
        // env var's secret `name` makes the `value` beside it secret,
        // however it is indented; keys after `[`; `''` inside a quoted key.
        assert_eq!(shown("x: y: z\rdbRootPassword: hunter2\r"), r"x: y: z\rdbRootPassword: ***");
        assert_eq!(
            shown("a: \"b\ndbRootPassword: |\n# rotated\n  hunter2\n"),
            "a: \"b\ndbRootPassword: ***\n# rotated\n  ***\n"
        );
        assert_eq!(
            shown("a: [\nenv:\n  - {name: SMTP_PASSWORD, value: staple}\n  - name: DB_PASSWORD\n\tvalue: hunter2\n"),
            "a: [\nenv:\n  - {name: SMTP_PASSWORD, value: ***\n  - name: DB_PASSWORD\n value: ***\n"
        );
        assert_eq!(shown("a: \"b\nc: [dbRootPassword: hunter2]\n"), "a: \"b\nc: [dbRootPassword: ***\n");
        assert_eq!(shown("a: \"b\n'it''s password': hunter2\n"), "a: \"b\n'it''s password': ***\n");
        assert_eq!(shown("a: \"b\ntokens:\n- hunter2\nb: c\n"), "a: \"b\ntokens:\n***\nb: c\n");
        // Blanks that are not spaces or tabs, under a secret key: no range
        // ends before it starts.
        assert_eq!(
            shown("a: [\nsecrets:\n  \u{a0}\n\u{3000}x: y\n"),
            "a: [\nsecrets:\n  \u{a0}\n\u{3000}***: y\n"
        );
    }

    #[test]
    fn a_secret_read_as_a_tag_or_an_anchor_is_masked_with_them() {
        assert_eq!(shown("dbRootPassword: !hunter2 x\n"), "dbRootPassword: ***\n");
        assert_eq!(shown("dbRootPassword: &hunter2 x\n"), "dbRootPassword: ***\n");
        assert_eq!(shown("a: {dbRootPassword: !hunter2}\n"), "a: {dbRootPassword: ***}\n");
    }

    #[test]
    fn command_line_words_and_names_that_hold_secrets() {
        let args = |line: &str| words_meant_as_secrets(&line.split(' ').map(str::to_owned).collect::<Vec<_>>());
        assert_eq!(args("lint a.yaml --set dbRootPassword hunter2 b.yaml"), ["hunter2"]);
        assert_eq!(args("lint --set=jobs.backup.s3.secretAccessKey hunter2"), ["hunter2"]);
        assert_eq!(args("lint --set-string adminPassword -f x"), Vec::<String>::new());
        assert_eq!(args("lint --set dbRootPassword=x hunter2"), Vec::<String>::new());
        assert_eq!(args("lint --set image.tag v1"), Vec::<String>::new());
        assert_eq!(args("lint -- --set dbRootPassword hunter2"), Vec::<String>::new());

        let masked = |name: &str| apply(name, &merge(in_name(name)));
        assert_eq!(masked("PGPASSWORD=hunter2"), "PGPASSWORD=***");
        assert_eq!(masked("dbRootPasword:hunter2"), "dbRootPasword:***");
        assert_eq!(masked("https://user:hunter2@example.com/v.yaml"), "https://***@example.com/v.yaml");
        assert_eq!(masked("user:hunter2@host:values.yaml"), "user:***@host:values.yaml");
        assert_eq!(masked("/srv/secrets dir/values.yaml"), "/srv/secrets dir/values.yaml");
        assert_eq!(masked("values/production.yaml"), "values/production.yaml");
        assert_eq!(after_first_separator("dbRootPassword\u{a0}hunter2"), Some("hunter2"));
    }

    #[test]
    fn credentials_without_a_scheme_shortened_keys_and_assignments_in_values() {
        assert_eq!(
            shown("cache: \"default:hunter2@cache:6379\"\ndbHost: root:hunter2@db\nmail: admin@example.com\nqueue: redis:/u:hunter2@q\n"),
            "cache: \"***@cache:6379\"\ndbHost: ***@db\nmail: admin@example.com\nqueue: redis:/***@q\n"
        );
        // An image with a registry's port and a digest holds no user-info.
        assert_eq!(
            shown("repository: registry.local:5000/frappe/erpnext@sha256:0123\n"),
            "repository: registry.local:5000/frappe/erpnext@sha256:0123\n"
        );
        assert_eq!(
            shown("dbRootPw: hunter2\nadminPsswd: hunter2\nENCRYPTION_KEY: hunter2\npwaKey: x\n"),
            "dbRootPw: ***\nadminPsswd: ***\nENCRYPTION_KEY: ***\npwaKey: x\n"
        );
        assert_eq!(
            shown("createSite: \"adminPassword=battery-staple\"\ncommand: mysql --password=staple2 db\nnote: the password is rotated\n"),
            "createSite: \"adminPassword=***\"\ncommand: mysql --password=***\nnote: the password is rotated\n"
        );
    }

    #[test]
    fn an_alias_used_as_a_key_is_the_key_it_names() {
        assert_eq!(
            shown("a: {&k dbRootPassword: hunter2}\nb:\n  *k : battery-staple\n"),
            "a: {&k dbRootPassword: ***}\nb:\n  *k : ***\n"
        );
        assert_eq!(
            shown("a: &k adminPassword\nb:\n  *k : battery-staple\n"),
            "a: &k adminPassword\nb:\n  *k : ***\n"
        );
    }

    #[test]
    fn set_arguments() {
        // The `--set` parser records what it finds; an argument that does
        // not parse is masked from its text.
        let mut sources = Sources::default();
        let file = sources.add_set_argument(crate::set::Flag::Set, r"image.tag=v1,jobs.createSite.adminPassword=a\,b");
        crate::set::parse(&sources, file, crate::set::Flag::Set).unwrap();
        let text = &sources.get(file).text;
        let ranges = sources.file_secrets(file).in_line(text, 0..text.len());
        assert_eq!(apply(text, &ranges), "image.tag=v1,jobs.createSite.adminPassword=***");

        let mut sources = Sources::default();
        let file = sources.add_set_argument(crate::set::Flag::Set, "a..b=1,dbRootPassword=hunter2");
        assert!(crate::set::parse(&sources, file, crate::set::Flag::Set).is_err());
        let text = &sources.get(file).text;
        assert_eq!(apply(text, &sources.file_secrets(file).in_line(text, 0..text.len())), "a..b=***");

        let mut sources = Sources::default();
        let file = sources.add_set_argument(crate::set::Flag::Set, "dbRootPassword hunter2");
        assert!(crate::set::parse(&sources, file, crate::set::Flag::Set).is_err());
        let text = &sources.get(file).text;
        assert_eq!(
            apply(text, &sources.file_secrets(file).in_line(text, 0..text.len())),
            "dbRootPassword ***"
        );
    }

    /// Each command line as it is shown once [`secrets_in_text`] masked it.
    fn masked_commands(line: &str) -> String {
        apply(line, &merge(secrets_in_text(line)))
    }

    #[test]
    fn client_commands_grouped_flags_and_uris_hold_passwords() {
        for (line, shown) in [
            (
                "redis-cli -h q AUTH pw1; redis-cli auth user pw2 x",
                "redis-cli -h q AUTH ***; redis-cli auth user *** x",
            ),
            ("redis-cli HELLO 3 AUTH default pw3", "redis-cli HELLO 3 AUTH default ***"),
            (
                "bench --site s set-password --logout-all-sessions Administrator pw4",
                "bench --site s set-password --logout-all-sessions Administrator ***",
            ),
            (
                "bench --site s set-admin-password --logout-all-sessions pw5",
                "bench --site s set-admin-password --logout-all-sessions ***",
            ),
            (
                "bench worker --queue short -p pw6; bench start -p Procfile",
                "bench worker --queue short -p ***; bench start -p Procfile",
            ),
            (
                "mysql -vBppw7 db; mysql -Dpdb -hpostgres -p 3306",
                "mysql -vBp*** db; mysql -Dpdb -hpostgres -p 3306",
            ),
            (
                "mariadb-dump -cepw8 db; mysqladmin -vDppw db",
                "mariadb-dump -cep*** db; mysqladmin -vDppw db",
            ),
            (
                "mysqlsh -ppw9 root:pw10@db --uri=r:pw11@db --password1=pw12",
                "mysqlsh -p*** root:***@db --uri=r:***@db --password1=***",
            ),
            (
                "sshpass -ppw13 ssh -p 22 h; sshpass -vp pw14 scp -P 22 a b",
                "sshpass -p*** ssh -p 22 h; sshpass -vp *** scp -P 22 a b",
            ),
            ("curl -:u u:pw15 x; curl -5u u:pw16 x", "curl -:u u:*** x; curl -5u u:pw16 x"),
            (
                r#"mysql -p"$X"pw17; mysql -p'pw18'"${X}"; mysql -p"$X" db; mysql -p$(cat f) db"#,
                r#"mysql -p"***; mysql -p'***"; mysql -p"$X" db; mysql -p$(cat f) db"#,
            ),
        ] {
            assert_eq!(masked_commands(line), shown, "{line}");
        }
        // Frappe's own options that take a password are found by their names
        // (`frappe/commands/site.py`, `scheduler.py`; frappe-bench's
        // `bench/commands/install.py`, `setup.py`).
        for option in [
            "--admin-password",
            "--db-password",
            "--db-root-password",
            "--mariadb-root-password",
            "--password",
            "--rq-password",
            "--mysql_root_password",
            "--mariadb_root_password",
        ] {
            assert_eq!(masked_commands(&format!("bench {option} pw x")), format!("bench {option} *** x"));
            assert_eq!(masked_commands(&format!("bench {option}=pw x")), format!("bench {option}=*** x"));
        }
    }

    /// `bench set-config KEY VALUE` sets a password when its key names
    /// one; other keys' values, options anywhere, stay readable.
    #[test]
    fn set_config_of_a_secret_key_holds_a_password() {
        for (line, shown) in [
            (
                "bench --site s set-config db_password pw1; bench set-config -gp encryption_key pw2",
                "bench --site s set-config db_password ***; bench set-config -gp encryption_key ***",
            ),
            (
                "bench set-config redis_password -g pw3 x",
                "bench set-config redis_password -g *** x",
            ),
            (
                "bench set-config -g db_host mariadb; bench set-config -gp socketio_port 9000",
                "bench set-config -g db_host mariadb; bench set-config -gp socketio_port 9000",
            ),
            (
                "bench set-config db_password $(DB_PASSWORD)",
                "bench set-config db_password $(DB_PASSWORD)",
            ),
        ] {
            assert_eq!(masked_commands(line), shown, "{line}");
        }
    }

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

    #[test]
    fn underline_columns_follow_the_mask() {
        let line = "dbRootPassword: hunter2 # hunter2";
        let ranges = [16..23, 26..33];
        assert_eq!(apply(line, &ranges), "dbRootPassword: *** # ***");
        // An underline of the masked value covers its mask.
        assert_eq!(masked_column(line, &ranges, 16, false), 16);
        assert_eq!(masked_column(line, &ranges, 23, true), 19);
        // Ends and starts inside a mask snap to its edges.
        assert_eq!(masked_column(line, &ranges, 20, true), 19);
        assert_eq!(masked_column(line, &ranges, 20, false), 16);
        // Before and after a mask, columns shift by what it took out.
        assert_eq!(masked_column(line, &ranges, 0, false), 0);
        assert_eq!(masked_column(line, &ranges, 16, true), 16);
        assert_eq!(masked_column(line, &ranges, 24, false), 20);
        assert_eq!(masked_column(line, &ranges, 33, true), 25);
    }
}
