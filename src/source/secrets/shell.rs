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
    /// What the word says, its quotes and escapes removed.
    pub(super) text: String,
    /// Where the bytes of `text` are written in the line, in runs: from
    /// `.0` of the text on, each byte at `.1` of the line and onwards (a
    /// run ends where a quote or an escape was removed).
    runs: Vec<(usize, usize)>,
}

impl ShellWord {
    /// Where `range` of the word's text is written: from its first byte to
    /// its last, the quotes around them left in place.
    pub(super) fn written(&self, range: Range<usize>) -> Option<Range<usize>> {
        if range.is_empty() {
            return None;
        }
        let last = self.text[..range.end].chars().next_back()?;
        Some(self.written_at(range.start)..self.written_at(range.end - last.len_utf8()) + last.len_utf8())
    }

    /// Where byte `at` of the text is written.
    fn written_at(&self, at: usize) -> usize {
        let run = self.runs.partition_point(|(start, _)| *start <= at) - 1;
        let (start, written) = self.runs[run];
        written + at - start
    }

    fn new() -> Self {
        ShellWord {
            text: String::new(),
            runs: Vec::new(),
        }
    }

    fn push(&mut self, c: char, at: usize) {
        let continues = self
            .runs
            .last()
            .is_some_and(|(start, written)| written + self.text.len() - start == at);
        if !continues {
            self.runs.push((self.text.len(), at));
        }
        self.text.push(c);
    }
}

/// Calls `command` with the words of each command of `line`, in order: a
/// command ends at `;`, `&`, `|`, `(`, `)`, a backquote or a line break
/// outside quotes (`<` and `>` are words of their own). An unclosed quote
/// runs to the end of the line. `$(NAME)`, which the kubelet expands in a
/// container's command, stays in its word; any other `$(` starts a
/// command. One command's words at a time: a long text (an nginx
/// configuration) costs no more memory than its longest command.
pub(super) fn for_each_command(line: &str, mut command: impl FnMut(&[ShellWord])) {
    let mut words = Vec::new();
    let mut word: Option<ShellWord> = None;
    let mut quote = None;
    // The `(`s that opened a subshell or a command substitution and are
    // still open: a `)` closes one; elsewhere (`%(name)s`) both are text.
    let mut open_parens = 0usize;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let current = word.get_or_insert_with(ShellWord::new);
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => current.push(c, at),
            (None, '\'' | '"') => quote = Some(c),
            // A backslash keeps the next character (outside quotes any,
            // inside double quotes those that are special there); before a
            // line break both go.
            (_, '\\') if chars.peek().is_some_and(|(_, next)| quote.is_none() || "$`\"\\\n".contains(*next)) => {
                let (at, next) = chars.next().unwrap_or((at, c));
                if next != '\n' {
                    current.push(next, at);
                }
            }
            (_, '$') if let Some(length) = kubelet_variable(&line[at..]) => {
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
            (None, '<' | '>') => {
                words.extend(word.take().filter(|w| !w.text.is_empty()));
                let mut redirection = ShellWord::new();
                redirection.push(c, at);
                words.push(redirection);
            }
            (None, ';' | '&' | '|' | '(' | ')' | '`' | '\n') => {
                match c {
                    '(' => open_parens += 1,
                    ')' => open_parens -= 1,
                    _ => {}
                }
                words.extend(word.take().filter(|w| !w.text.is_empty()));
                if !words.is_empty() {
                    command(&words);
                    words.clear();
                }
            }
            (None, _) if c.is_whitespace() => {
                words.extend(word.take().filter(|w| !w.text.is_empty()));
            }
            (None, _) => current.push(c, at),
        }
    }
    words.extend(word.filter(|w| !w.text.is_empty()));
    if !words.is_empty() {
        command(&words);
    }
}

/// The length of the `$(NAME)` that `text` starts with, if it does.
fn kubelet_variable(text: &str) -> Option<usize> {
    let name = text.strip_prefix("$(")?;
    let end = name.find(')')?;
    (end > 0 && name[..end].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(end + 3)
}

#[cfg(test)]
mod tests {
    use super::for_each_command;

    /// The words of each command of `line`.
    fn commands(line: &str) -> Vec<Vec<String>> {
        let mut found = Vec::new();
        for_each_command(line, |words| found.push(words.iter().map(|w| w.text.clone()).collect()));
        found
    }

    #[test]
    fn reads_quotes_escapes_and_operators_as_sh_does() {
        assert_eq!(commands(r#"mysql "-ppw" -p'a b' -p\$x"#), [["mysql", "-ppw", "-pa b", "-p$x"]]);
        assert_eq!(
            commands("cd /x&&mysql -ppw;(a)"),
            [vec!["cd", "/x"], vec!["mysql", "-ppw"], vec!["a"]]
        );
        assert_eq!(
            commands("v=$(mysql -ppw) --password=$(DB_PASSWORD)"),
            [vec!["v=$"], vec!["mysql", "-ppw"], vec!["--password=$(DB_PASSWORD)"]]
        );
        assert_eq!(commands("mysql -p\\\npw\nls"), [vec!["mysql", "-ppw"], vec!["ls"]]);
        assert_eq!(commands(r#"echo "a \"b\" \c" 'd"#), [["echo", r#"a "b" \c"#, "d"]]);
        assert_eq!(commands("--format=%(h)s,%(p)s"), [["--format=%(h)s,%(p)s"]]);
    }

    #[test]
    fn maps_a_words_text_back_to_where_it_is_written() {
        let line = r#"mysql "-ppw" -p'a b'"#;
        let mut written = Vec::new();
        for_each_command(line, |words| {
            written.push(&line[words[1].written(2..4).unwrap()]);
            written.push(&line[words[2].written(2..5).unwrap()]);
        });
        assert_eq!(written, ["pw", "a b"]);
    }
}
