//! How one string is written: plain, double-quoted, or as a literal block.
//!
//! The rule is conservative on purpose. A string is written plain only when
//! every YAML reader (YAML 1.2 core, and YAML 1.1 as kubectl's and helm's
//! go-yaml reads it) gets the same string back: never a number, boolean,
//! null, timestamp, merge key or sexagesimal. Anything in doubt is
//! double-quoted, which costs two characters and is never misread.

use std::fmt::Write;

use crate::unicode::is_bidi_control;

/// How a string is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    DoubleQuoted,
    /// `|`, `|-` or `|+` with the lines indented below.
    Literal,
}

/// The style of a mapping key: like a value, but never a block, and never
/// with a `:` (which would end the key).
pub(super) fn key_style(s: &str) -> Style {
    match scan(s) {
        Scan::Plain { has_colon: false } => Style::Plain,
        _ => Style::DoubleQuoted,
    }
}

/// The style of a string value.
pub(super) fn value_style(s: &str) -> Style {
    match scan(s) {
        Scan::Plain { .. } => Style::Plain,
        Scan::MultiLine if is_literal_safe(s) => Style::Literal,
        _ => Style::DoubleQuoted,
    }
}

/// What one pass over a string finds.
enum Scan {
    /// It reads back as the same string when written plain.
    Plain {
        has_colon: bool,
    },
    MultiLine,
    Quoted,
}

/// Whether `s` reads back as the same string when written plain, in one
/// pass over its bytes (the writer calls this for every key and value).
fn scan(s: &str) -> Scan {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return Scan::Quoted; // the empty string is null
    };
    // Most keys and values are words (`apiVersion`, `erpnext-config`,
    // `app.kubernetes.io/name`), checked here in a tight loop. Starting with
    // a letter, a word is no number, date or indicator; without `:`, `#` or
    // a space it ends no key and starts no comment.
    let word_len = bytes.iter().position(|&byte| !WORD_BYTES[usize::from(byte)]).unwrap_or(bytes.len());
    if word_len == bytes.len() && first.is_ascii_alphabetic() {
        return if is_special_word(s) {
            Scan::Quoted
        } else {
            Scan::Plain { has_colon: false }
        };
    }
    // The rest is looked at after the word bytes it starts with, none of
    // which is a `:`, `#`, space or line break.
    let mut has_colon = false;
    let mut previous = 0u8;
    for &byte in &bytes[word_len..] {
        match byte {
            // `: ` ends a key, ` #` starts a comment.
            b' ' if previous == b':' => return Scan::Quoted,
            b'#' if previous == b' ' => return Scan::Quoted,
            b':' => has_colon = true,
            b'\n' => return Scan::MultiLine,
            // Printable ASCII only: other characters are left to double
            // quotes, where every reader agrees on them.
            0x20..=0x7e => {}
            _ => return Scan::Quoted,
        }
        previous = byte;
    }
    let indicator_start = match first {
        // `-x` is a common argument; `-` alone or `- x` is a sequence entry.
        b'-' => bytes.get(1).is_none_or(|next| *next == b' '),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' => {
            true
        }
        b' ' => true,
        _ => false,
    };
    if indicator_start
        || last == b' '
        || last == b':'
        || s.starts_with("---")
        || s.starts_with("...")
        || is_special_word(s)
        || looks_numeric(s)
    {
        return Scan::Quoted;
    }
    Scan::Plain { has_colon }
}

/// The bytes of a word: ASCII letters and digits, `-`, `.`, `/` and `_`
/// (a table, because every key and most values are checked against it).
const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = (byte as u8).is_ascii_alphanumeric() || matches!(byte as u8, b'-' | b'.' | b'/' | b'_');
        byte += 1;
    }
    table
};

/// Words that some YAML reader takes for a boolean, null, infinity or NaN,
/// or for a merge or value key.
fn is_special_word(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "~", "<<", "=",
    ];
    s.len() <= 5 && WORDS.iter().any(|word| s.eq_ignore_ascii_case(word))
}

