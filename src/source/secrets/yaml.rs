//! The secrets of a YAML text, found by walking its parse events: every
//! value under a secret key, through aliases, block scalars and flow
//! collections, and, for a text that does not parse, its lines read as YAML
//! would read them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, ScalarStyle};

use super::commands::secret_arguments;
use super::keys::{KeyMeaning, key_meaning};
use super::urls::url_credentials_of_value;
use super::{FileSecrets, secret_under};
use crate::source::{MAX_INPUT_BYTES, yaml_parser};

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
pub(super) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
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
pub(super) fn secrets_of_yaml(text: &str) -> FileSecrets {
    let mut end = text.len().min(MAX_INPUT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    let mut parser = yaml_parser(text);
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
    let mut ranges = secrets_of_yaml(text).ranges;
    // `password: ""` says there is none.
    ranges.retain(|range| !text[range.clone()].trim_matches(['"', '\'']).is_empty());
    ranges
}

/// Where an event of the parse of `text` is written, as the walk takes it.
pub(crate) fn event_range(text: &str, span: &granit_parser::Span) -> Range<usize> {
    let offset = |marker: &granit_parser::Marker| marker.byte_offset().unwrap_or(0).min(text.len());
    offset(&span.start)..offset(&span.end)
}
