//! Each stage of the pipeline on its own, so that a regression shows where it
//! is: parse (text to node tree), type (tree to values), model (rules and
//! defaults), objects (k8s-openapi structs) and emit (the YAML stream). Run
//! with `cargo bench`; whole-process targets are measured by `scripts/bench`.

#![forbid(unsafe_code)]

use divan::{Bencher, black_box};
use frappe_manifests::de::deserialize_all;
use frappe_manifests::model::{self, Settings};
use frappe_manifests::node::Node;
use frappe_manifests::source::Sources;
use frappe_manifests::values::Values;
use frappe_manifests::{emit, load, objects};

fn main() {
    divan::main();
}

/// The inputs: the examples, and generated benches of many sites.
const INPUTS: &[&str] = &["production", "multisite", "sites-400", "sites-1000"];

fn text(input: &str) -> String {
    match input.strip_prefix("sites-") {
        Some(count) => many_sites(count.parse().unwrap()),
        None => std::fs::read_to_string(format!("{}/examples/{input}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    }
}

/// A bench serving `count` sites: one ingress host each, and each created and
/// migrated by the site Jobs.
pub fn many_sites(count: usize) -> String {
    let mut out = String::from(
        "dbHost: db.internal\ndbExistingSecret: db\nexternalRedis:\n  cache: redis://cache:6379\n  queue: redis://queue:6379\ningress:\n  enabled: true\n  hosts:\n",
    );
    for i in 0..count {
        out.push_str(&format!(
            "    - host: site{i}.example.com\n      paths: [{{path: /, pathType: Prefix}}]\n"
        ));
    }
    out.push_str("jobs:\n  createMultipleSites:\n    enabled: true\n    adminExistingSecret: admin\n    sites:\n");
    for i in 0..count {
        out.push_str(&format!("      - {{name: site{i}.example.com, installApps: [erpnext]}}\n"));
    }
    out.push_str("  migrateMultipleSites:\n    enabled: true\n    sites:\n");
    for i in 0..count {
        out.push_str(&format!("      - name: site{i}.example.com\n"));
    }
    out
}

fn parsed(input: &str) -> Node {
    let mut sources = Sources::default();
    let file = sources.add(input, text(input));
    load::load(&sources, file).unwrap().0
}

fn typed(input: &str) -> (Values, Node) {
    let root = parsed(input);
    (deserialize_all::<Values>(&root).0.unwrap(), root)
}

fn bench_model(input: &str) -> model::Bench {
    let (values, root) = typed(input);
    model::build(&values, &Settings::default(), &root).0.unwrap()
}

#[divan::bench(args = INPUTS)]
fn parse(bencher: Bencher, input: &str) {
    let mut sources = Sources::default();
    let file = sources.add(input, text(input));
    bencher.bench(|| load::load(black_box(&sources), file).unwrap());
}

#[divan::bench(args = INPUTS)]
fn type_values(bencher: Bencher, input: &str) {
    let root = parsed(input);
    bencher.bench(|| deserialize_all::<Values>(black_box(&root)));
}

#[divan::bench(args = INPUTS)]
fn validate(bencher: Bencher, input: &str) {
    let (values, root) = typed(input);
    bencher.bench(|| model::build(black_box(&values), &Settings::default(), &root));
}

#[divan::bench(args = INPUTS)]
fn build_objects(bencher: Bencher, input: &str) {
    let bench = bench_model(input);
    bencher
        .with_inputs(|| bench.clone())
        .bench_values(|bench| objects::build(black_box(bench)));
}

#[divan::bench(args = INPUTS)]
fn emit_stream(bencher: Bencher, input: &str) {
    let manifests = objects::build(bench_model(input));
    bencher.bench(|| emit::to_yaml_stream(black_box(&manifests)));
}