/// Whether a reader might take `s` for a number or timestamp: it starts like
/// one (a digit, or a sign or dot before a digit or `inf`/`nan`) and has
/// only characters numbers, dates and times are made of. `500m` and `1Gi`
/// stay strings; `0755`, `1e3`, `12:30`, `2024-01-01`, `.5` and `-.inf` are
/// quoted.
fn looks_numeric(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let body = unsigned.strip_prefix('.').unwrap_or(unsigned);
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("nan") {
        return true;
    }
    if !body.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    s.bytes().all(|b| {
        b.is_ascii_hexdigit()
            || matches!(
                b,
                b'x' | b'X' | b'o' | b'O' | b'_' | b'.' | b':' | b'+' | b'-' | b' ' | b't' | b'T' | b'z' | b'Z'
            )
    })
}

/// Whether a multi-line string can be a literal block: every character one
/// that both YAML 1.1 and 1.2 readers take as itself there (see
/// [`literal_char`]), some text besides line breaks (a block of empty lines
/// reads back as the empty string), and a first line that does not start
/// with a space (which would need an indentation indicator).
fn is_literal_safe(s: &str) -> bool {
    // The first non-empty line sets the indentation, so it may not start
    // with a space; a line of spaces only could be taken for indentation.
    let text = s.trim_start_matches('\n');
    !text.is_empty() && !text.starts_with(' ') && !has_line_of_spaces(s) && literal_chars(s)
}

/// Whether some line of `s` holds spaces and nothing else. Such a line ends
/// in a space, which the lines of a script seldom do: only then are the
/// lines looked at one by one (scripts are the longest strings rendered).
fn has_line_of_spaces(s: &str) -> bool {
    (s.contains(" \n") || s.ends_with(' ')) && s.split('\n').any(|line| !line.is_empty() && line.bytes().all(|b| b == b' '))
}

/// Whether every character of `s` is a [`literal_char`]: a byte at a time
/// while the text is printable ASCII (scripts are), else a character at a
/// time.
fn literal_chars(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'\n' | b'\t' | b' '..=b'~')) || s.chars().all(literal_char)
}

/// A character a literal block may hold as it is: `\n` (the line breaks
/// themselves), tab, and the printable characters of YAML 1.1 and 1.2
/// (`c-printable`) other than those some reader changes or breaks a line at.
/// YAML 1.1 readers (PyYAML; go-yaml, under kubectl and kustomize) end a
/// line at NEL (U+0085), LS (U+2028) and PS (U+2029): one of these in a
/// literal block would let the text after it start a new key or document.
/// A `\r` comes back as `\n`, and a byte-order mark may be dropped. A
/// bidirectional control would show the lines around it in another order
/// than a reader runs them ([`crate::unicode`]). All of these are written
/// double-quoted instead, with escapes.
fn literal_char(c: char) -> bool {
    match c {
        '\n' | '\t' | ' '..='~' => true,
        '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
        c if is_bidi_control(c) => false,
        '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' => true,
        c => c >= '\u{10000}',
    }
}

