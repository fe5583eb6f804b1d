//! Helm's merge of values files (`-f a.yaml -f b.yaml`), on the node tree,
//! so that every key keeps the location of the file that set it last.

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{KeyIndex, Node, Path, Value};

/// Merges `later`, the tree of a later values file, into `base`, as helm
/// merges values files: maps merge key by key, everything else (lists, scalars, null)
/// replaces. Turning a map into a list or scalar, or back, is refused
/// (`merge-conflict`): it is always a mistake in one of the files, and
/// helm's silent choice hides which.
pub(crate) fn overlay(base: &mut Node, later: Node, diagnostics: &mut Vec<Diagnostic>) {
    merge(base, later, &Path::root(), diagnostics);
}

fn merge(base: &mut Node, overlay: Node, path: &Path, diagnostics: &mut Vec<Diagnostic>) {
    let is_map = |n: &Node| matches!(n.value, Value::Map(_));
    match (&mut base.value, overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            let mut index = KeyIndex::default();
            for entry in overlay_entries {
                match index.position(base_entries, &entry.key) {
                    Some(position) => {
                        let existing = &mut base_entries[position];
                        existing.key_span = entry.key_span;
                        let child = path.key(&entry.key);
                        merge(&mut existing.value, entry.value, &child, diagnostics);
                    }
                    None => base_entries.push(entry),
                }
            }
        }
        (_, Value::Null) => *base = Node::new(Value::Null, overlay.span),
        (Value::Null, value) => *base = Node::new(value, overlay.span),
        (_, value) => {
            let overlay = Node::new(value, overlay.span);
            if is_map(base) != is_map(&overlay) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::MergeConflict,
                        format!("`{path}` is {} here but {} in an earlier values file", overlay.kind(), base.kind()),
                    )
                    .at(overlay.span)
                    .related(base.span, "the earlier value")
                    .help("a later file may replace a map only with a map; set `null` first to drop the earlier value"),
                );
            } else {
                *base = overlay;
            }
        }
    }
}
