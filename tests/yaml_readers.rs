//! The fast block reader against granit-parser: wherever the block reader
//! reads a text by itself, the tree, every span and every diagnostic must be
//! what granit-parser gives. The fuzz target `pipeline` checks the same on
//! generated inputs.

use std::path::Path;

use frappe_manifests::load::{self, Reader};
use frappe_manifests::source::Sources;

use crate::common::project_root;

/// Loads `text` with both readers; panics when they differ. Returns whether
/// the block reader read it by itself.
fn agree(name: &str, text: &str) -> bool {
    let mut sources = Sources::default();
    let file = sources.add(name, text);
    let block = load::load_with(&sources, file, Reader::BlockFirst);
    let granit = load::load_with(&sources, file, Reader::Granit);
    assert_eq!(block, granit, "the readers differ on {name}:\n{text}");
    load::block_reader_reads(&sources, file)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_readers_agree_on_every_example_and_fixture() {
    let root = project_root();
    let mut files: Vec<_> = ["examples", "tests/fixtures/rules"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root.join(dir)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut read_by_block = Vec::new();
    for path in &files {
        if agree(&path.display().to_string(), &read(path)) {
            read_by_block.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    // The fast path must stay the path: these are read without granit-parser.
    for name in [
        "production.yaml",
        "minimal.yaml",
        "multisite.yaml",
        "direct-ingress.yaml",
        "duplicate-key.yaml",
        "unknown-key.yaml",
    ] {
        assert!(read_by_block.iter().any(|n| n == name), "{name} went to granit-parser");
    }
    let seed = root.join("../shared/reference/scoopjoy-values.yaml");
    if seed.exists() {
        assert!(
            agree("scoopjoy-values.yaml", &read(&seed)),
            "the seed's values went to granit-parser"
        );
    }
}

/// Block YAML, and one-line flow collections, that the fast reader reads
/// itself, with the spans granit-parser gives: where an empty value is,
/// where a sequence starts, what a quoted scalar's or a bracket's span
/// covers.
#[test]
fn the_readers_agree_on_the_block_yaml_the_fast_reader_reads() {
    let cases = [
        "a:\n  - \nb: 1\n",
        "a:\n  - # c\nb: 1\n",
        "a: \nb: 1\n",
        "a: # c\nb: 1\n",
        "a:",
        "a:\n  -",
        "\"a b\": 1\n'c' : 2\n",
        "a:\n  b:\n  c: 1\n",
        "a:\n  - b: 1\n    c:\n  - d\n",
        "a: \"x\" # c\nb: 'y'\n",
        "x: 1 # é, a comment may hold any printable text\ny: 2\n",
        "a:\n- - x\n  - y\n- z\n",
        "a:   \n\n  \n  b: 1\n",
        "a: -1\nb: ?x\nc: :y\nd: x,y\ne: a#b\n",
        "a:\n  -   \n  - b\n",
        "a: x #c\n",
        "<<:\n  a: 1\nb: 2\n",
        "a: 1\na: 2\n",
        "a:\n  - a: 1\n  - b\n  -\n",
        "a:\n  b: 1\n\n# end\n",
        "a: \"q \\\" \\\\ \\n \\t \\/\"\nb: 'it''s'\n",
        "a:\n- b\n- c\nd: e\n",
        "spaced  : v\n\"q\"   : w\n",
        "a: b c  \n",
        "a: ~\nb: null\nc: ''\n",
        "# only a comment first\n\na: 1",
        "a: [1, 2]\nb: {c: d, e: \"f\"}\nc: []\nd: {}\ne:\n  - [x, [y, z]]\n  - {k: [v]}\n",
        "a: [ 1 , 2 ]\nb: { c: d }\nc: [1,2]\nd: {e: 1,f: 2}\n",
        "a: [a b, c] # c\nb: ['x', \"y\"]\nc: [http://x, a:b]\nd: {\"k\": v}\n",
    ];
    for text in cases {
        assert!(agree("case.yaml", text), "the block reader left this to granit-parser:\n{text}");
    }
}

/// Everything else goes to granit-parser, so it reads and reports it.
#[test]
fn the_block_reader_leaves_the_rest_of_yaml_to_granit() {
    let cases = [
        "a: [1, ]\n",
        "a: [1,\n  2]\n",
        "a: {b}\n",
        "a: {b: }\n",
        "a: [b: 1]\n",
        "a: [1] x\n",
        "a: |\n  text\n",
        "a: >\n  text\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "---\na: 1\n",
        "a: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: b\n  c\n",
        "a:\n  b\n",
        "a:\tb\n",
        "a: \"x\n  y\"\n",
        "a: \"\\u0041\"\n",
        "a: é\n",
        "? a\n: b\n",
        "a: b: c\n",
        "- a\n",
        "just text\n",
        "",
        "a: 1\r\nb: 2\r\n",
        "# \u{0} nul in a comment\na: 1\n",
        "k:\n  a: 1\n k2: 2\n",
        "a:\n- # x\n- b\n",
        "a: 1\n  b: 2\n",
    ];
    for text in cases {
        assert!(!agree("case.yaml", text), "the block reader read this itself:\n{text}");
    }
}
