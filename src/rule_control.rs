//! Which rules a run reports, and how: `--allow CODE`, `--deny CODE`, and
//! the inline comment `# frappe-manifests: allow CODE[, CODE]`.
//!
//! A team adopting `lint --strict` on an existing values file needs to say
//! "this warning is known and accepted" once, where it is, rather than
//! living with it or switching the rule off everywhere. The comment goes on
//! the diagnostic's line, after the value, or alone on the line above it; a
//! rule about a key the file does not have points at the file's first line,
//! so a comment there silences it for the file.
//!
//! The comment is found from the diagnostic's [`Span`]: the loader kept the
//! source text, so the two lines are read from it, not parsed again. Only a
//! `#` at the start of a line or after a blank starts a comment, as in YAML;
//! a quoted value that holds the exact words would count too, which no
//! values file has a reason to do.
//!
//! Errors that would make a broken bundle ([`Code::allowable`] is `false`)
//! are never silenced: `--allow` refuses them, and a comment naming one
//! leaves the diagnostic in place with a note why. `--deny` makes a warning
//! an error, so it fails the run and, in `render`, stops the bundle.
//! `lint --strict` then fails on whatever warnings are left.

use std::collections::BTreeSet;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::source::{Sources, Span};

/// What the inline comment starts with, after `#` and blanks.
pub const COMMENT: &str = "frappe-manifests:";

/// The rules silenced or made errors for a run. The default changes nothing
/// but what inline comments ask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleControl {
    allowed: BTreeSet<Code>,
    denied: BTreeSet<Code>,
}

/// Why `--allow` or `--deny` cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleControlError {
    /// No rule has this code.
    Unknown { flag: &'static str, word: String },
    /// `--allow` of a rule whose findings would break the bundle.
    Fixed { code: Code },
    /// The same rule both allowed and denied.
    Both { code: Code },
}

impl std::fmt::Display for RuleControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleControlError::Unknown { flag, word } => {
                let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
                write!(f, "`{flag} {word}`: no rule has that code; the codes are {}", codes.join(", "))?;
                match crate::suggest::closest(word, codes.iter().copied()) {
                    Some(best) => write!(f, " (did you mean `{best}`?)"),
                    None => Ok(()),
                }
            }
            RuleControlError::Fixed { code } => write!(
                f,
                "`--allow {code}`: `{code}` cannot be allowed, what it finds would make a broken bundle; the rules that can be are {}",
                allowable_codes().join(", "),
                code = code.as_str()
            ),
            RuleControlError::Both { code } => write!(f, "`{}` is given to both `--allow` and `--deny`", code.as_str()),
        }
    }
}

impl std::error::Error for RuleControlError {}

fn allowable_codes() -> Vec<&'static str> {
    Code::ALL.iter().filter(|c| c.allowable()).map(|c| c.as_str()).collect()
}

impl RuleControl {
    /// The control `--allow` and `--deny` ask for.
    pub fn new(allow: &[String], deny: &[String]) -> Result<RuleControl, RuleControlError> {
        let parse =
            |flag: &'static str, word: &String| Code::named(word).ok_or_else(|| RuleControlError::Unknown { flag, word: word.clone() });
        let allowed = allow.iter().map(|w| parse("--allow", w)).collect::<Result<BTreeSet<_>, _>>()?;
        let denied = deny.iter().map(|w| parse("--deny", w)).collect::<Result<BTreeSet<_>, _>>()?;
        if let Some(code) = allowed.iter().find(|c| !c.allowable()) {
            return Err(RuleControlError::Fixed { code: *code });
        }
        if let Some(code) = allowed.intersection(&denied).next() {
            return Err(RuleControlError::Both { code: *code });
        }
        Ok(RuleControl { allowed, denied })
    }

    /// Drops what is allowed, by flag or by a comment at its place, and
    /// makes what is denied an error.
    pub fn apply(&self, sources: &Sources, diagnostics: &mut Vec<Diagnostic>) {
        diagnostics.retain_mut(|diagnostic| {
            let code = diagnostic.code;
            let commented = diagnostic.span.is_some_and(|span| allowed_by_comment(sources, span, code));
            if code.allowable() && (self.allowed.contains(&code) || commented) {
                return false;
            }
            if commented {
                let note = format!("`{}` cannot be allowed: what it finds would make a broken bundle", code.as_str());
                diagnostic.help = Some(match diagnostic.help.take() {
                    Some(help) => format!("{help}; {note}"),
                    None => note,
                });
            }
            if self.denied.contains(&code) {
                diagnostic.severity = Severity::Error;
            }
            true
        });
    }
}

/// Whether an inline comment on the line of `span`, or alone on the line
/// above, names `code`.
fn allowed_by_comment(sources: &Sources, span: Span, code: Code) -> bool {
    let Some((above, line)) = sources.yaml_lines_at(span) else {
        return false;
    };
    let alone_above = above.filter(|l| l.trim_start().starts_with('#'));
    [Some(line), alone_above]
        .into_iter()
        .flatten()
        .any(|line| comment_codes(line).any(|word| word == code.as_str()))
}

/// The codes an inline comment on `line` names.
fn comment_codes(line: &str) -> impl Iterator<Item = &str> {
    // `match_indices` searches with memchr: a one-line file of 20,000 keys
    // has 20,000 diagnostics on one 200 kB line.
    let comment = line.match_indices('#').find_map(|(i, _)| {
        let starts_comment = i == 0 || line[..i].ends_with([' ', '\t']);
        starts_comment.then(|| line[i + 1..].trim_start().strip_prefix(COMMENT)).flatten()
    });
    comment
        .and_then(|rest| rest.trim_start().strip_prefix("allow"))
        .filter(|rest| rest.starts_with([' ', '\t']))
        .into_iter()
        .flat_map(|codes| codes.split(',').map(str::trim).filter(|c| !c.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::comment_codes;

    #[test]
    fn a_comment_names_its_codes() {
        let codes = |line| comment_codes(line).collect::<Vec<_>>();
        assert_eq!(codes("key: 1 # frappe-manifests: allow image-tag"), ["image-tag"]);
        assert_eq!(
            codes("# frappe-manifests: allow image-tag, missing-requests"),
            ["image-tag", "missing-requests"]
        );
        assert_eq!(codes("#frappe-manifests: allowimage-tag"), Vec::<&str>::new(), "`allow` is a word");
        assert_eq!(
            codes("key: a#frappe-manifests: allow image-tag"),
            Vec::<&str>::new(),
            "a `#` inside a value"
        );
        assert_eq!(codes("key: 1 # see frappe-manifests: allow image-tag"), Vec::<&str>::new());
    }
}
