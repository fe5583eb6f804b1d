//! The binary's edge: parse arguments, read stdin, run, print, choose the
//! exit code. Everything else lives in the library.
//!
//! Exit codes: 0 success (warnings allowed), 1 the values have errors (or
//! warnings under `lint --strict`), 2 usage or I/O problems.

use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;

use frappe_manifests::cli::{Cli, Command, Format, LintArgs, RenderArgs, ValuesArgs};
use frappe_manifests::diagnostic::{Colour, Severity, render_human};
use frappe_manifests::model::Settings;
use frappe_manifests::pipeline::{self, Input, Outcome, Request};
use frappe_manifests::{argocd, emit, formats, kustomize, output_dir, schema};

#[global_allocator]
static ALLOCATOR: frappe_manifests::alloc::SizeClasses = frappe_manifests::alloc::SizeClasses;

fn main() -> ExitCode {
    // kustomize runs exec plugins by path, as `.../frappebench/FrappeBench CONFIG`,
    // and KRM exec functions with no arguments and a ResourceList on stdin.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let result = if invoked_as.as_deref() == Some(kustomize::KIND) {
        match args.get(1) {
            Some(config) => kustomize_plugin(Path::new(config)),
            None => Err(anyhow::anyhow!(
                "kustomize passes the generator configuration's path as the first argument"
            )),
        }
    } else if args.len() == 1 && !io::stdin().is_terminal() {
        krm()
    } else {
        run(Cli::parse())
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Render(args) => render(args),
        Command::Lint(args) => lint(args),
        Command::Schema => write_stdout(schema::generate_text().as_bytes()),
        Command::Argocd => argocd(),
        Command::Krm => krm(),
        Command::KustomizePlugin(args) => kustomize_plugin(&args.config),
        Command::Explain(args) => match schema::explain(&args.key) {
            Ok(text) => write_stdout(text.as_bytes()),
            Err(message) => {
                eprintln!("error: {message}");
                Ok(ExitCode::from(2))
            }
        },
    }
}

fn settings(args: &ValuesArgs) -> Settings {
    Settings {
        release: args.release.clone(),
        namespace: args.namespace.clone(),
    }
}

fn render(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    for path in &args.files {
        files.push(input(path)?);
    }
    let request = Request {
        files,
        sets: args.values.sets.clone(),
        settings: settings(&args.values),
    };
    match &args.output_dir {
        Some(dir) => report_then(pipeline::run(&request), |manifests| {
            output_dir::write(dir, manifests)?;
            Ok(ExitCode::SUCCESS)
        }),
        None => report_then(pipeline::render(&request), |stream| write_stdout(stream.as_bytes())),
    }
}

/// Prints a render's diagnostics, then hands what it built to `write`.
fn report_then<T>(outcome: Outcome<T>, write: impl FnOnce(&T) -> anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    // The process ends after this one render, so the thousands of small
    // allocations behind the outcome are left to the exit, not freed one
    // by one (that took 3% of a render).
    let outcome = std::mem::ManuallyDrop::new(outcome);
    eprint!("{}", render_human(&outcome.sources, &outcome.diagnostics, stderr_colour()));
    match &outcome.manifests {
        Some(built) => write(built),
        None => Ok(failure_code(&outcome)),
    }
}

/// Argo CD's `generate`: diagnostics on stderr (shown in Argo CD's UI), and
/// never an exit code of 0 without objects.
fn argocd() -> anyhow::Result<ExitCode> {
    let request = argocd::request(|name| std::env::var(name).ok()).map_err(anyhow::Error::msg)?;
    if let Some(warning) = argocd::kube_version_warning(std::env::var("KUBE_VERSION").ok()) {
        eprintln!("{warning}");
    }
    let mut outcome = pipeline::run(&request);
    eprint!("{}", render_human(&outcome.sources, &outcome.diagnostics, Colour::Plain));
    match outcome.manifests.as_mut().filter(|m| !m.is_empty()) {
        Some(manifests) => {
            argocd::annotate(manifests);
            write_stdout(emit::to_yaml_stream(manifests).as_bytes())
        }
        None => Ok(failure_code(&outcome)),
    }
}

