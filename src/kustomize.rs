//! frappe-manifests as a kustomize generator.
//!
//! The generator's configuration is a small resource of our own:
//!
//! ```yaml
//! apiVersion: frappe-manifests/v1alpha1
//! kind: FrappeBench
//! metadata:
//!   name: erp            # the release name, unless spec.release
//! spec:
//!   valuesFiles: [values.yaml]   # relative to the kustomization
//!   values: {...}                # inline values, applied after the files
//!   set: {image.tag: v16.32.3}   # --set overrides, applied last
//! ```
//!
//! Two ways to run it:
//! * the legacy exec plugin, which `kubectl kustomize --enable-alpha-plugins`
//!   runs offline: the binary installed as
//!   `$KUSTOMIZE_PLUGIN_HOME/frappe-manifests/v1alpha1/frappebench/FrappeBench`
//!   is called with the configuration's path and prints the objects;
//! * a KRM function (standalone kustomize's `exec` functions): a
//!   `config.kubernetes.io/v1` ResourceList on stdin, whose `functionConfig`
//!   is the FrappeBench, comes back with the generated `items` and any
//!   problems as `results`.
//!
//! Values files are read as kustomize reads files: relative to the
//! kustomization's directory, and, under its default load restrictor,
//! only from in or below it, every symbolic link resolved
//! ([`LoadRestrictor`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::de::deserialize_all;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;
use crate::model::Settings;
use crate::node::Path;
use crate::objects::Manifest;
use crate::pipeline::{self, Input, Outcome, Request};
use crate::source::{DisplayLocation, Sources, Span};
use crate::{emit, load};

pub const API_VERSION: &str = "frappe-manifests/v1alpha1";
pub const KIND: &str = "FrappeBench";

/// The generator's configuration.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FrappeBench {
    api_version: String,
    kind: String,
    metadata: Metadata,
    #[serde(default)]
    spec: Spec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    #[allow(dead_code)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Spec {
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    values_files: Vec<String>,
    /// Typed later, by the pipeline, from the document itself (to keep spans).
    #[serde(default)]
    values: Option<IgnoredAny>,
    #[serde(default)]
    set: BTreeMap<String, String>,
}

/// The environment variable that lifts the restriction on where values files
/// come from, set to `LoadRestrictionsNone`, as kustomize's
/// `--load-restrictor LoadRestrictionsNone` lifts kustomize's own.
pub const LOAD_RESTRICTOR_VARIABLE: &str = "FRAPPE_MANIFESTS_LOAD_RESTRICTOR";

/// Where values files may be read from: kustomize's load restrictor. A
/// plugin cannot see kustomize's `--load-restrictor` flag (exec plugins get
/// kustomize's environment, the configuration and its root; KRM functions
/// the environment and a working directory), so the restriction is
/// kustomize's default unless whoever runs kustomize lifts it in the
/// environment ([`LOAD_RESTRICTOR_VARIABLE`]). Files the repository names
/// cannot lift it themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// `LoadRestrictionsRootOnly`: files in or below this directory only.
    RootOnly(PathBuf),
    /// `LoadRestrictionsNone`.
    None,
}

impl LoadRestrictor {
    /// The restrictor kustomize's environment asks for. The root is the
    /// kustomization's directory: `KUSTOMIZE_PLUGIN_CONFIG_ROOT` for exec
    /// plugins, else the working directory kustomize runs the plugin in.
    pub fn from_env(env: impl Fn(&str) -> Option<String>, working_dir: &std::path::Path) -> Result<Self, Error> {
        match env(LOAD_RESTRICTOR_VARIABLE).as_deref() {
            Some("LoadRestrictionsNone") => return Ok(LoadRestrictor::None),
            None | Some("" | "LoadRestrictionsRootOnly") => {}
            Some(other) => {
                return Err(Error::LoadRestrictor {
                    variable: LOAD_RESTRICTOR_VARIABLE,
                    value: other.to_owned(),
                });
            }
        }
        let root = env("KUSTOMIZE_PLUGIN_CONFIG_ROOT")
            .filter(|root| !root.is_empty())
            .map_or_else(|| working_dir.to_owned(), PathBuf::from);
        Ok(LoadRestrictor::RootOnly(std::fs::canonicalize(&root).unwrap_or(root)))
    }

