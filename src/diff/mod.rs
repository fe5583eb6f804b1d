//! `diff`: what applying a render would change, object by object, compared
//! with a YAML stream (a previous render, or `helm get manifest` of a live
//! release).
//!
//! Objects are matched by API group, kind, namespace and name
//! ([`object::Key`]). Each side is normalised first ([`object`]), so that
//! what only looks different (key order, formatting, an empty list for an
//! absent one, `cpu: 1` for `cpu: "1"`) is not a change ([`compare`]).
//! Changed objects are shown as a unified diff of their YAML, each hunk
//! naming the field it changes ([`text`]); nothing secret is printed
//! ([`mask`]). The JSON form lists the same changes field by field. A change
//! the API server would refuse to make to the live object is named, with
//! what to do about it ([`refused`]).

pub mod compare;
pub mod mask;
pub mod object;
pub mod refused;
pub mod sites;
pub mod text;

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use self::mask::Secrets;
use self::object::{Key, Object};
use crate::diagnostic::Colour;
use crate::objects::Manifest;

/// What happens to one object.
#[derive(Debug, Clone)]
pub enum Change {
    /// Only the render has it.
    Added(Value),
    /// Only the stream has it.
    Removed(Value),
    /// Both have it, and it differs; `after` reads like `before` wherever
    /// the two are equivalent ([`compare::reconcile`]). `refused` names the
    /// fields of the change the API server refuses ([`refused::fields`]);
    /// `sites_moved`, what to say when the pods would mount the sites from
    /// another volume ([`sites::moved`]).
    Changed {
        before: Value,
        after: Value,
        refused: Vec<String>,
        sites_moved: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Key,
    pub api_version: String,
    pub change: Change,
}

/// The comparison of a stream (before) with a render (after).
#[derive(Debug)]
pub struct Comparison {
    /// The render's objects that are new or differ, in its order, then the
    /// objects only the stream has, in its order.
    pub entries: Vec<Entry>,
    pub unchanged: usize,
    secrets: Secrets,
}

/// The render's objects as [`Object`]s.
pub fn rendered_objects(manifests: &[Manifest]) -> Vec<Object> {
    manifests
        .iter()
        .map(|manifest| {
            let value = serde_json::to_value(manifest).expect("an object serializes to JSON");
            Object::new(value, None).expect("a rendered object has apiVersion, kind and name")
        })
        .collect()
}

/// The namespace of a render's objects: they all share it, or none has one.
pub fn render_namespace(manifests: &[Manifest]) -> Option<&str> {
    manifests.first().and_then(|m| m.metadata().namespace.as_deref())
}

pub fn compare(before: &[Object], after: &[Object]) -> Comparison {
    let mut secrets = Secrets::default();
    for object in before.iter().chain(after) {
        secrets.collect(&object.value, is_secret(&object.key));
    }
    let before_by_key: HashMap<&Key, &Object> = before.iter().map(|o| (&o.key, o)).collect();
    let mut entries = Vec::new();
    let mut unchanged = 0;
    for object in after {
        let change = match before_by_key.get(&object.key) {
            None => Change::Added(object.value.clone()),
            Some(old) if compare::equivalent(&old.value, &object.value, "", "") => {
                unchanged += 1;
                continue;
            }
            Some(old) => {
                let mut after = object.value.clone();
                compare::reconcile(&mut after, &old.value, "", "");
                Change::Changed {
                    refused: refused::fields(&object.key, &old.value, &after),
                    sites_moved: sites::moved(&object.key, &old.value, &after),
                    before: old.value.clone(),
                    after,
                }
            }
        };
        entries.push(Entry {
            key: object.key.clone(),
            api_version: object.api_version.clone(),
            change,
        });
    }
    let after_keys: std::collections::HashSet<&Key> = after.iter().map(|o| &o.key).collect();
    for object in before.iter().filter(|o| !after_keys.contains(&o.key)) {
        entries.push(Entry {
            key: object.key.clone(),
            api_version: object.api_version.clone(),
            change: Change::Removed(object.value.clone()),
        });
    }
    Comparison {
        entries,
        unchanged,
        secrets,
    }
}

fn is_secret(key: &Key) -> bool {
    key.is("", "Secret")
}

impl Comparison {
    pub fn has_changes(&self) -> bool {
        !self.entries.is_empty()
    }

    fn count(&self, which: fn(&Change) -> bool) -> usize {
        self.entries.iter().filter(|e| which(&e.change)).count()
    }

