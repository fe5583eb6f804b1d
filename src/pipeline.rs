//! The stages in order, for one bench: read and parse every input, merge,
//! apply `--set`, type, build the model, build and verify the objects.
//! [`run`] keeps the objects, [`render`] writes each as it is built, and
//! [`check`] (for `lint`) keeps none.
//!
//! Every stage adds to one list of diagnostics. The run goes as far as it
//! can, so a file with a typo and a bad replica count reports both; it
//! returns objects only when nothing anywhere was an error.

use std::path::PathBuf;

use crate::de::deserialize_all;
use crate::diagnostic::{self, Code, Diagnostic};
use crate::model::{self, Bench, Settings};
use crate::node::{self, Node, Path};
use crate::objects::{self, Manifest};
use crate::order::{self, Phase};
use crate::rule_control::RuleControl;
use crate::source::{MAX_INPUT_BYTES, MAX_RUN_INPUT_BYTES, Sources, Span};
use crate::values::Values;
use crate::{emit, load, merge, set};

/// A values file: a path, or text already read from standard input.
#[derive(Debug, Clone)]
pub enum Input {
    Path(PathBuf),
    Stdin(Vec<u8>),
    /// Values embedded in a larger YAML document, such as a kustomize
    /// generator's `spec.values`. The whole document is registered, so that
    /// locations point into it.
    Embedded {
        name: String,
        text: String,
        at: Path,
    },
}

/// What to check or render.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub files: Vec<Input>,
    /// `--set-json` arguments, applied after the files.
    pub set_jsons: Vec<String>,
    /// `--set` arguments, applied after every `--set-json`, as helm does.
    pub sets: Vec<String>,
    /// `--set-string` arguments, applied after every `--set`.
    pub set_strings: Vec<String>,
    /// `--set-file` arguments, applied after every `--set-string`.
    pub set_files: Vec<String>,
    /// `--set-literal` arguments, applied last.
    pub set_literals: Vec<String>,
    pub settings: Settings,
    /// `--allow`, `--deny`; inline allow comments are honoured whatever it holds.
    pub rules: RuleControl,
    /// Only the objects of this phase of the upgrade order (`render --phase`).
    pub phase: Option<Phase>,
    /// Command-line words that are secrets although nothing assigns them
    /// ([`secrets::words_meant_as_secrets`](crate::source::secrets::words_meant_as_secrets)):
    /// masked wherever they are printed, an input's name included.
    pub hidden_arguments: Vec<String>,
}

/// The result of a run: the objects, or for [`render`] their YAML stream.
#[derive(Debug)]
pub struct Outcome<T = Vec<Manifest>> {
    pub sources: Sources,
    pub diagnostics: Vec<Diagnostic>,
    /// What was built, when no diagnostic is an error.
    pub manifests: Option<T>,
}

impl<T> Outcome<T> {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Whether the failure is about reading input rather than its content.
    pub fn has_io_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.code == Code::Io)
    }
}

/// Checks the request and builds its objects, in install order.
pub fn run(request: &Request) -> Outcome {
    run_with(request, |bench, problems| {
        let mut manifests = objects::build(bench);
        manifests.iter().for_each(|manifest| objects::verify(manifest, problems));
        manifests.retain(|manifest| in_phase(request, manifest));
        manifests
    })
}

/// Whether the request's phase, if it names one, holds the object.
fn in_phase(request: &Request, manifest: &Manifest) -> bool {
    request.phase.is_none_or(|phase| order::place(manifest).phase == phase)
}

/// Checks the request as [`run`] does, without keeping the objects: each is
/// built, verified and dropped at once ([`objects::verify`] looks at one
/// object at a time). What `lint` needs: its memory stays that of one object.
pub fn check(request: &Request) -> Outcome<()> {
    run_with(request, |bench, problems| {
        objects::build_each(bench, |manifest| objects::verify(&manifest, problems));
    })
}