    /// Why `file` may not be read, if it may not: it resolves outside the
    /// root, whether it exists or not ([`crate::source::resolve_path`]). A
    /// file inside that does not exist is left for the reader to report.
    fn refuses(&self, file: &str) -> Option<String> {
        let LoadRestrictor::RootOnly(root) = self else {
            return None;
        };
        let resolved = crate::source::resolve_path(std::path::Path::new(file));
        (!resolved.starts_with(root)).then(|| {
            format!(
                "values file `{file}` is not in or below the kustomization's directory `{}` (kustomize's load restrictor)",
                root.display()
            )
        })
    }
}

/// What the generator produced: the pipeline's outcome, or the problems of
/// the configuration itself.
pub enum Generated {
    Config { sources: Sources, diagnostics: Vec<Diagnostic> },
    Bench(Outcome),
}

impl Generated {
    pub fn sources(&self) -> &Sources {
        match self {
            Generated::Config { sources, .. } => sources,
            Generated::Bench(outcome) => &outcome.sources,
        }
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Generated::Config { diagnostics, .. } => diagnostics,
            Generated::Bench(outcome) => &outcome.diagnostics,
        }
    }

    pub fn manifests(&self) -> Option<&[Manifest]> {
        match self {
            Generated::Config { .. } => None,
            Generated::Bench(outcome) => outcome.manifests.as_deref(),
        }
    }
}

/// What messages call the configuration text kustomize hands the generator:
/// its own copy, written again (the user's comments, lines and layout are
/// gone), so a location in it is found in the user's file by its keys.
fn config_name(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{KIND}/{name} as kustomize passes it"),
        None => format!("{KIND} as kustomize passes it"),
    }
}

/// Whether a source's name is [`config_name`]'s, not a values file's.
fn is_config_text(name: &str) -> bool {
    name.starts_with(KIND) && name.ends_with(" as kustomize passes it")
}

