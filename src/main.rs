//! The binary's edge: parse arguments, read stdin, run, print, choose the
//! exit code. Everything else lives in the library.
//!
//! Exit codes: 0 success (warnings allowed), 1 the values have errors (or
//! warnings under `lint --strict`), 2 usage or I/O problems. `diff` answers
//! as `diff` does: 0 nothing changes, 1 something does, 2 trouble.

#![forbid(unsafe_code)]

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{CommandFactory, FromArgMatches, ValueEnum};

use frappe_manifests::cli::{Cli, ColorWhen, Command, DiffArgs, DiffFormat, LintArgs, ManArgs, RenderArgs, TakeoverArgs, ValuesArgs};
use frappe_manifests::diagnostic::{Colour, render_human};
use frappe_manifests::error::Error;
use frappe_manifests::model::Settings;
use frappe_manifests::pipeline::{self, Input, Outcome, Request};
use frappe_manifests::rule_control::RuleControl;
use frappe_manifests::{argocd, colour, diff, emit, kustomize, lint, output_dir, schema, source, takeover};

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
        bare()
    } else {
        run(parse(&args))
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            print_error(&format!("{error:#}"));
            ExitCode::from(2)
        }
    }
}

/// Parses the command line, with clap's help and usage errors coloured by
/// the same decision as everything else.
fn parse(args: &[std::ffi::OsString]) -> Cli {
    let when = color_flag(args).unwrap_or(ColorWhen::Auto);
    let choice = match colour::decide(when, |name| std::env::var_os(name), io::stdout().is_terminal()) {
        Colour::Ansi => clap::ColorChoice::Always,
        Colour::Plain => clap::ColorChoice::Never,
    };
    let mut command = Cli::command().color(choice);
    // clap names the program in usage lines after the file name of argv[0],
    // which is as much input as any argument.
    if let Some(name) = args.first().and_then(|a| Path::new(a).file_name()) {
        command = command.bin_name(source::escape_controls(&name.to_string_lossy()).into_owned());
    }
    let hostile = args.iter().skip(1).any(|arg| escaped(&arg.to_string_lossy()).is_some());
    let mut matches = command
        .try_get_matches_from(args)
        .unwrap_or_else(|error| exit_with(error, hostile, &hidden_arguments()));
    // `_mut` takes the values out of the matches; `from_arg_matches` would
    // clone them all first.
    Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|error| error.exit())
}

/// Prints a clap error (or help) and exits as clap does. When an argument
/// holds a control or bidirectional character, what clap quotes of the
/// arguments is escaped first, like any other input text
/// ([`source::escape_controls`]): an argument can come from a script, a CI
/// variable or an Argo CD Application's parameters, and `--x\u{1b}]0;…` in
/// an "unexpected argument" message must not reach the terminal raw. The
/// quoted values are escaped in clap's context, so its layout and colours
/// stay. Its tips ("to pass '--x' as a value, use '-- --x'") are dropped
/// instead: they quote an argument, or only the `--name` of `--name=value`,
/// inside clap's own styling, where it cannot be told apart. Words that are
/// secrets (`hidden`: the password of `--set dbRootPassword hunter2`, which
/// clap finds unexpected) are masked the same way.
fn exit_with(mut error: clap::Error, hostile: bool, hidden: &[String]) -> ! {
    use clap::error::ContextValue;
    if hostile || !hidden.is_empty() {
        let shown = |text: &str| -> Option<String> {
            let masked = hidden
                .iter()
                .fold(text.to_owned(), |text, secret| text.replace(secret.as_str(), source::secrets::MASK));
            let escaped = source::escape_controls(&masked).into_owned();
            (escaped != text).then_some(escaped)
        };
        let rewritten: Vec<_> = error
            .context()
            .filter_map(|(kind, value)| match value {
                ContextValue::String(text) => Some((kind, ContextValue::String(shown(text)?))),
                ContextValue::Strings(texts) if texts.iter().any(|t| shown(t).is_some()) => Some((
                    kind,
                    ContextValue::Strings(texts.iter().map(|t| shown(t).unwrap_or_else(|| t.clone())).collect()),
                )),
                ContextValue::StyledStrs(_) => Some((kind, ContextValue::None)),
                _ => None,
            })
            .collect();
        for (kind, value) in rewritten {
            error.insert(kind, value);
        }
    }
    error.exit()
}

/// `text` escaped, when it has anything to escape.
fn escaped(text: &str) -> Option<String> {
    match source::escape_controls(text) {
        std::borrow::Cow::Owned(escaped) => Some(escaped),
        std::borrow::Cow::Borrowed(_) => None,
    }
}

