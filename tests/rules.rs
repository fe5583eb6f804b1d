//! One fixture per rule under `tests/fixtures/rules/<code>.yaml`: the rule
//! must fire there, at the place the snapshot shows, with no other error.
//! A second values file `<code>.2.yaml` and `--set` arguments `<code>.set`
//! join the fixture when the rule needs them.

use frappe_manifests::diagnostic::{Code, Colour, Diagnostic, Severity, render_human};
use frappe_manifests::pipeline::{self, Input, Request};

use crate::common::{self, project_root, snapshot_settings};

#[test]
fn every_rule_fires_on_its_fixture() {
    let dir = project_root().join("tests/fixtures/rules");
    for code in Code::ALL.iter().copied().filter(|c| *c != Code::Io) {
        let name = code.as_str();
        let main = dir.join(format!("{name}.yaml"));
        assert!(main.exists(), "rule `{name}` has no fixture at {}", main.display());
        let mut files = vec![Input::Path(main)];
        let second = dir.join(format!("{name}.2.yaml"));
        if second.exists() {
            files.push(Input::Path(second));
        }
        let sets = std::fs::read_to_string(dir.join(format!("{name}.set")))
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default();
        let request = Request {
            files,
            sets,
            settings: Default::default(),
        };
        let outcome = pipeline::run(&request);
        common::assert_streamed_render_matches(&request, &outcome);

        let fired: Vec<Diagnostic> = outcome.diagnostics.iter().filter(|d| d.code == code).cloned().collect();
        assert!(!fired.is_empty(), "`{name}` did not fire; got {:#?}", outcome.diagnostics);
        assert!(fired.iter().all(|d| d.span.is_some()), "`{name}` has no location");
        let others: Vec<_> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.code != code && d.severity == Severity::Error)
            .collect();
        assert!(others.is_empty(), "the fixture of `{name}` has other errors: {others:#?}");
        assert_eq!(
            outcome.manifests.is_some(),
            code.severity() == Severity::Warning,
            "`{name}`: errors block the render, warnings do not"
        );

        let shown = render_human(&outcome.sources, &fired, Colour::Plain).replace(&project_root().display().to_string(), "<root>");
        snapshot_settings().bind(|| insta::assert_snapshot!(format!("rule-{name}"), shown));
    }
}

#[test]
fn a_file_with_many_mistakes_reports_every_one() {
    let values = "\
dbHost: db
externalRedis:
  cache: redis://cache:6379
  queue: redis://queue:6379
worker:
  gunicorn:
    replicas: 3
    resources:
      requets: {cpu: 1}
  scheduler:
    replicaCount: 3
nginx:
  replicaCount: \"2\"
socketio:
  replicaCount: [1]
";
    let outcome = crate::common::check_text(values, &[], "erpnext", None);
    let errors: Vec<(&str, u32)> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code.as_str(), d.span.unwrap().line))
        .collect();
    assert_eq!(
        errors,
        [
            ("unknown-key", 7),
            ("unknown-key", 9),
            ("scheduler-replicas", 11),
            ("invalid-type", 13),
            ("invalid-type", 15)
        ],
        "{}",
        crate::common::human(&outcome)
    );
}

/// Without `serviceAccount.create`, pods run as the named account, or as
/// the namespace's `default` one, as with the chart: never as an account
/// nothing renders.
#[test]
fn pods_run_as_an_account_that_exists() {
    for (service_account, expected) in [
        ("serviceAccount: {create: false}\n", "default"),
        ("serviceAccount: {create: false, name: ''}\n", "default"),
        ("serviceAccount: {create: false, name: erp-runner}\n", "erp-runner"),
        ("serviceAccount: {create: true, name: ''}\n", "erpnext"),
    ] {
        let stream = crate::common::render_text(&format!("{}{service_account}", crate::common::MINIMAL), &[]);
        let docs = crate::common::documents(&stream);
        let gunicorn = crate::common::find(&docs, "Deployment", "erpnext-gunicorn");
        assert_eq!(
            gunicorn["spec"]["template"]["spec"]["serviceAccountName"], expected,
            "{service_account}"
        );
    }
}