/// Runs the generator on the configuration at `at` in the YAML document
/// `text` (the root for the exec plugin's file, `functionConfig` in a KRM
/// ResourceList). The configuration's values are read from that text as a
/// values file is, quotes and all. Values files are read relative to the
/// working directory, which kustomize sets to the kustomization's, where
/// `restrictor` allows.
pub fn generate(text: String, at: &Path, restrictor: &LoadRestrictor) -> Generated {
    let mut sources = Sources::default();
    let file = sources.add(config_name(None), text.clone());
    let (document, mut diagnostics) = match load::load(&sources, file) {
        Ok(loaded) => loaded,
        Err(diagnostics) => return Generated::Config { sources, diagnostics },
    };
    let Some(root) = document.find(at).map(|found| found.node) else {
        return Generated::Config { sources, diagnostics };
    };
    let metadata_name = match root.find(&Path::parse("metadata.name")).map(|found| &found.node.value) {
        Some(crate::node::Value::Scalar(scalar)) => Some(scalar.text.clone()),
        _ => None,
    };
    let name = config_name(metadata_name.as_deref());
    sources.rename(file, name.clone());
    let (config, typing) = deserialize_all::<FrappeBench>(root);
    diagnostics.extend(typing);
    let Some(config) = config.filter(|_| !diagnostics.iter().any(Diagnostic::is_error)) else {
        return Generated::Config { sources, diagnostics };
    };
    if config.api_version != API_VERSION || config.kind != KIND {
        let span = root.find(&Path::parse("kind")).map(|f| f.node.span);
        diagnostics.push(
            Diagnostic::new(
                crate::diagnostic::Code::InvalidValue,
                format!(
                    "this generator reads `apiVersion: {API_VERSION}` and `kind: {KIND}`, not `{}` `{}`",
                    config.api_version, config.kind
                ),
            )
            .at_opt(span),
        );
        return Generated::Config { sources, diagnostics };
    }
    for (i, file) in config.spec.values_files.iter().enumerate() {
        if let Some(message) = restrictor.refuses(file) {
            let at = Path::parse(&format!("spec.valuesFiles[{i}]"));
            diagnostics.push(
                Diagnostic::new(crate::diagnostic::Code::Io, message)
                    .at_opt(root.find(&at).map(|found| found.node.span))
                    .field(&at)
                    .help(format!(
                        "move the file under the kustomization, or, where kustomize runs with `--load-restrictor LoadRestrictionsNone`, set {LOAD_RESTRICTOR_VARIABLE}=LoadRestrictionsNone in its environment"
                    )),
            );
        }
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Generated::Config { sources, diagnostics };
    }
    let mut files: Vec<Input> = config.spec.values_files.iter().map(|f| Input::Path(PathBuf::from(f))).collect();
    if config.spec.values.is_some() {
        files.push(Input::Embedded {
            name,
            text,
            at: at.key("spec").key("values"),
        });
    }
    let sets = config
        .spec
        .set
        .iter()
        .map(|(key, value)| crate::set::map_entry(key, value))
        .collect();
    let (release, release_source) = match &config.spec.release {
        Some(release) => (release.clone(), "the generator's `spec.release`"),
        None => (config.metadata.name.clone(), "the generator's `metadata.name`"),
    };
    let (namespace, namespace_source) = match &config.spec.namespace {
        Some(namespace) => (Some(namespace.clone()), "the generator's `spec.namespace`"),
        None => (config.metadata.namespace.clone(), "the generator's `metadata.namespace`"),
    };
    Generated::Bench(pipeline::run(&Request {
        files,
        sets,
        settings: Settings {
            release,
            release_source,
            namespace,
            namespace_source,
        },
        ..Default::default()
    }))
}

/// The KRM function: a ResourceList in, a ResourceList out, and whether the
/// generator found errors.
pub fn krm_function(input: &str, restrictor: &LoadRestrictor) -> (String, bool) {
    krm_answer(input, read_resource_list(input), restrictor)
}

/// The ResourceList `input` holds: a mapping whose kind is `ResourceList`,
/// or why it is not one.
pub fn read_resource_list(input: &str) -> Result<Json, Error> {
    // kustomize writes the ResourceList with kyaml (go-yaml v3), whose plain
    // scalars the input items must keep: `on`, `yes` and `y` are text, not
    // YAML 1.1 booleans, and `010` is the integer 8 (go-yaml v3's
    // `resolve`). Read otherwise, a ConfigMap's `on` would come back `true`.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        legacy_octal_numbers: true,
    };
    let list: Json = serde_saphyr::from_str_with_options(input, options).map_err(|error| {
        // The parser's message goes on to quote the input's lines, which may
        // hold the generator's inline values: keep its first line, masked
        // like every diagnostic, its column counted on the masked line as
        // theirs are (a secret before it on the line would tell its length).
        let mut sources = Sources::default();
        let file = sources.add("ResourceList", input);
        let message = error.to_string();
        let mut first_line = message.lines().next().unwrap_or_default().to_owned();
        if let Some(at) = error.location() {
            let number = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            // The parser counts characters from the input's start.
            let start = input
                .char_indices()
                .nth(at.span().offset() as usize)
                .map_or(input.len(), |(i, _)| i);
            let span = Span {
                file,
                start: number(start as u64),
                end: number(start as u64),
                line: number(at.line()),
                column: number(at.column()),
            };
            let (column, _) = sources.shown_columns(span);
            // `line 5 column 38: …`, or `… at line 5, column 38` where the
            // parser shows no snippet (a CR line break).
            first_line = first_line.replacen(&format!("column {}", at.column()), &format!("column {column}"), 1);
        }
        Error::NotResourceList {
            parser: Some(sources.redact(&first_line).into_owned()),
        }
    })?;
    match list.get("kind").and_then(Json::as_str) {
        Some("ResourceList") => Ok(list),
        _ => Err(Error::NotResourceList { parser: None }),
    }
}

