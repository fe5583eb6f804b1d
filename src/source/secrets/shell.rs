//! The words of a shell line as `sh` reads them, for
//! [`secrets_in_text`](super::secrets_in_text): a password flag is found by
//! what a word says once the shell has removed its quotes and escapes
//! (`"-ppw"` and `-p'pw'` both give `mysql` the word `-ppw`), and a command
//! starts after each operator, glued or not (`cd /x&&mysql -ppw`,
//! `$(mysql -ppw)`), as POSIX's token recognition and quote removal have
//! it (XCU 2.3, 2.2, 2.6.7).

use std::ops::Range;

/// One word of a shell line.
#[derive(Debug)]
pub(super) struct ShellWord {
    /// What the word says, its quotes and escapes removed. An operator
    /// (`;`, `&`, `|`, `(`, `)`, a backquote, `<`, `>`, a line break) is a
    /// word of its own.
    pub(super) text: String,
    /// Where each byte of `text` is written in the line.
    written: Vec<usize>,
}

impl ShellWord {
    /// Where `range` of the word's text is written: from its first byte to
    /// its last, the quotes around them left in place.
    pub(super) fn written(&self, range: Range<usize>) -> Option<Range<usize>> {
        if range.is_empty() {
            return None;
        }
        let last = self.text[..range.end].chars().next_back()?;
        Some(self.written[range.start]..self.written[range.end - last.len_utf8()] + last.len_utf8())
    }

    fn push(&mut self, c: char, at: usize) {
        self.text.push(c);
        self.written.extend(std::iter::repeat_n(at, c.len_utf8()));
    }
}

/// The words of `line`. An unclosed quote runs to the end of the line.
/// `$(NAME)`, which the kubelet expands in a container's command, stays in
/// its word; any other `$(` starts a command.
pub(super) fn words(line: &str) -> Vec<ShellWord> {
    let mut words = Vec::new();
    let mut word: Option<ShellWord> = None;
    let mut quote = None;
    // The `(`s that opened a subshell or a command substitution and are
    // still open: a `)` closes one; elsewhere (`%(name)s`) both are text.
    let mut open_parens = 0usize;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let current = word.get_or_insert_with(|| ShellWord {
            text: String::new(),
            written: Vec::new(),
        });
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => current.push(c, at),
            (None, '\'' | '"') => quote = Some(c),
            // A backslash keeps the next character (outside quotes any,
            // inside double quotes those that are special there); before a
            // line break both go.
            (None, '\\') | (Some(_), '\\') if chars.peek().is_some_and(|(_, next)| quote.is_none() || "$`\"\\\n".contains(*next)) => {
                let (at, next) = chars.next().unwrap_or((at, c));
                if next != '\n' {
                    current.push(next, at);
                }
            }
            (_, '$') if kubelet_variable(&line[at..]).is_some() => {
                let length = kubelet_variable(&line[at..]).unwrap_or(0);
                for (at, c) in line[at..at + length].char_indices().map(|(i, c)| (at + i, c)) {
                    current.push(c, at);
                }
                while chars.peek().is_some_and(|(next, _)| *next < at + length) {
                    chars.next();
                }
            }
            (Some(_), _) => current.push(c, at),
            (None, '(') if !current.text.is_empty() && !current.text.ends_with('$') => current.push(c, at),
            (None, ')') if open_parens == 0 => current.push(c, at),
            (None, ';' | '&' | '|' | '(' | ')' | '`' | '<' | '>' | '\n') => {
                match c {
                    '(' => open_parens += 1,
                    ')' => open_parens -= 1,
                    _ => {}
                }
                words.extend(word.take().filter(|w| !w.text.is_empty()));
                let mut operator = ShellWord {
                    text: String::new(),
                    written: Vec::new(),
                };
                operator.push(c, at);
                words.push(operator);
            }
            (None, _) if c.is_whitespace() => {
                words.extend(word.take().filter(|w| !w.text.is_empty()));
            }
            (None, _) => current.push(c, at),
        }
    }
    words.extend(word.filter(|w| !w.text.is_empty()));
    words
}

/// The length of the `$(NAME)` that `text` starts with, if it does.
fn kubelet_variable(text: &str) -> Option<usize> {
    let name = text.strip_prefix("$(")?;
    let end = name.find(')')?;
    (end > 0 && name[..end].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(end + 3)
}

#[cfg(test)]
mod tests {
    use super::words;

    fn texts(line: &str) -> Vec<String> {
        words(line).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn reads_quotes_escapes_and_operators_as_sh_does() {
        assert_eq!(texts(r#"mysql "-ppw" -p'a b' -p\$x"#), ["mysql", "-ppw", "-pa b", "-p$x"]);
        assert_eq!(
            texts("cd /x&&mysql -ppw;(a)"),
            ["cd", "/x", "&", "&", "mysql", "-ppw", ";", "(", "a", ")"]
        );
        assert_eq!(
            texts("$(mysql -ppw) --password=$(DB_PASSWORD)"),
            ["$", "(", "mysql", "-ppw", ")", "--password=$(DB_PASSWORD)"]
        );
        assert_eq!(texts("mysql -p\\\npw\nls"), ["mysql", "-ppw", "\n", "ls"]);
        assert_eq!(texts(r#"echo "a \"b\" \c" 'd"#), ["echo", r#"a "b" \c"#, "d"]);
        assert_eq!(texts("--format=%(h)s,%(p)s"), ["--format=%(h)s,%(p)s"]);
    }

    #[test]
    fn maps_a_words_text_back_to_where_it_is_written() {
        let line = r#"mysql "-ppw" -p'a b'"#;
        let found = words(line);
        assert_eq!(&line[found[1].written(2..4).unwrap()], "pw");
        assert_eq!(&line[found[2].written(2..5).unwrap()], "a b");
    }
}
