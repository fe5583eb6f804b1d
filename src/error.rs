//! Why a command cannot go on, apart from the values' own problems.
//!
//! Problems in the values are [`crate::diagnostic::Diagnostic`]s: located,
//! collected, shown in every format. What is here stops a command before or
//! after the values are checked: the environment Argo CD or kustomize runs
//! it in, the output directory, a key `explain` does not know. Each variant
//! carries what went wrong as typed fields; its text is for stderr. The
//! binary's edge (`main.rs`) adds context with anyhow.

use std::fmt;
use std::io;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// `ARGOCD_APP_PARAMETERS` is not the JSON array of parameters Argo CD sends.
    ArgocdParameters { source: serde_json::Error },
    /// An Argo CD parameter the plugin would not read: its `name` (control
    /// characters escaped) and what `problem` it has.
    ArgocdParameter { name: String, problem: String },
    /// A values file named by Argo CD's parameters resolves outside the
    /// application's repository.
    OutsideRepository { file: String, root: PathBuf },
    /// Neither the `release` parameter nor `ARGOCD_APP_NAME` names the release.
    NoRelease,
    /// The environment `variable` that lifts kustomize's load restrictor
    /// holds a value kustomize does not know.
    LoadRestrictor { variable: &'static str, value: String },
    /// The KRM function's input is not a ResourceList. `parser` is the first
    /// line of the YAML parser's message, secrets masked, when the input did
    /// not parse.
    NotResourceList { parser: Option<String> },
    /// `explain` of a key the schema does not have: `key` is not among the
    /// keys of `parent` (the top level when `None`). `suggestion` is the
    /// closest of `known`, the keys `parent` has.
    UnknownKey {
        key: String,
        parent: Option<String>,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    /// `explain` of a key whose `[...]` is neither `[]` nor an index.
    ListItemSyntax { segment: String },
    /// `explain` of `key[]` where `key` is not a list.
    NotAList { key: String },
    /// `--output-dir` holds a `kustomization.yaml` this tool did not write.
    ForeignKustomization { dir: PathBuf },
    /// A file `--output-dir` would write exists and was not written by this tool.
    WouldOverwrite { path: PathBuf },
    /// `--output-dir` could not write, read or remove `path`.
    OutputDir { path: PathBuf, source: io::Error },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // serde_json's text of a data error quotes the value it did not
            // expect (`invalid type: string "…"`), and any parameter may
            // carry a password (a `set` map's value): only its place is
            // said. Its syntax errors are fixed texts with a place.
            Error::ArgocdParameters { source } if source.classify() == serde_json::error::Category::Data => write!(
                f,
                "ARGOCD_APP_PARAMETERS is not the JSON array Argo CD sends: the value at line {} column {} is not what a parameter holds \
                 (`name`, and a `string`, an `array` of strings or a `map` of strings)",
                source.line(),
                source.column()
            ),
            Error::ArgocdParameters { source } => {
                write!(f, "ARGOCD_APP_PARAMETERS is not the JSON array Argo CD sends: {source}")
            }
            Error::ArgocdParameter { name, problem } => write!(f, "the Argo CD parameter `{name}` {problem}"),
            Error::OutsideRepository { file, root } => write!(
                f,
                "values file `{file}` is outside the repository (`{}`), through `..` or a symbolic link; values files must be in the application's repository",
                root.display()
            ),
            Error::NoRelease => f.write_str("no release name: set the `release` parameter, or run under Argo CD (ARGOCD_APP_NAME)"),
            Error::LoadRestrictor { variable, value } => write!(
                f,
                "{variable} is `{value}`; it takes kustomize's `LoadRestrictionsRootOnly` (the default) or `LoadRestrictionsNone`"
            ),
            Error::NotResourceList { parser: Some(message) } => write!(f, "the input is not a ResourceList: {message}"),
            Error::NotResourceList { parser: None } => f.write_str("the input is not a ResourceList (a mapping with `kind: ResourceList`)"),
            Error::UnknownKey {
                key,
                parent,
                suggestion,
                known,
            } => {
                match parent {
                    Some(parent) => write!(f, "`{key}` is not a key of `{parent}`; ")?,
                    None => write!(f, "`{key}` is not a key of the top level; ")?,
                }
                match suggestion {
                    Some(best) => write!(f, "did you mean `{best}`?"),
                    None if known.is_empty() => f.write_str("it has no keys"),
                    None => write!(f, "its keys: {}", known.join(", ")),
                }
            }
            Error::ListItemSyntax { segment } => write!(f, "`{segment}`: write a list's items as `[]` or `[0]`"),
            Error::NotAList { key } => write!(f, "`{key}` is not a list"),
            Error::ForeignKustomization { dir } => write!(
                f,
                "refusing to write into `{}`: its kustomization.yaml was not written by `render --output-dir`; choose another directory",
                dir.display()
            ),
            Error::WouldOverwrite { path } => write!(
                f,
                "refusing to overwrite `{}`: it was not written by `render --output-dir`; move it, or choose another directory",
                path.display()
            ),
            Error::OutputDir { path, source } => write!(f, "cannot write `{}`: {source}", path.display()),
        }
    }
}

/// The underlying error's text is part of the message already, so no
/// `source` is given: anyhow's `{:#}` would print it twice.
impl std::error::Error for Error {}