/// The last `--color WHEN` before `--`, looked at before clap parses the
/// rest, so that clap's own output follows it too. clap then parses and
/// checks it like any option.
fn color_flag(args: &[std::ffi::OsString]) -> Option<ColorWhen> {
    let mut args = args.iter().skip(1).map(|a| a.to_str());
    let mut when = None;
    while let Some(arg) = args.next() {
        let value = match arg {
            Some("--") => break,
            Some("--color") => args.next().flatten(),
            Some(arg) => arg.strip_prefix("--color="),
            None => None,
        };
        if let Some(value) = value {
            when = ColorWhen::from_str(value, false).ok();
        }
    }
    when
}

/// The colour choice of this run, set once from `--color`.
static COLOR: std::sync::OnceLock<ColorWhen> = std::sync::OnceLock::new();

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let _ = COLOR.set(cli.color);
    match cli.command {
        Command::Render(args) => render(args),
        Command::Lint(args) => lint(args),
        Command::Schema => write_stdout(schema::generate_text().as_bytes()),
        Command::Argocd => argocd(),
        Command::Krm => krm(),
        Command::KustomizePlugin(args) => kustomize_plugin(&args.config),
        Command::Diff(args) => diff(args),
        Command::Takeover(args) => takeover(args),
        Command::Explain(args) => match schema::explain(&source::secrets::masked_key_path(&args.key)) {
            Ok(text) => write_stdout(text.as_bytes()),
            Err(error) => {
                print_error(&error.to_string());
                Ok(ExitCode::from(2))
            }
        },
        Command::Completions(args) => write_stdout(completions(args.shell).as_bytes()),
        Command::Man(args) => man(args),
    }
}

/// The completion script for `shell`, by clap_complete.
fn completions(shell: clap_complete::Shell) -> String {
    const BIN: &str = "frappe-manifests";
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    let script = String::from_utf8(script).expect("clap_complete writes UTF-8");
    // clap_complete's bash script (4.6.12) names the state of a subcommand
    // `frappe__manifests__subcmd__render` where it is set and
    // `frappe__subcmd__manifests__subcmd__render` where it is matched, so a
    // hyphenated binary gets no completion after its subcommand
    // (clap-rs/clap#6421). Spelling the matched state as the set one fixes
    // that, and changes nothing once clap_complete does.
    match shell {
        clap_complete::Shell::Bash => script.replace("frappe__subcmd__manifests__subcmd__", "frappe__manifests__subcmd__"),
        _ => script,
    }
}

/// The manual: one page per command, as clap_mangen lays them out
/// (`frappe-manifests.1` lists the commands as `frappe-manifests-render(1)`...).
fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command().disable_help_subcommand(true);
    if let Some(dir) = &args.dir {
        // Made when missing, as an output directory is (`/usr/local/share/man/man1` may be).
        std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(command, dir))
            .with_context(|| format!("cannot write the manual pages into `{}`", dir.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    command.build();
    let page = match &args.command {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
                bail!("`{name}` is not a command; the commands are {}", names.join(", "));
            }
        },
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .context("cannot render the manual page")?;
    write_stdout(&roff)
}

fn settings(args: &ValuesArgs) -> Settings {
    Settings {
        release: args.release.clone(),
        release_source: "`--release`",
        namespace: args.namespace.clone(),
        namespace_source: "`--namespace`",
    }
}

/// The words of this command line that are secrets nothing assigns
/// ([`source::secrets::words_meant_as_secrets`]).
/// Found once: `lint` makes a request per file, and the command line may
/// name thousands.
fn hidden_arguments() -> Vec<String> {
    static HIDDEN: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
        source::secrets::words_meant_as_secrets(&args)
    });
    HIDDEN.clone()
}

/// What every render and lint request takes from the `--set` flags.
fn with_sets(files: Vec<Input>, args: &ValuesArgs) -> Request {
    Request {
        files,
        set_jsons: args.set_jsons.clone(),
        sets: args.sets.clone(),
        set_strings: args.set_strings.clone(),
        set_files: args.set_files.clone(),
        set_literals: args.set_literals.clone(),
        settings: settings(args),
        rules: RuleControl::default(),
        phase: None,
        hidden_arguments: hidden_arguments(),
    }
}

