//! `load`: the tree and the spans it gives the texts values files are made
//! of. Every diagnostic's location comes from these spans, so each case pins
//! where a node starts and ends (byte offsets, line, and column counted in
//! characters), and where load's own problems are reported.

use std::fmt::Write;

use frappe_manifests::diagnostic::Diagnostic;
use frappe_manifests::load;
use frappe_manifests::node::{Node, Value};
use frappe_manifests::source::{Sources, Span};

/// `line:column[start..end]`.
fn at(span: Span) -> String {
    format!("{}:{}[{}..{}]", span.line, span.column, span.start, span.end)
}

/// The tree, one node a line, each with its span.
fn outline(node: &Node, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match &node.value {
        Value::Null => writeln!(out, "{pad}null {}", at(node.span)),
        Value::Scalar(s) => writeln!(out, "{pad}{:?}{} {}", s.text, if s.plain { "" } else { " quoted" }, at(node.span)),
        Value::Seq(items) => {
            writeln!(out, "{pad}seq {}", at(node.span)).unwrap();
            items.iter().for_each(|item| outline(item, depth + 1, out));
            Ok(())
        }
        Value::Map(entries) => {
            writeln!(out, "{pad}map {}", at(node.span)).unwrap();
            for entry in entries {
                writeln!(out, "{pad}  key {:?} {}", entry.key, at(entry.key_span)).unwrap();
                outline(&entry.value, depth + 2, out);
            }
            Ok(())
        }
    }
    .unwrap();
}

fn problems(diagnostics: &[Diagnostic], out: &mut String) {
    for d in diagnostics {
        let span = d.span.map(at).unwrap_or_default();
        let related = d.related.as_ref().map(|r| format!(" (related {})", at(r.0))).unwrap_or_default();
        let help = if d.help.is_some() { " (help)" } else { "" };
        writeln!(out, "{:?} {span}{related}{help}", d.code).unwrap();
    }
}

/// What `load` makes of `text`: the tree and its problems, or only problems.
fn loaded(text: &str) -> String {
    let mut sources = Sources::default();
    let file = sources.add("case.yaml", text);
    let mut out = String::new();
    match load::load(&sources, file) {
        Ok((root, diagnostics)) => {
            outline(&root, 0, &mut out);
            problems(&diagnostics, &mut out);
        }
        Err(diagnostics) => {
            out.push_str("no tree\n");
            problems(&diagnostics, &mut out);
        }
    }
    out
}

