//! The command line, as typed: raw arguments only. Turning them into a
//! [`crate::pipeline::Request`] (reading stdin, resolving the release name)
//! happens in `main.rs`, so these structs stay a plain description of the
//! interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::order::Phase;
use crate::targets;

/// Validate Frappe/ERPNext Helm values against a typed schema and render them
/// into Kubernetes manifests.
#[derive(Debug, Parser)]
#[command(name = "frappe-manifests", version, long_version = targets::LONG_VERSION, propagate_version = true)]
pub struct Cli {
    /// When to colour output (diagnostics, lint's report, help): `auto` colours a
    /// terminal unless NO_COLOR is set, or anything when CLICOLOR_FORCE or FORCE_COLOR is.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

// Each subcommand's arguments are built only when that subcommand runs (or
// when help, completions or the manual need them all): a `render` then
// builds the arguments of one command of eleven.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Render values files into a manifest bundle on stdout, for `kubectl apply -f -`.
    #[command(visible_alias = "template")]
    Render(RenderArgs),
    /// Check values files and report every problem, for CI.
    Lint(LintArgs),
    /// Print the JSON Schema of the values file.
    Schema,
    /// Describe a key of the values file: its type, default and meaning.
    Explain(ExplainArgs),
    /// Argo CD config-management plugin `generate` command (reads Argo CD's environment).
    Argocd,
    /// kustomize KRM function: a ResourceList on stdin, the generated one on stdout.
    Krm,
    /// kustomize legacy exec plugin: render the FrappeBench generator config at CONFIG.
    KustomizePlugin(KustomizePluginArgs),
    /// Print a shell completion script (`source <(frappe-manifests completions bash)`).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a directory.
    Man(ManArgs),
    /// Compare a render with a YAML stream (a previous render, or `helm get manifest RELEASE`).
    /// Exit code 0: nothing changes, 1: something does, 2: an error.
    Diff(DiffArgs),
    /// Write the bundle and print the plan that moves a live Helm release to it.
    Takeover(TakeoverArgs),
}

/// When coloured output is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour a terminal, following NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR and CLICOLOR.
    Auto,
    /// Always colour, whatever the output and the environment.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`render`); the main page without one.
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Option<String>,
    /// Write `frappe-manifests.1` and one `frappe-manifests-<command>.1` per command into DIR.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KustomizePluginArgs {
    /// The generator configuration kustomize passes.
    pub config: PathBuf,
}

// What both render and lint take besides the files. Not a doc comment: clap
// would make it the description of every command that flattens this, once
// the command's deferred arguments are built.
#[derive(Debug, Args)]
pub struct ValuesArgs {
    /// Set a value, as `key.path=value` (`a.b[0].c=x`, `a={x,y}` for a list; commas separate several).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Set a value that stays a string as written (`--set-string image.tag=16`); applied after `--set`.
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_strings: Vec<String>,
    /// Set a value to the content of a file (`--set-file dbRootPassword=db-root.txt`); applied after `--set-string`.
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_files: Vec<String>,
    /// Set a JSON value (`--set-json 'a.b=[{"x":1}]'`; `a=` is null), or merge one JSON object as a values
    /// file (`--set-json '{"a":{"b":1}}'`); applied first, before `--set`.
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_jsons: Vec<String>,
    /// Set one value that stays a string exactly as written, commas, braces and backslashes
    /// included (`--set-literal 'nginx.config=a,b{c}'`); its path has no escapes. Applied last.
    #[arg(long = "set-literal", value_name = "KEY=VALUE")]
    pub set_literals: Vec<String>,
    /// The release name; object names start with `<release>-erpnext`.
    #[arg(long, default_value = "erpnext")]
    pub release: String,
    /// The namespace of every object (wins over `namespace:` in the values).
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A values file, `-` for stdin. Several are merged left to right.
    #[arg(short = 'f', long = "values", value_name = "FILE", required_unless_present = "values_files")]
    pub files: Vec<PathBuf>,
    /// Values files given without `-f`, as `lint` takes them: `render values.yaml prod.yaml`.
    #[arg(value_name = "FILE", conflicts_with = "files")]
    pub values_files: Vec<PathBuf>,
    /// Write one file per object and a kustomization.yaml into DIR instead of stdout. A later render
    /// replaces and removes only the files it wrote there; other files in DIR are left alone, and a
    /// file it did not write is never overwritten.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Only one phase of the upgrade order, for `kubectl apply` a phase at a time: `pre` (what
    /// migrate needs, and the Jobs up to migrate), `main` (the rest), `post` (cache clearing,
    /// after the rollout). The three together are the whole bundle.
    #[arg(long, value_enum, value_name = "PHASE")]
    pub phase: Option<Phase>,
    #[command(flatten)]
    pub values: ValuesArgs,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Values files to check, each on its own as a bench of its own.
    #[arg(value_name = "FILE", required_unless_present = "layered")]
    pub files: Vec<PathBuf>,
    /// A values file of one bench, `-` for stdin: the `-f` files are merged left to right, as
    /// `render` merges them, and checked as one bench. Not with FILE arguments.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub layered: Vec<PathBuf>,
    /// Fail on warnings too (those left after `--allow` and inline allow comments).
    #[arg(long)]
    pub strict: bool,
    /// How to print the problems.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Do not report the rule CODE (a warning, or `unknown-key`); repeatable.
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
    /// Report the warning rule CODE as an error; repeatable.
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,
    #[command(flatten)]
    pub values: ValuesArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A values file, `-` for stdin. Several are merged left to right.
    #[arg(short = 'f', long = "values", value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The YAML stream to compare with, `-` for stdin: a previous render, or what
    /// `helm get manifest RELEASE` prints. Objects without a namespace are taken to be
    /// in the render's.
    #[arg(long, value_name = "FILE")]
    pub against: PathBuf,
    /// How to print the changes.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    #[command(flatten)]
    pub values: ValuesArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A unified diff per object, coloured on a terminal.
    Human,
    /// One JSON document: counts, and each changed object with its changed fields.
    Json,
}

#[derive(Debug, Args)]
pub struct TakeoverArgs {
    /// A values file, `-` for stdin. Several are merged left to right.
    #[arg(short = 'f', long = "values", value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// What `helm get manifest RELEASE -n NAMESPACE` prints for the live release, `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub from_helm: PathBuf,
    /// Where to write the bundle the plan applies, one file per object (as `render --output-dir`).
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Delete the PersistentVolumeClaims only the helm release has, too (their volumes are kept).
    #[arg(long)]
    pub delete_helm_pvcs: bool,
    #[command(flatten)]
    pub values: ValuesArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Compiler-style messages with the source line underlined.
    Human,
    /// One JSON array of problems.
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// SARIF 2.1.0, for code-scanning upload.
    Sarif,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A dotted key, e.g. `worker.gunicorn.autoscaling`.
    pub key: String,
}