fn render(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let paths: Vec<PathBuf> = args.files.iter().chain(&args.values_files).cloned().collect();
    let request = Request {
        phase: args.phase,
        ..values_request(&paths, &args.values)?
    };
    match &args.output_dir {
        Some(dir) => report_then(pipeline::run(&request), |manifests| {
            output_dir::write(dir, manifests)?;
            Ok(ExitCode::SUCCESS)
        }),
        None => report_then(pipeline::render(&request), |stream| write_stdout(stream.as_bytes())),
    }
}

/// `diff`: exit code 0 when nothing changes, 1 when something does, 2 when
/// either side cannot be had (unreadable input, values with errors).
fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let request = values_request(&args.files, &args.values)?;
    let (name, text) = stream_input(&args.against, "--against", &args.files)?;
    let outcome = pipeline::run(&request);
    print_stderr(&render_human(&outcome.sources, &outcome.diagnostics, stderr_colour()));
    let Some(manifests) = &outcome.manifests else {
        return Ok(ExitCode::from(2));
    };
    let before =
        diff::object::read_stream(&text, diff::render_namespace(manifests)).with_context(|| format!("cannot compare with `{name}`"))?;
    let comparison = diff::compare(&before, &diff::rendered_objects(manifests));
    let printed = match args.format {
        DiffFormat::Human => comparison.human(stdout_colour()),
        DiffFormat::Json => comparison.json(),
    };
    write_stdout(printed.as_bytes())?;
    Ok(ExitCode::from(u8::from(comparison.has_changes())))
}