/// Writes `s` in double quotes, escaping what YAML requires, and what a
/// reader would not see: control and bidirectional control characters.
pub(super) fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if c.is_control() || is_bidi_control(c) || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}') => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a literal block: the header (`|` keeps one final newline, `|-`
/// none, `|+` all) and each line indented by `indent` spaces.
pub(super) fn write_literal(out: &mut String, s: &str, indent: usize) {
    let body = s.trim_end_matches('\n');
    let chomp = match s.len() - body.len() {
        0 => "|-",
        1 => "|",
        _ => "|+",
    };
    out.push_str(chomp);
    out.push('\n');
    let trailing = s.len() - body.len();
    for line in body.split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    // `|+` keeps the extra final line breaks as empty lines.
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Writes `column` spaces: the indentation of a line, here and in the
/// writer.
pub(super) fn pad(out: &mut String, column: usize) {
    // One copy per line instead of a push per space: every line of the
    // stream starts with its indentation.
    const SPACES: &str = "                                                                ";
    let mut rest = column;
    while rest > 0 {
        let n = rest.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        rest -= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_other_readers_would_retype_are_quoted() {
        for s in [
            "",
            "~",
            "null",
            "Null",
            "true",
            "False",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "N",
            "<<",
            "=",
            "0755",
            "1e3",
            "12:30",
            "1:20:30",
            "2024-01-01",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-14t21:59:43.10-05:00",
            ".5",
            "-.inf",
            ".NaN",
            "nan",
            "+1",
            "-1",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "3306",
            "0.5",
            "-",
            "- x",
            "? x",
            ": x",
            "a: b",
            "a #b",
            "key:",
            "#x",
            "&a",
            "*a",
            "!t",
            "|x",
            ">x",
            "'x",
            "\"x",
            "%x",
            "@x",
            "`x",
            "[x",
            "{x",
            ",x",
            "---",
            "--- x",
            "...",
            " x",
            "x ",
            "tab\tx",
            "é",
        ] {
            assert_eq!(value_style(s), Style::DoubleQuoted, "{s:?}");
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "500m",
            "1Gi",
            "v16-latest",
            "--workers=4",
            "-a",
            "app.kubernetes.io/name",
            "/home/frappe",
            "nginx -g",
            "daemon off;",
            "10.0.0.0/8",
            "$host",
            "redis://cache:6379",
            "a:b",
            "x#y",
            "registry.example.com/erp:v16.32.3",
            "Prefix",
            "v5.4.3-beta",
        ] {
            assert_eq!(value_style(s), Style::Plain, "{s:?}");
        }
        assert_eq!(key_style("a:b"), Style::DoubleQuoted);
        assert_eq!(key_style("app.kubernetes.io/name"), Style::Plain);
    }

    #[test]
    fn bidirectional_controls_are_written_as_escapes() {
        let mut out = String::new();
        write_double_quoted(&mut out, "admin\u{202e}nimda \u{2066}x\u{2069}\u{200f}");
        assert_eq!(out, r#""admin\u202Enimda \u2066x\u2069\u200F""#);
    }

    #[test]
    fn multi_line_strings_are_literal_blocks_unless_they_cannot_be() {
        assert_eq!(value_style("a\nb\n"), Style::Literal);
        assert_eq!(value_style(" a\nb"), Style::DoubleQuoted);
        assert_eq!(value_style("\n  a\nb"), Style::DoubleQuoted);
        assert_eq!(value_style("a\n  \nb"), Style::DoubleQuoted);
        assert_eq!(value_style("a\r\nb"), Style::DoubleQuoted);
        assert_eq!(value_style("\n\n"), Style::DoubleQuoted);
        for separator in ['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}'] {
            assert_eq!(
                value_style(&format!("a\n{separator}---{separator}b")),
                Style::DoubleQuoted,
                "{separator:?}"
            );
        }
        // A line of spaces only, wherever it stands, and a character a
        // reader changes, with or without other non-ASCII text around it.
        for s in [
            "a\n \nb",
            "a\n  ",
            "a\n\n  \n\nb\n",
            "a\nb\u{7}",
            "a\nb\u{7f}",
            "x\ncafé\u{2028}",
            "if ok\u{202e} {\n  run\n}",
        ] {
            assert_eq!(value_style(s), Style::DoubleQuoted, "{s:?}");
        }
        for s in ["b\ncafé", "a \nb", "a\n b \n", "x\ntab\ty"] {
            assert_eq!(value_style(s), Style::Literal, "{s:?}");
        }
        let mut out = String::new();
        write_literal(&mut out, "a\n\n  b\n", 4);
        assert_eq!(out, "|\n    a\n\n      b\n");
        out.clear();
        write_literal(&mut out, "a", 2);
        assert_eq!(out, "|-\n  a\n");
        out.clear();
        write_literal(&mut out, "a\n\n", 2);
        assert_eq!(out, "|+\n  a\n\n");
    }
}
