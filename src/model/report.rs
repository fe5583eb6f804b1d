//! Where the model's rules report to, and how they find locations.
//!
//! Rules work on typed values and name what they check by its path in the
//! values (`worker.scheduler.replicaCount`). The reporter turns that path into
//! a span through the merged node tree, which is only an index of locations
//! here: no rule reads a value from it.

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Node, Path};
use crate::source::Span;

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

    /// The span of the value at `path`, or of the closest key that is written
    /// in the file when the value itself came from a default.
    pub fn value_span(&self, path: &Path) -> Span {
        self.locate(path, false)
    }

    /// The span of the key at `path` (the setting's name), with the same fallback.
    pub fn key_span(&self, path: &Path) -> Span {
        self.locate(path, true)
    }

    fn locate(&self, path: &Path, key: bool) -> Span {
        let mut current = path.clone();
        loop {
            if let Some(found) = self.root.find(&current) {
                return if key || current != *path {
                    found.key_or_value_span()
                } else {
                    found.node.span
                };
            }
            match current.parent() {
                Some(parent) => current = parent,
                None => return self.root.span,
            }
        }
    }

    /// Reports `message` about the value at `path` (a dotted path as in the file).
    pub fn at(&mut self, code: Code, path: &Path, message: impl Into<String>) -> &mut Diagnostic {
        let span = self.value_span(path);
        self.push(Diagnostic::new(code, message).at(span).field(path))
    }

    /// Reports `message` about the key at `path`.
    pub fn at_key(&mut self, code: Code, path: &Path, message: impl Into<String>) -> &mut Diagnostic {
        let span = self.key_span(path);
        self.push(Diagnostic::new(code, message).at(span).field(path))
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
}