/// `takeover`: the bundle into the output directory, and the plan on
/// stdout; nothing is written when no plan can be made.
fn takeover(args: TakeoverArgs) -> anyhow::Result<ExitCode> {
    let request = values_request(&args.files, &args.values)?;
    let (name, text) = stream_input(&args.from_helm, "--from-helm", &args.files)?;
    let outcome = pipeline::run(&request);
    print_stderr(&render_human(&outcome.sources, &outcome.diagnostics, stderr_colour()));
    let Some(manifests) = &outcome.manifests else {
        return Ok(failure_code(&outcome));
    };
    let helm = diff::object::read_stream(&text, diff::render_namespace(manifests))
        .with_context(|| format!("cannot read the helm manifest `{name}`"))?;
    let rendered = diff::rendered_objects(manifests);
    let plan = takeover::plan(&takeover::Request {
        rendered: &rendered,
        helm: &helm,
        release: &args.values.release,
        delete_helm_claims: args.delete_helm_pvcs,
    });
    let plan = match plan {
        Ok(plan) => plan,
        Err(refusals) => {
            refusals.iter().for_each(|refusal| print_error(&refusal.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    output_dir::write(&args.output_dir, manifests)?;
    let bundle = std::fs::canonicalize(&args.output_dir).with_context(|| format!("cannot find `{}`", args.output_dir.display()))?;
    write_stdout(plan.script(&bundle, &output_dir::file_names(manifests), &name).as_bytes())
}

/// The render a command describes with `-f`, `--set`, `--release` and `--namespace`.
fn values_request(files: &[PathBuf], values: &ValuesArgs) -> anyhow::Result<Request> {
    let files = files.iter().map(|path| input(path)).collect::<anyhow::Result<_>>()?;
    Ok(with_sets(files, values))
}

/// A YAML stream given with `flag`: its name and text, read within the
/// limit values files have; `-` reads standard input, unless a values
/// file already does.
fn stream_input(path: &Path, flag: &str, values_files: &[PathBuf]) -> anyhow::Result<(String, String)> {
    if path.as_os_str() != "-" {
        let name = source::secrets::masked_name(&path.display().to_string()).into_owned();
        let bytes = pipeline::read_limited_file(path).with_context(|| format!("cannot read `{name}`"))?;
        return Ok((name.clone(), within_limit(bytes, &format!("`{name}`"))?));
    }
    if values_files.iter().any(|f| f.as_os_str() == "-") {
        bail!("`-f -` and `{flag} -` both read standard input; give one of them a file");
    }
    let stdin = io::stdin();
    if stdin.is_terminal() {
        bail!(
            "`{flag} -` reads standard input, which is a terminal; pipe the manifest in (`helm get manifest RELEASE | frappe-manifests ... {flag} -`)"
        );
    }
    let bytes = pipeline::read_limited(stdin, 0).context("cannot read standard input")?;
    Ok(("<stdin>".to_owned(), within_limit(bytes, "standard input")?))
}

/// Prints a render's diagnostics, then hands what it built to `write`.
fn report_then<T>(outcome: Outcome<T>, write: impl FnOnce(&T) -> anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    print_stderr(&render_human(&outcome.sources, &outcome.diagnostics, stderr_colour()));
    match &outcome.manifests {
        Some(built) => write(built),
        None => Ok(failure_code(&outcome)),
    }
}

/// Argo CD's `generate`: diagnostics on stderr (shown in Argo CD's UI), and
/// never an exit code of 0 without objects.
fn argocd() -> anyhow::Result<ExitCode> {
    let app_dir = std::env::current_dir().context("cannot find the application's directory")?;
    let request = argocd::request(|name| std::env::var(name).ok(), &app_dir)?;
    if let Some(warning) = argocd::kube_version_warning(std::env::var("KUBE_VERSION").ok()) {
        print_stderr(&format!("{}\n", source::escape_controls(&warning)));
    }
    let mut outcome = pipeline::run(&request);
    print_stderr(&render_human(&outcome.sources, &outcome.diagnostics, stderr_colour()));
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
    let bytes =
        pipeline::read_limited_file(config).with_context(|| format!("cannot read the generator configuration `{}`", config.display()))?;
    let text = within_limit(bytes, "the generator configuration")?;
    let generated = kustomize::generate(text, &frappe_manifests::node::Path::root(), &load_restrictor()?);
    print_stderr(&render_human(generated.sources(), generated.diagnostics(), stderr_colour()));
    match generated.manifests() {
        Some(manifests) => write_stdout(emit::to_yaml_stream(manifests).as_bytes()),
        None => Ok(ExitCode::from(1)),
    }
}

/// A KRM function: a ResourceList in, a ResourceList (with results) out.
fn krm() -> anyhow::Result<ExitCode> {
    let bytes = pipeline::read_limited(io::stdin(), 0).context("cannot read the ResourceList from standard input")?;
    let input = within_limit(bytes, "the ResourceList on standard input")?;
    krm_reply(&input, kustomize::read_resource_list(&input))
}

fn krm_reply(input: &str, list: Result<serde_json::Value, Error>) -> anyhow::Result<ExitCode> {
    let (output, failed) = kustomize::krm_answer(input, list, &load_restrictor()?);
    write_stdout(output.as_bytes())?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn load_restrictor() -> anyhow::Result<kustomize::LoadRestrictor> {
    let working_dir = std::env::current_dir().context("cannot find the kustomization's directory")?;
    Ok(kustomize::LoadRestrictor::from_env(|name| std::env::var(name).ok(), &working_dir)?)
}

/// How long a bare `frappe-manifests` waits for standard input to go on.
const BARE_INPUT_IDLE: Duration = Duration::from_secs(5);

/// `frappe-manifests` alone, with standard input not a terminal. kustomize
/// runs KRM exec functions so: it writes the whole ResourceList at once and
/// closes standard input. Anything else (no input, an empty pipe, one left
/// open with nothing coming for [`BARE_INPUT_IDLE`], other text) gets the
/// usage, as on a terminal, not a hang or a KRM answer nobody asked for.
fn bare() -> anyhow::Result<ExitCode> {
    let input = read_stdin_unless_idle(BARE_INPUT_IDLE)?;
    let text = input.as_deref().and_then(|bytes| std::str::from_utf8(bytes).ok());
    if let Some((text, list)) = text.and_then(|text| Some((text, kustomize::read_resource_list(text).ok()?))) {
        return krm_reply(text, Ok(list));
    }
    if input.is_some_and(|bytes| !bytes.is_empty()) {
        print_stderr(
            "standard input holds no KRM ResourceList; to render values from standard input, run `frappe-manifests render -f -`\n\n",
        );
    }
    // No subcommand: clap prints the usage and exits with 2.
    run(parse(&std::env::args_os().collect::<Vec<_>>()))
}

/// Standard input to its end, read on a thread of its own, or `None` when
/// nothing comes for `idle`. Stops one byte past the input limit.
fn read_stdin_unless_idle(idle: Duration) -> anyhow::Result<Option<Vec<u8>>> {
    let (chunks, received) = mpsc::channel();
    // Left blocked in `read` when the wait ends; the process exits anyway.
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let chunk = match stdin.read(&mut buffer) {
                Ok(0) => return,
                Ok(n) => Ok(buffer[..n].to_vec()),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => Err(error),
            };
            let failed = chunk.is_err();
            if chunks.send(chunk).is_err() || failed {
                return;
            }
        }
    });
    let mut bytes = Vec::new();
    loop {
        match received.recv_timeout(idle) {
            Ok(chunk) => {
                bytes.extend(chunk.context("cannot read standard input")?);
                ensure_within_limit(&bytes, "standard input")?;
            }
            Err(RecvTimeoutError::Timeout) => return Ok(None),
            Err(RecvTimeoutError::Disconnected) => return Ok(Some(bytes)),
        }
    }
}

/// The text of an input read by [`pipeline::read_limited`], unless it is
/// larger than the limit or not UTF-8.
fn within_limit(bytes: Vec<u8>, what: &str) -> anyhow::Result<String> {
    ensure_within_limit(&bytes, what)?;
    String::from_utf8(bytes).with_context(|| format!("{what} is not UTF-8 text"))
}

fn ensure_within_limit(bytes: &[u8], what: &str) -> anyhow::Result<()> {
    if bytes.len() > source::MAX_INPUT_BYTES {
        bail!("{what} is larger than the {} bytes this tool reads", source::MAX_INPUT_BYTES);
    }
    Ok(())
}

/// `lint FILE…` checks each file as a bench of its own; `lint -f A -f B`
/// checks the one bench the files make together, as `render -f A -f B`
/// would build it. The two forms do not mix: which files layer on which
/// would be a guess.
fn lint(args: LintArgs) -> anyhow::Result<ExitCode> {
    if !args.files.is_empty() && !args.layered.is_empty() {
        bail!(
            "`lint` takes its files either with `-f` (merged into one bench, as `render -f` merges them) or as arguments (each file a bench of its own), not both; got `-f {}` and `{}`",
            args.layered[0].display(),
            args.files[0].display()
        );
    }
    let rules = RuleControl::new(&args.allow, &args.deny)?;
    let benches: Vec<Vec<PathBuf>> = if args.layered.is_empty() {
        args.files.iter().map(|path| vec![path.clone()]).collect()
    } else {
        vec![args.layered.clone()]
    };
    let mut requests = Vec::new();
    for files in &benches {
        let mut request = values_request(files, &args.values)?;
        request.rules = rules.clone();
        requests.push(request);
    }
    let mut stdout = StdoutUntilClosed::default();
    let summary = lint::lint(&requests, args.format, stdout_colour(), &mut stdout).context("cannot write to standard output")?;
    let code = if summary.io_errors {
        2
    } else if summary.errors > 0 || (args.strict && summary.warnings > 0) {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

/// Standard output for a report written piece by piece. A closed pipe
/// (`lint | head`) ends the writing, not the run: the reader has what it
/// wanted, and the exit code still tells about every file.
#[derive(Default)]
struct StdoutUntilClosed {
    closed: bool,
}

impl Write for StdoutUntilClosed {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(bytes.len());
        }
        match io::stdout().lock().write(bytes) {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(bytes.len())
            }
            written => written,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match io::stdout().lock().flush() {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            flushed => flushed,
        }
    }
}

fn failure_code<T>(outcome: &Outcome<T>) -> ExitCode {
    ExitCode::from(if outcome.has_io_errors() { 2 } else { 1 })
}

/// A `-f` argument: a path, or `-` for standard input.
fn input(path: &Path) -> anyhow::Result<Input> {
    if path.as_os_str() != "-" {
        return Ok(Input::Path(path.to_owned()));
    }
    let stdin = io::stdin();
    if stdin.is_terminal() {
        bail!(
            "`-f -` reads the values from standard input, which is a terminal; pipe a file in (`frappe-manifests render -f - < values.yaml`) or pass its path with `-f values.yaml`"
        );
    }
    // Past the limit, the pipeline reports `input-limit`.
    let bytes = pipeline::read_limited(stdin, 0).context("cannot read standard input")?;
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

/// Writes to stderr, ignoring failure. Warnings that cannot be printed (a
/// closed pipe, a full disk) must not cost the user the render, and
/// `eprint!` panics when its write fails.
fn print_stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Prints `error: message`, its control characters escaped: a message may
/// quote a path, a key or a value from the input.
fn print_error(message: &str) {
    print_stderr(&format!("error: {}\n", source::escape_controls(message)));
}

/// Colours for a stream, by [`colour::decide`] with this run's `--color`
/// (`auto` where the command line was not parsed: kustomize's plugin call).
fn colour(terminal: bool) -> Colour {
    colour::decide(*COLOR.get().unwrap_or(&ColorWhen::Auto), |name| std::env::var_os(name), terminal)
}

fn stderr_colour() -> Colour {
    colour(io::stderr().is_terminal())
}

fn stdout_colour() -> Colour {
    colour(io::stdout().is_terminal())
}