/// kustomize's legacy exec plugin: the objects on stdout, problems on stderr.
fn kustomize_plugin(config: &Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(config).with_context(|| format!("cannot read the generator configuration `{}`", config.display()))?;
    let generated = kustomize::generate(&format!("{} generator config", kustomize::KIND), text);
    eprint!("{}", render_human(generated.sources(), generated.diagnostics(), Colour::Plain));
    match generated.manifests() {
        Some(manifests) => write_stdout(emit::to_yaml_stream(manifests).as_bytes()),
        None => Ok(ExitCode::from(1)),
    }
}

/// A KRM function: a ResourceList in, a ResourceList (with results) out.
fn krm() -> anyhow::Result<ExitCode> {
    let mut input = String::new();
    io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the ResourceList from standard input")?;
    let (output, failed) = kustomize::krm_function(&input);
    write_stdout(output.as_bytes())?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn lint(args: LintArgs) -> anyhow::Result<ExitCode> {
    let mut requests = Vec::new();
    for path in &args.files {
        requests.push(Request {
            files: vec![input(path)?],
            sets: args.values.sets.clone(),
            settings: settings(&args.values),
        });
    }
    let outcomes = check_in_parallel(&requests);
    let reports: Vec<_> = outcomes.iter().map(|o| (&o.sources, o.diagnostics.as_slice())).collect();
    let text = match args.format {
        Format::Human => {
            let mut text: String = outcomes
                .iter()
                .map(|o| render_human(&o.sources, &o.diagnostics, stdout_colour()))
                .collect();
            let errors = outcomes
                .iter()
                .flat_map(|o| &o.diagnostics)
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = outcomes
                .iter()
                .flat_map(|o| &o.diagnostics)
                .filter(|d| d.severity == Severity::Warning)
                .count();
            text.push_str(&format!(
                "{} file(s) checked: {errors} error(s), {warnings} warning(s)\n",
                outcomes.len()
            ));
            text
        }
        Format::Json => formats::json(&reports),
        Format::Github => formats::github(&reports),
        Format::Sarif => formats::sarif(&reports),
    };
    write_stdout(text.as_bytes())?;
    let code = if outcomes.iter().any(Outcome::has_io_errors) {
        2
    } else if outcomes.iter().any(Outcome::has_errors) || (args.strict && outcomes.iter().any(|o| !o.diagnostics.is_empty())) {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

/// Checks each request on its own, spread over the available cores.
fn check_in_parallel(requests: &[Request]) -> Vec<Outcome> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(requests.len())
        .max(1);
    if threads == 1 {
        return requests.iter().map(pipeline::run).collect();
    }
    let chunk = requests.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = requests
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(pipeline::run).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a lint thread panicked"))
            .collect()
    })
}

fn failure_code<T>(outcome: &Outcome<T>) -> ExitCode {
    ExitCode::from(if outcome.has_io_errors() { 2 } else { 1 })
}

/// A `-f` argument: a path, or `-` for standard input.
fn input(path: &Path) -> anyhow::Result<Input> {
    if path.as_os_str() != "-" {
        return Ok(Input::Path(path.to_owned()));
    }
    let mut stdin = io::stdin();
    if stdin.is_terminal() {
        bail!(
            "`-f -` reads the values from standard input, which is a terminal; pipe a file in (`frappe-manifests render -f - < values.yaml`) or pass its path with `-f values.yaml`"
        );
    }
    let mut bytes = Vec::new();
    stdin.read_to_end(&mut bytes).context("cannot read standard input")?;
    Ok(Input::Stdin(bytes))
}

/// Writes everything at once. A closed pipe (`render | head`) is not an
/// error: the reader has what it wanted.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(error) => Err(error).context("cannot write to standard output"),
    }
}

fn colour(terminal: bool) -> Colour {
    if terminal && std::env::var_os("NO_COLOR").is_none() {
        Colour::Ansi
    } else {
        Colour::Plain
    }
}

fn stderr_colour() -> Colour {
    colour(io::stderr().is_terminal())
}

fn stdout_colour() -> Colour {
    colour(io::stdout().is_terminal())
}
