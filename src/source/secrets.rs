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
//!
//! Where each reading lives: `keys` decides which keys hold secrets, the one
//! vocabulary every other part asks; `yaml` walks a YAML text's events;
//! `commands` reads command lines (split into words by `shell`, as `sh`
//! does); `lines` reads configuration text line by line; `urls` finds the
//! credentials of URLs. This file holds what they find ([`FileSecrets`],
//! [`Secrets`]) and masks printed text with it.

use std::borrow::Cow;
use std::ops::Range;

use super::{FileId, SourceSyntax, Sources};
use crate::node::{Node, Segment, Value as NodeValue};

mod commands;
mod keys;
mod lines;
mod shell;
mod urls;
mod yaml;

pub use commands::{secret_arguments, secrets_in_text, words_meant_as_secrets};
pub use keys::{KeyMeaning, key_meaning};
pub use lines::secret_assignment_lines;
pub use urls::url_credentials;
pub use yaml::secrets_in_yaml_text;
pub(crate) use yaml::{YamlWalk, event_range};

use keys::names_a_secret;
use lines::after_first_separator;
use urls::url_credentials_of_value;
use yaml::secrets_of_yaml;

/// What replaces a secret in printed text.
pub const MASK: &str = "***";

/// Secrets at least this long are masked even inside other words.
pub const SEARCHED_LEN: usize = 8;

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
    /// The secret values that are flag words ([`is_flag_word`]), with where
    /// each is written: not searched for everywhere, but in the texts of a
    /// diagnostic about that place, which may quote its value.
    flags: Vec<(Range<usize>, String)>,
}

impl FileSecrets {
    /// The secrets of a source from its text alone: a YAML text parsed and
    /// walked as the loader walks it; a `--set` argument as described at
    /// [`FileSecrets::unparsed_set_argument`].
    pub(super) fn of_text(text: &str, syntax: SourceSyntax) -> FileSecrets {
        match syntax {
            SourceSyntax::Yaml => secrets_of_yaml(text),
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

    /// The ranges of `text` (a diagnostic's message or help) where a secret
    /// flag word written within `about` (byte offsets in the source) stands
    /// apart: a rule that quotes the value it reports (`` `~` is not a valid
    /// label value``) would print it.
    pub fn flags_in(&self, text: &str, about: Range<usize>) -> Vec<Range<usize>> {
        let mut ranges = Vec::new();
        for (_, value) in self.flags.iter().filter(|(r, _)| r.start < about.end && r.end > about.start) {
            for form in [value.as_str(), value.trim()].into_iter().filter(|form| !form.is_empty()) {
                for (at, _) in text.match_indices(form) {
                    let range = at..at + form.len();
                    if stands_apart(text, &range) {
                        ranges.push(range);
                    }
                }
            }
        }
        ranges
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

    /// The secrets `found` in one value written at `range`, whose parts'
    /// places are not known (a `--set-json` value): the whole of it is
    /// masked when any is found.
    pub(crate) fn add_within(&mut self, found: FileSecrets, range: Range<usize>) {
        if found == FileSecrets::default() {
            return;
        }
        self.ranges.extend(found.ranges);
        self.ranges.push(range);
        self.texts.extend(found.texts);
        self.user_names.extend(found.user_names);
        self.flags.extend(found.flags);
    }

    /// The items of a `--set` list (`args={mysql,-ppw}`), each its text and
    /// where it is written in `text`, read as the words of a command.
    pub(crate) fn list_items(&mut self, text: &str, items: &[(Range<usize>, &str)]) {
        let words: Vec<&str> = items.iter().map(|(_, word)| *word).collect();
        for (index, value) in secret_arguments(&words) {
            let (written, word) = &items[index];
            self.part_of_word(text, written.clone(), word, value);
        }
    }

    /// `part` of `word`, a secret, where `written` of `text` holds the word:
    /// its place is known when the word is written there as it reads
    /// (unquoted, unescaped); its text is masked wherever it appears anyway.
    pub(crate) fn part_of_word(&mut self, text: &str, written: Range<usize>, word: &str, part: Range<usize>) {
        let written_at = (text.get(written.clone()) == Some(word)).then_some(written.start);
        self.part_of_value(word, part, written_at);
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
    /// has a secret word anywhere, or assigns a key `value` (an env var's,
    /// whose `name` another argument or file may make secret), everything
    /// after its first `=`, `:` or blank ([`after_first_separator`]), since
    /// what it assigns is unknown; otherwise the secrets of that rest read
    /// as a command ([`FileSecrets::in_value_text`]); and the user-info of
    /// any URL in it.
    fn unparsed_set_argument(text: &str) -> FileSecrets {
        let mut found = FileSecrets::default();
        for range in url_credentials(text) {
            found.credential(text, range, text, 0..text.len());
        }
        if (names_a_secret(text) || assigns_a_value_key(text))
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
    fn part_of_value(&mut self, value: &str, part: Range<usize>, written_at: Option<usize>) {
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
            self.flags.push((range.clone(), value.to_owned()));
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

/// Whether `word` is one YAML 1.1 or 1.2 reads as a boolean or null: no
/// password, and words every diagnostic may print.
pub(crate) fn is_flag_word(word: &str) -> bool {
    ["true", "false", "yes", "no", "on", "off", "null", "~", ""]
        .iter()
        .any(|flag| word.eq_ignore_ascii_case(flag))
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

/// Whether `text`, a `--set` argument, gives a key `value` something:
/// `….value=` (`--set`, `--set-json`) or `"value":` (a JSON object).
fn assigns_a_value_key(text: &str) -> bool {
    text.match_indices("value").any(|(at, key)| {
        let before = text[..at].chars().next_back();
        let after = text[at + key.len()..].trim_start_matches('"').trim_start();
        matches!(before, None | Some('.' | '"')) && (after.starts_with('=') || after.starts_with(':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as diagnostics would quote each of its lines (which YAML ends
    /// at a lone CR too), joined with LF.
    fn shown(text: &str) -> String {
        let mut sources = Sources::default();
        let file = sources.add("values.yaml", text);
        let mut start = 0;
        let mut shown = Vec::new();
        for (number, line) in text.split(['\n', '\r']).enumerate() {
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
        assert_eq!(shown("x: y: z\rdbRootPassword: hunter2\r"), "x: y: z\ndbRootPassword: ***\n");
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

    /// The columns every format prints are those of the masked line, as its
    /// underline: a span over a secret covers its mask, one after it moves
    /// by what the mask took out; a span over several lines ends with the
    /// characters of its first, a `\r` before its line break not among them.
    #[test]
    fn shown_columns_are_counted_on_the_masked_line() {
        let text = "x: {dbRootPassword: hunter2hunter2, bogus: 1}\r\nimage:\r\n  tag: |\r\n    a\r\n    b\r\n";
        let mut sources = Sources::default();
        let file = sources.add("values.yaml", text);
        let span = |written: &str, column: u32, line: u32| {
            let start = text.find(written).unwrap() as u32;
            let end = start + written.len() as u32;
            crate::source::Span {
                file,
                start,
                end,
                line,
                column,
            }
        };
        assert_eq!(sources.shown_columns(span("hunter2hunter2", 21, 1)), (21, 24));
        assert_eq!(sources.shown_columns(span("bogus", 37, 1)), (26, 31));
        assert_eq!(sources.shown_columns(span("a\r\n    b", 5, 4)), (5, 6));
    }
}
