//! Where the model's rules report to, and how they find locations.
//!
//! Rules point at what they check with an [`Anchor`]: a [`Spanned`] value
//! as the file writes it (`&values.worker.scheduler.replica_count`), so the
//! compiler checks the way there, or keys below one. The reporter decides,
//! here and nowhere else, where each points: a written value at its own
//! span; a key inside a Kubernetes type, which carries no spans, through the
//! merged node tree (only an index of locations here: no rule reads a value
//! from it); and a key the file leaves out at the closest map the file
//! writes, or at the file start, which is shown without underlining a key
//! that has nothing to do with it.
//!
//! [`Spanned`]: crate::values::Spanned

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Node, Path};
use crate::source::Span;
use crate::values::spanned::Anchor;

pub struct Reporter<'a> {
    root: &'a Node,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Reporter<'a> {
    pub fn new(root: &'a Node) -> Reporter<'a> {
        Reporter {
            root,
            diagnostics: Vec::new(),
        }
    }

    /// Reports `message` about the value `at` points at.
    pub fn at<'b>(&mut self, code: Code, at: impl Into<Anchor<'b>>, message: impl Into<String>) -> &mut Diagnostic {
        self.report(code, &at.into(), false, message)
    }

    /// Reports `message` about the key `at` points at: the setting's name.
    pub fn at_key<'b>(&mut self, code: Code, at: impl Into<Anchor<'b>>, message: impl Into<String>) -> &mut Diagnostic {
        self.report(code, &at.into(), true, message)
    }

    fn report(&mut self, code: Code, at: &Anchor<'_>, key: bool, message: impl Into<String>) -> &mut Diagnostic {
        let span = self.locate(at, key);
        let mut diagnostic = Diagnostic::new(code, message).at(span);
        if let Some(path) = at.path() {
            diagnostic = diagnostic.field(&path);
        }
        self.push(diagnostic)
    }

    fn locate(&self, at: &Anchor<'_>, key: bool) -> Span {
        if let Some(place) = at.place() {
            return match place.key_span {
                Some(key_span) if key => key_span,
                _ => place.span,
            };
        }
        match at.path() {
            Some(path) => self.find(&path, key),
            None => self.file_start(),
        }
    }

    /// The span of the value (or key) at `path`, or of the closest key that
    /// is written in the file when the value itself is not.
    fn find(&self, path: &Path, key: bool) -> Span {
        let mut current = path.clone();
        // The top-level map is the file's first key; a key that is not
        // there is about the file, not about that key.
        while !current.is_root() {
            if let Some(found) = self.root.find(&current) {
                return if key || current != *path {
                    found.key_or_value_span()
                } else {
                    found.node.span
                };
            }
            match current.parent() {
                Some(parent) => current = parent,
                None => break,
            }
        }
        self.file_start()
    }

    /// Where a rule about the values as a whole, or about a key no map on
    /// its way is written for, points: the start of the first file.
    fn file_start(&self) -> Span {
        Span::file_start(self.root.span.file)
    }

    pub fn push(&mut self, diagnostic: Diagnostic) -> &mut Diagnostic {
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut().expect("just pushed")
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

impl Diagnostic {
    /// Adds help to a reported diagnostic, in the reporter's chaining style.
    pub fn with_help(&mut self, help: impl Into<String>) -> &mut Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Help for `word`, which is none of `choices`: the closest of them
    /// ("did you mean `Min`?") when one is close enough, else `otherwise`.
    pub fn with_help_closest(&mut self, word: &str, choices: &[&str], otherwise: impl Into<String>) -> &mut Diagnostic {
        match crate::suggest::closest(word, choices.iter().copied()) {
            Some(best) => self.with_help(format!("did you mean `{best}`?")),
            None => self.with_help(otherwise),
        }
    }
}