fn check(cases: &[(&str, &str)]) {
    let mut failures = String::new();
    for (text, expected) in cases {
        let got = loaded(text);
        if got != *expected {
            writeln!(failures, "--- {text:?}\nexpected:\n{expected}got:\n{got}").unwrap();
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// Empty values: a key with nothing after it (or only a comment) is null,
/// located at its colon; an empty list item is null after its dash. A map
/// starts at its first key, the document at the file's start.
#[test]
fn empty_values_are_null_at_their_colon_or_dash() {
    check(&[
        (
            "a: \nb: 1\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    null 1:2[1..1]\n  key \"b\" 2:1[4..5]\n    \"1\" 2:4[7..8]\n",
        ),
        (
            "a: # c\nb: 1\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    null 1:2[1..1]\n  key \"b\" 2:1[7..8]\n    \"1\" 2:4[10..11]\n",
        ),
        (
            "a:\n  - \nb: 1\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    seq 2:3[5..5]\n      null 2:5[7..7]\n  key \"b\" 3:1[8..9]\n    \"1\" 3:4[11..12]\n",
        ),
        (
            "a:\n  b:\n  c: 1\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    map 2:3[5..5]\n      key \"b\" 2:3[5..6]\n        null 2:4[6..6]\n      key \"c\" 3:3[10..11]\n        \"1\" 3:6[13..14]\n",
        ),
        ("a:", "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    null 1:2[1..1]\n"),
        ("", "map 1:1[0..0]\n"),
        ("# only a comment\n", "map 1:1[0..0]\n"),
    ]);
}

/// A quoted scalar's span covers its quotes; its text is unescaped and it is
/// not plain. `~` and `null` are null, `''` is the empty string, a `!!str`
/// scalar is a string located after its tag, and trailing spaces are not part
/// of a plain scalar.
#[test]
fn quoted_scalars_and_nulls() {
    check(&[
        (
            "\"a b\": 1\n'c' : 2\n",
            "map 1:1[0..0]\n  key \"a b\" 1:1[0..5]\n    \"1\" 1:8[7..8]\n  key \"c\" 2:1[9..12]\n    \"2\" 2:7[15..16]\n",
        ),
        (
            "a: \"q \\\" \\n\" # c\nb: 'it''s'\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    \"q \\\" \\n\" quoted 1:4[3..12]\n  key \"b\" 2:1[17..18]\n    \"it's\" quoted 2:4[20..27]\n",
        ),
        (
            "a: ~\nb: null\nc: ''\nd: !!str 1\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    null 1:4[3..4]\n  key \"b\" 2:1[5..6]\n    null 2:4[8..12]\n  key \"c\" 3:1[13..14]\n    \"\" quoted 3:4[16..18]\n  key \"d\" 4:1[19..20]\n    \"1\" quoted 4:10[28..29]\n",
        ),
        ("a: b c  \n", "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    \"b c\" 1:4[3..6]\n"),
    ]);
}

/// One-line flow collections: each bracket's span, and its items'.
#[test]
fn flow_collections() {
    check(&[(
        "a: [1, x y]\nb: {c: d}\nc: []\n",
        "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    seq 1:4[3..4]\n      \"1\" 1:5[4..5]\n      \"x y\" 1:8[7..10]\n  key \"b\" 2:1[12..13]\n    map 2:4[15..16]\n      key \"c\" 2:5[16..17]\n        \"d\" 2:8[19..20]\n  key \"c\" 3:1[22..23]\n    seq 3:4[25..26]\n",
    )]);
}

/// Columns count characters, offsets count bytes; CRLF ends a line.
#[test]
fn columns_count_characters_and_crlf_ends_a_line() {
    check(&[
        (
            "é: x\nb: é y\n",
            "map 1:1[0..0]\n  key \"é\" 1:1[0..2]\n    \"x\" 1:4[4..5]\n  key \"b\" 2:1[6..7]\n    \"é y\" 2:4[9..13]\n",
        ),
        (
            "a: 1\r\nb: 2\r\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    \"1\" 1:4[3..4]\n  key \"b\" 2:1[6..7]\n    \"2\" 2:4[9..10]\n",
        ),
    ]);
}

/// A block scalar is not plain, and its span is its content's lines;
/// an alias is a copy of the anchored node, located at the alias; `<<` merges
/// keys that the mapping does not set itself.
#[test]
fn block_scalars_aliases_and_merge_keys() {
    check(&[
        (
            "a: |\n  text\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    \"text\\n\" quoted 2:3[7..12]\n",
        ),
        (
            "a: &x {k: v}\nb: *x\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    map 1:7[6..7]\n      key \"k\" 1:8[7..8]\n        \"v\" 1:11[10..11]\n  key \"b\" 2:1[13..14]\n    map 2:4[16..18]\n      key \"k\" 1:8[7..8]\n        \"v\" 1:11[10..11]\n",
        ),
        (
            "<<: {a: 1, b: 2}\nb: 3\n",
            "map 1:1[0..0]\n  key \"b\" 2:1[17..18]\n    \"3\" 2:4[20..21]\n  key \"a\" 1:6[5..6]\n    \"1\" 1:9[8..9]\n",
        ),
    ]);
}

/// Problems load reports: a duplicate key (the first kept, the second reported
/// with the first as related), and texts that give no tree.
#[test]
fn load_problems_and_where_they_are_reported() {
    check(&[
        (
            "a: 1\na: 2\n",
            "map 1:1[0..0]\n  key \"a\" 1:1[0..1]\n    \"1\" 1:4[3..4]\nDuplicateKey 2:1[5..6] (related 1:1[0..1]) (help)\n",
        ),
        // The tab itself, one character wide.
        ("a:\n\tb: 1\n", "no tree\nYamlSyntax 2:1[3..4] (help)\n"),
        ("a: b\n\tc: 1\n", "no tree\nYamlSyntax 2:1[5..6] (help)\n"),
        ("a: 1\n---\nb: 2\n", "no tree\nYamlSyntax 2:1[5..8] (help)\n"),
        ("- a\n", "no tree\nYamlSyntax 1:1[0..0]\n"),
        ("a: b: c\n", "no tree\nYamlSyntax 1:5[4..5]\n"),
        ("a: *nothing\n", "no tree\nYamlSyntax 1:4[3..4]\n"),
    ]);
}

/// Each collection holds its own items and entries only, however deep the
/// collections inside it go: a key is a duplicate only within its mapping.
#[test]
fn nested_collections_keep_their_own_entries() {
    check(&[(
        "x: 0\na:\n  x: 1\n  b: [4, {x: 2, y: [3]}]\n  x: 5\n",
        "map 1:1[0..0]\n  key \"x\" 1:1[0..1]\n    \"0\" 1:4[3..4]\n  key \"a\" 2:1[5..6]\n    map 3:3[10..10]\n      key \"x\" 3:3[10..11]\n        \"1\" 3:6[13..14]\n      key \"b\" 4:3[17..18]\n        seq 4:6[20..21]\n          \"4\" 4:7[21..22]\n          map 4:10[24..25]\n            key \"x\" 4:11[25..26]\n              \"2\" 4:14[28..29]\n            key \"y\" 4:17[31..32]\n              seq 4:20[34..35]\n                \"3\" 4:21[35..36]\nDuplicateKey 5:3[42..43] (related 3:3[10..11]) (help)\n",
    )]);
}