/// Checks the request and writes its objects as one YAML stream.
///
/// Each object is written as soon as it is built and then dropped, so a
/// render never holds the whole bundle as k8s-openapi structs (kilobytes
/// each; they were two thirds of a render's heap). All documents go into one
/// buffer, sized once; the stream then puts them in the order
/// [`objects::build`] gives, so the bytes are the same as
/// `emit::to_yaml_stream(&objects::build(bench))`.
pub fn render(request: &Request) -> Outcome<String> {
    run_with(request, |bench, problems| {
        let mut written = String::with_capacity(emit::STREAM_CAPACITY);
        let mut documents = Vec::with_capacity(32);
        objects::build_each(bench, |manifest| {
            objects::verify(&manifest, problems);
            if !in_phase(request, &manifest) {
                return;
            }
            let (rank, name) = manifest.stream_order();
            let start = written.len();
            emit::write(&mut written, &manifest);
            documents.push(((rank, name.to_owned()), start..written.len()));
        });
        documents.sort_by(|(order_a, _), (order_b, _)| order_a.cmp(order_b));
        emit::stream(&documents.iter().map(|(_, range)| &written[range.clone()]).collect::<Vec<_>>())
    })
}

/// Runs every stage, then `finish` on the model when it could be built;
/// `finish` reports what it finds wrong in the objects to its second argument.
fn run_with<T>(request: &Request, finish: impl FnOnce(Bench, &mut Vec<Diagnostic>) -> T) -> Outcome<T> {
    let mut sources = Sources::default();
    sources.hide(&request.hidden_arguments);
    let mut diagnostics = Vec::new();
    let manifests = stages(request, &mut sources, &mut diagnostics, finish);
    request.rules.apply(&sources, &mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    let manifests = manifests.filter(|_| !diagnostics.iter().any(Diagnostic::is_error));
    Outcome {
        sources,
        diagnostics,
        manifests,
    }
}

fn stages<T>(
    request: &Request,
    sources: &mut Sources,
    diagnostics: &mut Vec<Diagnostic>,
    finish: impl FnOnce(Bench, &mut Vec<Diagnostic>) -> T,
) -> Option<T> {
    // Problems that leave a usable tree (duplicate keys, merge and `--set`
    // conflicts) do not stop the run: typing and the rules still report the
    // rest. An input that could not be read or parsed does.
    let mut merged: Option<Node> = None;
    let mut unusable = false;
    // Every input is read before any is parsed: a run that reads more than
    // it may stops before it has spent time on the rest.
    let mut read_files = Vec::with_capacity(request.files.len());
    for input in &request.files {
        match read(input, sources, diagnostics) {
            Ok(file) => read_files.push((input, file)),
            Err(Unread::OverBudget) => return None,
            Err(Unread::Unusable) => unusable = true,
        }
    }
    for (input, file) in read_files {
        let loaded = match input {
            Input::Embedded { at, .. } => load::load(sources, file).and_then(|(document, problems)| embedded(document, at, problems)),
            _ => load::load(sources, file),
        };
        match loaded {
            Ok((tree, problems)) => {
                diagnostics.extend(problems);
                match merged.as_mut() {
                    None => merged = Some(tree),
                    Some(base) => merge::overlay(base, tree, diagnostics),
                }
            }
            Err(problems) => {
                diagnostics.extend(problems);
                unusable = true;
            }
        }
    }
    if unusable {
        return None;
    }
    let mut root = merged?;
    let mut assigned = 0;
    for flag in set::Flag::IN_HELMS_ORDER {
        let texts = match flag {
            set::Flag::SetJson => &request.set_jsons,
            set::Flag::Set => &request.sets,
            set::Flag::SetString => &request.set_strings,
            set::Flag::SetFile => &request.set_files,
            set::Flag::SetLiteral => &request.set_literals,
        };
        for text in texts {
            let file = sources.add_set_argument(flag, text.clone());
            match set::parse(sources, file, flag) {
                Ok(assignments) => {
                    assigned += assignments.len();
                    if assigned > set::MAX_ASSIGNMENTS {
                        diagnostics.push(set::too_many(sources, file));
                        return None;
                    }
                    for mut assignment in assignments {
                        if flag == set::Flag::SetFile && !read_value_files(&mut assignment, sources, diagnostics) {
                            continue;
                        }
                        set::apply(&mut root, assignment, flag, diagnostics);
                    }
                }
                Err(problem) => diagnostics.push(problem),
            }
        }
    }

    for (span, value) in crate::source::secrets::secret_env_values(&root) {
        sources.add_secret(span, value);
    }
    for (span, word, part) in crate::source::secrets::secret_command_line_values(&root) {
        sources.add_secret_part(span, word, part);
    }
    let (values, typing) = deserialize_all::<Values>(&root);
    diagnostics.extend(typing);
    let (bench, rules) = model::build(values.as_ref()?, &request.settings, &root);
    diagnostics.extend(rules);
    // The model holds all that the objects need: the tree and the typed
    // values go before the objects are built, so a render's heap peaks at
    // the largest of the stages rather than at their sum.
    let file = root.span.file;
    drop((values, root));
    let mut problems = Vec::new();
    let manifests = finish(bench?, &mut problems);
    let clean = problems.is_empty();
    diagnostics.extend(problems.into_iter().map(|d| d.at(Span::file_start(file))));
    clean.then_some(manifests)
}

/// Why an input was not read.
enum Unread {
    /// It cannot be read or is no text; the other inputs are still read.
    Unusable,
    /// The run's inputs would be more than [`MAX_RUN_INPUT_BYTES`] with it.
    OverBudget,
}

/// Reads one input into the sources; reports why it cannot.
fn read(input: &Input, sources: &mut Sources, diagnostics: &mut Vec<Diagnostic>) -> Result<crate::source::FileId, Unread> {
    let (name, bytes) = match input {
        Input::Stdin(bytes) => ("<stdin>".to_owned(), bytes.clone()),
        Input::Embedded { name, text, .. } => (name.clone(), text.clone().into_bytes()),
        Input::Path(path) => {
            let name = path.display().to_string();
            let bytes = read_limited_file(path).map_err(|error| unreadable(path, &name, &error, "a values file"));
            match bytes {
                Ok(bytes) => (name, bytes),
                Err(message) => {
                    let file = sources.add(name, String::new());
                    diagnostics.push(Diagnostic::new(Code::Io, message).at(Span::file_start(file)));
                    return Err(Unread::Unusable);
                }
            }
        }
    };
    if bytes.len() > MAX_INPUT_BYTES {
        // Before decoding: the last character read may be cut in two.
        let file = sources.add(name, String::new());
        diagnostics.push(load::too_large(file));
        return Err(Unread::Unusable);
    }
    if let Some(problem) = over_budget(sources, &name, bytes.len()) {
        let file = sources.add(name, String::new());
        diagnostics.push(problem.at(Span::file_start(file)));
        return Err(Unread::OverBudget);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(name, text)),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&error.as_bytes()[..offset]).into_owned();
            let line = valid.matches('\n').count() as u32 + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            let cut_url = crate::source::secrets::unfinished_url(&valid);
            let file = sources.add(name.clone(), valid);
            if let Some(range) = cut_url {
                // What the file holds of a URL that the invalid byte cuts
                // short, which may be its password without the `@` that
                // would show it is one.
                let value = sources.get(file).text[range.clone()].to_owned();
                sources.add_secret(
                    Span {
                        file,
                        start: range.start as u32,
                        end: range.end as u32,
                        line,
                        column,
                    },
                    &value,
                );
            }
            diagnostics.push(
                Diagnostic::new(
                    Code::YamlSyntax,
                    format!("`{name}` is not UTF-8 text (invalid byte at offset {offset})"),
                )
                .at(Span {
                    file,
                    start: offset as u32,
                    end: offset as u32,
                    line,
                    column,
                })
                .help("values files are UTF-8 YAML; is this the right file?"),
            );
            Err(Unread::Unusable)
        }
    }
}