    /// The changes for people: per object a headline, then the unified diff
    /// of its YAML (every line of it for an object added or removed), then
    /// the counts. Nothing at all when nothing changes.
    pub fn human(&self, colour: Colour) -> String {
        if !self.has_changes() {
            return String::new();
        }
        let mut out = String::new();
        for entry in &self.entries {
            let secret = is_secret(&entry.key);
            let (word, style, body) = match &entry.change {
                Change::Added(value) => (
                    "added",
                    "1;32",
                    text::whole(&text::lines(&self.secrets.mask(value, secret)), '+', colour),
                ),
                Change::Removed(value) => (
                    "removed",
                    "1;31",
                    text::whole(&text::lines(&self.secrets.mask(value, secret)), '-', colour),
                ),
                Change::Changed { before, after, .. } => {
                    let (before, after) = self.secrets.mask_pair(before, after, secret);
                    (
                        "changed",
                        "1;33",
                        text::unified(&text::lines(&before), &text::lines(&after), colour),
                    )
                }
            };
            // The key's names come from the manifest compared with, which may hold anything.
            let key = entry.key.to_string();
            out.push_str(&colour.paint(style, &format!("{word} {}", crate::source::escape_controls(&key))));
            out.push('\n');
            if let Change::Changed { refused, .. } = &entry.change
                && !refused.is_empty()
            {
                let line = format!(
                    "refused: the API server does not change {} of a live {}: {}",
                    refused.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
                    entry.key.kind,
                    refused::advice(&entry.key)
                );
                out.push_str(&colour.paint("1;31", &crate::source::escape_controls(&line)));
                out.push('\n');
            }
            if let Change::Changed {
                sites_moved: Some(moved), ..
            } = &entry.change
            {
                out.push_str(&colour.paint("1;31", &crate::source::escape_controls(&format!("sites: {moved}"))));
                out.push('\n');
            }
            out.push_str(&body);
            out.push('\n');
        }
        out.push_str(&format!(
            "{} changed, {} added, {} removed, {} unchanged\n",
            self.count(|c| matches!(c, Change::Changed { .. })),
            self.count(|c| matches!(c, Change::Added(_))),
            self.count(|c| matches!(c, Change::Removed(_))),
            self.unchanged
        ));
        out
    }

    /// The changes for machines: counts, then each object that changes,
    /// with its changed fields (masked as in [`Comparison::human`]).
    pub fn json(&self) -> String {
        let objects: Vec<JsonObject> = self
            .entries
            .iter()
            .map(|entry| {
                let (change, fields, refused, sites_moved) = match &entry.change {
                    Change::Added(_) => ("added", None, None, None),
                    Change::Removed(_) => ("removed", None, None, None),
                    Change::Changed {
                        before,
                        after,
                        refused,
                        sites_moved,
                    } => {
                        let (before, after) = self.secrets.mask_pair(before, after, is_secret(&entry.key));
                        let fields = compare::field_changes(&before, &after)
                            .into_iter()
                            .map(|f| JsonField {
                                path: f.path.to_string(),
                                before: f.before,
                                after: f.after,
                            })
                            .collect();
                        (
                            "changed",
                            Some(fields),
                            Some(refused).filter(|r| !r.is_empty()),
                            sites_moved.as_deref(),
                        )
                    }
                };
                JsonObject {
                    change,
                    api_version: &entry.api_version,
                    kind: &entry.key.kind,
                    namespace: entry.key.namespace.as_deref(),
                    name: &entry.key.name,
                    fields,
                    refused,
                    sites_moved,
                }
            })
            .collect();
        let report = JsonReport {
            changed: self.has_changes(),
            summary: JsonSummary {
                added: self.count(|c| matches!(c, Change::Added(_))),
                removed: self.count(|c| matches!(c, Change::Removed(_))),
                changed: self.count(|c| matches!(c, Change::Changed { .. })),
                unchanged: self.unchanged,
            },
            objects,
        };
        let mut text = Vec::new();
        crate::formats::write_pretty(&mut text, &report).expect("the report serializes");
        String::from_utf8(text).expect("JSON is UTF-8")
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    changed: bool,
    summary: JsonSummary,
    objects: Vec<JsonObject<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    added: usize,
    removed: usize,
    changed: usize,
    unchanged: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonObject<'a> {
    change: &'static str,
    api_version: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<JsonField>>,
    /// The fields of the change the API server refuses, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<&'a Vec<String>>,
    /// A Deployment whose pods would mount the sites from another volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    sites_moved: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonField {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<Value>,
}