/// [`krm_function`]'s answer to what [`read_resource_list`] read from `input`.
pub fn krm_answer(input: &str, list: Result<Json, Error>, restrictor: &LoadRestrictor) -> (String, bool) {
    let list = match list {
        Ok(list) => list,
        Err(error) => {
            return (
                resource_list(&[], Vec::new(), vec![result(Severity::Error, &error.to_string(), None, None)]),
                true,
            );
        }
    };
    let items: Vec<Json> = list.get("items").and_then(Json::as_array).cloned().unwrap_or_default();
    if list.get("functionConfig").is_none_or(Json::is_null) {
        return (
            resource_list(
                &items,
                Vec::new(),
                vec![result(
                    Severity::Error,
                    "the ResourceList has no functionConfig (a FrappeBench)",
                    None,
                    None,
                )],
            ),
            true,
        );
    }
    // The configuration is read from the text kustomize wrote, not from
    // `list`: its values are typed as a values file's are (a plain `010` or
    // `on` is what the chart's values mean by it, and warned about; a quoted
    // one is text), which the YAML reading of the items, kyaml's, would not do.
    let generated = generate(input.to_owned(), &Path::parse("functionConfig"), restrictor);
    let (shown, omitted) = crate::diagnostic::capped(generated.diagnostics());
    let mut results: Vec<Json> = shown
        .into_iter()
        .map(|d| {
            // kustomize's copy of the configuration is no file of the user's.
            let file = d
                .span
                .map(|s| generated.sources().name(s.file).to_owned())
                .filter(|name| !is_config_text(name));
            let shown = d.shown(generated.sources());
            let located = match d.span {
                Some(span) => format!(
                    "[{}] {} ({})",
                    d.code.as_str(),
                    shown.message,
                    DisplayLocation(generated.sources(), span)
                ),
                None => format!("[{}] {}", d.code.as_str(), shown.message),
            };
            let message = match &shown.help {
                Some(help) => format!("{located}; help: {help}"),
                None => located,
            };
            result(d.severity, &message, file.as_deref(), shown.field.as_deref())
        })
        .collect();
    results.extend(omitted.iter().map(|omitted| {
        let file = omitted
            .file
            .map(|file| generated.sources().name(file))
            .filter(|name| !is_config_text(name));
        let message = format!("[{}] {}", omitted.code.as_str(), omitted.message(generated.sources()));
        result(omitted.code.severity(), &message, file, None)
    }));
    let failed = generated.diagnostics().iter().any(Diagnostic::is_error) || generated.manifests().is_none();
    let manifests: Vec<&Manifest> = generated.manifests().map(|m| m.iter().collect()).unwrap_or_default();
    (resource_list(&items, manifests, results), failed)
}

fn result(severity: Severity, message: &str, file: Option<&str>, field: Option<&str>) -> Json {
    let mut result = serde_json::json!({ "message": message, "severity": severity.as_str() });
    if let Some(file) = file {
        result["file"] = serde_json::json!({ "path": file });
    }
    if let Some(field) = field {
        result["field"] = serde_json::json!({ "path": field });
    }
    result
}

#[derive(Serialize)]
#[serde(untagged)]
enum Item<'a> {
    Input(&'a Json),
    Generated(&'a Manifest),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceList<'a> {
    api_version: &'static str,
    kind: &'static str,
    items: Vec<Item<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    results: Vec<Json>,
}

fn resource_list(input: &[Json], generated: Vec<&Manifest>, results: Vec<Json>) -> String {
    let mut items: Vec<Item<'_>> = input.iter().map(Item::Input).collect();
    items.extend(generated.into_iter().map(Item::Generated));
    let list = ResourceList {
        api_version: "config.kubernetes.io/v1",
        kind: "ResourceList",
        items,
        results,
    };
    emit::to_yaml(&list)
}