/// The problem of reading `bytes` more of the input `name` in a run that
/// has read `sources`, when that is more than [`MAX_RUN_INPUT_BYTES`].
fn over_budget(sources: &Sources, name: &str, bytes: usize) -> Option<Diagnostic> {
    let before = sources.total_bytes();
    (before + bytes > MAX_RUN_INPUT_BYTES).then(|| {
        Diagnostic::new(
            Code::InputLimit,
            format!(
                "`{name}` ({bytes} bytes) takes the input of this run past {MAX_RUN_INPUT_BYTES} bytes, the most one run reads: the inputs before it hold {before} bytes"
            ),
        )
        .help("values files are a few kilobytes; does the list name a large file, or one file many times?")
    })
}

/// Replaces each path a `--set-file` assignment names with the file's
/// content, read as values files are (same size limit, UTF-8) and
/// registered as a source of its own, whose secrets are masked when the
/// assignment's key names one. What cannot be read is reported at the path
/// in the argument; `false` when anything could not be.
fn read_value_files(assignment: &mut set::Assignment, sources: &mut Sources, diagnostics: &mut Vec<Diagnostic>) -> bool {
    let secret = crate::source::secrets::path_is_secret(assignment.path.iter().map(|(segment, _)| segment));
    let mut all_read = true;
    for node in assignment.scalars_mut() {
        let node::Value::Scalar(scalar) = &node.value else {
            continue;
        };
        let name = scalar.text.clone();
        let path = std::path::Path::new(&name);
        let problem = match read_limited_file(path) {
            Err(error) => {
                let problem = Diagnostic::new(Code::Io, unreadable(path, &name, &error, "a file"));
                if secret {
                    // `--set-file dbRootPassword=<the password>`: what names
                    // no file under a secret key may be the secret itself.
                    sources.add_secret(node.span, &name);
                    problem.help("`--set-file` takes the path of a file that holds the value (shown masked here, as it may be the password itself); to give the value, use `--set-string`")
                } else {
                    problem
                }
            }
            Ok(bytes) if bytes.len() > MAX_INPUT_BYTES => Diagnostic::new(
                Code::InputLimit,
                format!("`{name}` is larger than the {} bytes this tool reads", MAX_INPUT_BYTES),
            ),
            Ok(bytes) if let Some(problem) = over_budget(sources, &name, bytes.len()) => problem,
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    let file = sources.add_file_value(name, text, secret);
                    let text = &sources.get(file).text;
                    let span = Span {
                        end: text.len() as u32,
                        ..Span::file_start(file)
                    };
                    let value = node::Value::Scalar(node::Scalar {
                        text: text.clone(),
                        plain: false,
                    });
                    *node = Node::new(value, span);
                    continue;
                }
                Err(error) => Diagnostic::new(
                    Code::InvalidSet,
                    format!(
                        "`{name}` is not UTF-8 text (invalid byte at offset {})",
                        error.utf8_error().valid_up_to()
                    ),
                )
                .help("`--set-file` takes a text file, such as a password or an nginx configuration"),
            },
        };
        diagnostics.push(problem.at(node.span));
        all_read = false;
    }
    all_read
}

/// The values map at `at` inside a loaded document; an absent one is empty.
fn embedded(document: Node, at: &Path, problems: Vec<Diagnostic>) -> Result<(Node, Vec<Diagnostic>), Vec<Diagnostic>> {
    let span = document.span;
    match document.find(at) {
        None => Ok((Node::empty_map(span), problems)),
        Some(found) if matches!(found.node.value, node::Value::Map(_) | node::Value::Null) => {
            let values = if matches!(found.node.value, node::Value::Null) {
                Node::empty_map(found.node.span)
            } else {
                found.node.clone()
            };
            Ok((values, problems))
        }
        Some(found) => {
            let mut problems = problems;
            problems.push(
                Diagnostic::new(
                    Code::InvalidType,
                    format!("`{at}` must be a map of values, not {}", found.node.kind()),
                )
                .at(found.node.span)
                .field(at),
            );
            Err(problems)
        }
    }
}

/// Reads a values file in one `read` when its size is known; see [`read_limited`].
pub fn read_limited_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    // A directory opens, and reading it fails; the caller says what it is.
    let size = file.metadata()?.len();
    read_limited(file, size)
}

/// Reads at most one byte past [`MAX_INPUT_BYTES`]: enough to refuse
/// an input larger than any values file could be, without reading it whole
/// (`yes | frappe-manifests render -f -` never ends). `size` is what the
/// input is expected to hold, 0 when unknown.
pub fn read_limited(input: impl std::io::Read, size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let limit = MAX_INPUT_BYTES as u64 + 1;
    // `take` hides the size from `read_to_end`, which would then read in
    // steps from 32 bytes up; the capacity gives it back.
    let mut bytes = Vec::with_capacity(size.min(limit) as usize + 1);
    input.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Why the file at `path` (called `name`), which should be `what`, could
/// not be read.
fn unreadable(path: &std::path::Path, name: &str, error: &std::io::Error, what: &str) -> String {
    if path.is_dir() {
        format!("`{name}` is a directory, not {what}")
    } else {
        format!("cannot read `{name}`: {}", describe_io(error))
    }
}

fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}
