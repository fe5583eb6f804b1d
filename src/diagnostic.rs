//! Problems found in a values file, and how they are shown.
//!
//! Every stage reports through [`Diagnostic`]: the loader (syntax, duplicate
//! keys), the typed deserializer (unknown keys, wrong types) and the model's
//! rules. A diagnostic carries a stable [`Code`] so CI annotations, SARIF rules
//! and the README's rules table all speak of the same thing, and a [`Span`] so
//! it can say exactly where. Stages collect diagnostics instead of stopping at
//! the first, so one run shows everything that is wrong with a file.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{self, Write as _};

use crate::source::{DisplayLocation, FileId, Sources, Span, escape_controls};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $severity:ident, $control:ident, $summary:literal;)*) => {
        /// The stable identifier of a rule. The string form never changes once
        /// released: users filter on it and SARIF uploads key on it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity this rule reports with.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// Whether `--allow` and the inline `# frappe-manifests: allow`
            /// comment may silence the rule (`allowable`), or not because
            /// what it finds would make a broken bundle (`fixed`).
            pub fn allowable(self) -> bool {
                match self { $(Code::$variant => control!($control),)* }
            }

            /// One line saying what the rule checks (README table, SARIF rule text).
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

impl Code {
    /// The code whose string form is `word`.
    pub fn named(word: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == word)
    }
}

/// The control column of the [`codes!`] table.
macro_rules! control {
    (allowable) => {
        true
    };
    (fixed) => {
        false
    };
}

codes! {
    // Structure of the file.
    Io = "io", Error, fixed, "The file cannot be read.";
    YamlSyntax = "yaml-syntax", Error, fixed, "The file is not valid YAML, or is not a single mapping document.";
    InputLimit = "input-limit", Error, fixed, "The input is larger, deeper or more alias-expanded than any values file needs.";
    DuplicateKey = "duplicate-key", Error, fixed, "A key appears twice in the same mapping.";
    UnknownKey = "unknown-key", Error, allowable, "A key that the schema does not define, including inside embedded Kubernetes types.";
    InvalidType = "invalid-type", Error, fixed, "A value of the wrong type (a list where a map is expected, a string where a number is).";
    InvalidValue = "invalid-value", Error, fixed, "A value outside what the key accepts: out of range, not one of the allowed words, or not of its form (an image reference, a Secret key, an nginx setting); or what the API server refuses in an embedded Kubernetes type (an env var with both `value` and `valueFrom`, a request above its limit, an `nvidia.com/gpu` request without an equal limit, a liveness probe's `successThreshold` other than 1, a pod affinity term without `topologyKey`, a negative `runAsUser`, a path mounted twice in a container).";
    Yaml11Scalar = "yaml11-scalar", Warning, allowable, "An unquoted scalar that other YAML tools read as another type: `on` (a boolean to helm), `16.10` (the number 16.1), `010` (8 to YAML 1.1).";
    ControlCharacter = "control-character", Warning, allowable, "A string with DEL or a C1 control character (U+0080-U+009F, NEL among them): kustomize turns NEL into a space and refuses the others.";
    MergeConflict = "merge-conflict", Error, fixed, "A later values file turns a map into a list or a scalar, or the reverse.";
    InvalidSet = "invalid-set", Error, fixed, "A `--set`, `--set-string`, `--set-file` or `--set-literal` argument that is not `path=value` with a valid path (or a `{…}` list left open), a `--set-json` argument that is not `path=<JSON>` or one JSON object, or a `--set-file` file that is not UTF-8 text.";
    // Frappe.
    SchedulerReplicas = "scheduler-replicas", Error, fixed, "The scheduler must run exactly one replica: every periodic job would run once per replica.";
    MissingDatabase = "missing-database", Error, fixed, "No database host: the database is an external service and `dbHost` must name it.";
    MissingRedis = "missing-redis", Error, fixed, "No Redis URL for the cache or the queue: Redis is an external service here.";
    InvalidRedisUrl = "invalid-redis-url", Error, fixed, "A Redis URL that is not `redis://` or `rediss://[user:password@]host[:port][/db]`.";
    InClusterService = "in-cluster-service", Error, fixed, "An in-cluster database or Redis of the chart is enabled; this tool expects external services.";
    LegacyKey = "legacy-key", Warning, allowable, "A key of an older chart version, still accepted under its new name.";
    UnusedKey = "unused-key", Warning, allowable, "A key that changes nothing: one Frappe v15 and v16 do not read (`externalRedis.socketio`, `redisSocketIOHost`), a probe under the chart's `override: false`, an `existingClaim` under `enabled: false`, one the upgrade order makes unneeded (`jobs.clearCache.initContainer`, `.serviceAccountName`), or `jobs.custom.resources` (each container takes its own).";
    ChartOnlyKey = "chart-only-key", Warning, allowable, "A key of the official chart that this tool ignores on purpose (`worker.healthProbe`); the warning says why.";
    ProbeSite = "probe-site", Error, fixed, "An HTTP probe of gunicorn, or of nginx on a path nginx hands to Frappe, that names no site: Frappe answers 404 to a request for the pod's IP.";
    UnservedAssets = "unserved-assets", Error, fixed, "Without nginx, nothing serves `/assets` and `/files`: gunicorn serves neither in production.";
    ConflictingKeys = "conflicting-keys", Error, fixed, "A legacy key and its replacement are both set, to different values.";
    GunicornArgs = "gunicorn-args", Error, fixed, "`worker.gunicorn.args` mixes gunicorn flags with words that are not flags.";
    MissingSecret = "missing-secret", Error, fixed, "A Job needs a password (database root, Administrator) and neither a Secret nor a value gives it.";
    InvalidSchedule = "invalid-schedule", Error, fixed, "A backup schedule that is not a cron expression.";
    UnconfirmedRestore = "unconfirmed-restore", Error, fixed, "A restore, which overwrites a site's database, whose `confirm` does not name the site.";
    DroppedSite = "dropped-site", Error, fixed, "A site the drop-site Job drops that another Job creates, migrates, backs up or restores: drop-site runs again at every Argo CD sync and every apply after it deleted itself, beside site creation, and drops the site whenever it exists.";
    UnmigratedSite = "unmigrated-site", Error, fixed, "A site a create-site or restore Job makes that the migrate Job does not list: no upgrade would migrate it, and the new image's code would run on its old schema (the migrate Job refuses to start while such a site is on the sites volume).";
    JobConflict = "job-conflict", Warning, allowable, "A single-site and a multiple-site Job of the same kind are both enabled; only the single-site one runs.";
    RootContainer = "root-container", Warning, allowable, "A helper that runs as root (`fixVolume`, `volumePermissions`), breaking the restricted Pod Security Standard.";
    UnsharedSites = "unshared-sites", Error, fixed, "`persistence.worker.enabled: false`: the sites directory becomes an emptyDir, one per pod, so nothing the Jobs write (settings, sites, files) reaches the other pods, and gunicorn serves no site.";
    MissingNamespace = "missing-namespace", Error, fixed, "A feature needs the namespace, and neither `--namespace` nor `namespace:` gives one.";
    // Kubernetes API rules.
    ProbeHandlers = "probe-handlers", Error, fixed, "A probe must have exactly one handler (exec, httpGet, tcpSocket or grpc).";
    HpaReplicas = "hpa-replicas", Error, fixed, "Autoscaling needs `1 <= minReplicas <= maxReplicas`.";
    HpaNeedsRequest = "hpa-needs-request", Error, fixed, "A utilization target needs a resource request for that resource.";
    InvalidQuantity = "invalid-quantity", Error, fixed, "A resource quantity that Kubernetes cannot parse (`1.5.3Gi`).";
    InvalidName = "invalid-name", Error, fixed, "An object name, or the name of an object referred to (a Secret, claim, class, ServiceAccount, Gateway), that Kubernetes rejects: not a DNS label or subdomain, or too long; or a volume name a pod already has.";
    InvalidHost = "invalid-host", Error, fixed, "A host that is not what it must be: an ingress or HTTPRoute host that is not a DNS-1123 subdomain or a `*.` wildcard, a database host that is not a DNS name or IP address.";
    InvalidPath = "invalid-path", Error, fixed, "An ingress or HTTPRoute path that is not absolute or could step out of a directory (`/../`, `//`, `%2F`), or an unknown pathType.";
    InvalidPort = "invalid-port", Error, fixed, "A port outside 1-65535, or a port name Kubernetes rejects (over 15 characters, not lower case, used twice in a container), or a host port two container ports of a pod take.";
    InvalidEnvName = "invalid-env-name", Error, fixed, "An environment variable name Kubernetes rejects.";
    InvalidAccessMode = "invalid-access-mode", Error, fixed, "A PersistentVolumeClaim access mode Kubernetes does not know.";
    InvalidLabel = "invalid-label", Error, fixed, "A label or annotation key or value Kubernetes rejects, including taint keys, topology keys and selectors.";
    // Advice.
    RwxBlockStorage = "rwx-block-storage", Warning, allowable, "ReadWriteMany asked of a storage class that only offers ReadWriteOnce block volumes.";
    PlaintextPassword = "plaintext-password", Warning, allowable, "A password written in the values (a file, `--set`, Argo CD's `set`); prefer a reference to an existing Secret.";
    ImageTag = "image-tag", Warning, allowable, "An image tag that names no release: `latest`, or one starting `latest-` or ending `-latest` (`v16-latest`).";
    SnippetAnnotation = "snippet-annotation", Warning, allowable, "A configuration-snippet annotation, which ingress-nginx rejects unless `allow-snippet-annotations` is on.";
    MissingRequests = "missing-requests", Warning, allowable, "A component without CPU and memory requests: the scheduler cannot place it sensibly.";
    UnadmittedGateway = "unadmitted-gateway", Warning, allowable, "The NetworkPolicy admits only the default ingress-nginx namespace while an HTTPRoute brings the traffic: the Gateway's proxies run elsewhere, and every request is dropped.";
    ClientAddress = "client-address", Warning, allowable, "nginx trusts `X-Forwarded-For` only from 127.0.0.1 behind an Ingress or Gateway: Frappe sees one address for every client, and its per-address limits hit everyone.";
    HttpLiveness = "http-liveness", Warning, allowable, "An HTTP liveness probe that Frappe answers: it fails during every migrate (maintenance mode) and while the database is away, and restarting gunicorn mends neither.";
    UnknownTimeout = "unknown-timeout", Warning, allowable, "gunicorn's timeout is settled only when the pod starts (a `GUNICORN_TIMEOUT` from `valueFrom`, or a `$(VAR)` the kubelet expands): the graceful timeout, the pods' grace period and the `proxy-timeout` check follow only a timeout written in the values.";
    ProxyTimeout = "proxy-timeout", Warning, allowable, "nginx gives up on gunicorn before gunicorn's `--timeout` ends a request: the user gets 504 while the request goes on, and trying again runs it twice.";
    BlockedDrain = "blocked-drain", Warning, allowable, "A component's PodDisruptionBudget allows no eviction at its fewest pods (`maxUnavailable: 0`, or a `minAvailable` of all of them): every node drain and node-pool upgrade that meets one of its pods waits for ever.";
    SocketioSessions = "socketio-sessions", Warning, allowable, "socketio runs more than one pod and nothing keeps a browser on one: socket.io's long-polling requests that reach another pod fail, and realtime updates stop.";
}

/// One problem, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Where the problem is; `None` for problems of the whole run (a missing file).
    pub span: Option<Span>,
    /// The key it is about, as a values path (`worker.gunicorn.replicaCount`),
    /// for formats that point at fields rather than lines (KRM results).
    pub field: Option<String>,
    /// How to fix it, when there is something specific to say.
    pub help: Option<String>,
    /// A second place that explains the first ("first defined here"); boxed
    /// because few diagnostics have one.
    pub related: Option<Box<(Span, String)>>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: code.severity(),
            code,
            message: message.into(),
            span: None,
            field: None,
            help: None,
            related: None,
        }
    }

    pub fn field(mut self, path: &crate::node::Path) -> Self {
        if !path.is_root() {
            self.field = Some(path.to_string());
        }
        self
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn at_opt(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, span: Span, note: impl Into<String>) -> Self {
        self.related = Some(Box::new((span, note.into())));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The texts of the diagnostic as the tool prints them, its key path
    /// among them, with every secret of `sources` masked and every control
    /// character escaped. Every output format prints through this, so a rule
    /// that quotes a value can neither leak it nor drive the terminal with it.
    pub fn shown<'a>(&'a self, sources: &Sources) -> Shown<'a> {
        let about: Vec<Span> = self
            .span
            .into_iter()
            .chain(self.related.as_deref().map(|(span, _)| *span))
            .collect();
        let shown = |text| printable(sources.redact_about(text, &about));
        Shown {
            message: shown(&self.message),
            field: self.field.as_deref().map(shown),
            help: self.help.as_deref().map(shown),
            note: self.related.as_deref().map(|(_, note)| shown(note)),
        }
    }
}

/// `text` with its control characters escaped ([`escape_controls`]): a
/// message may quote a value, and values may hold anything.
fn printable(text: Cow<'_, str>) -> Cow<'_, str> {
    match escape_controls(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => Cow::Owned(escaped),
    }
}

/// What of a [`Diagnostic`] may be printed: see [`Diagnostic::shown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown<'a> {
    pub message: Cow<'a, str>,
    /// The key path: a key may be a secret's text (`nodeSelector: {<a
    /// password>: x}`).
    pub field: Option<Cow<'a, str>>,
    pub help: Option<Cow<'a, str>>,
    /// The note of the related place.
    pub note: Option<Cow<'a, str>>,
}

/// Puts diagnostics in reading order: by file, then position; problems of
/// the whole run first. Sorting makes the output independent of the order in
/// which rules happened to run.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.span.map(|s| (s.file, s.start));
        key(a)
            .cmp(&key(b))
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// The most diagnostics of one code printed for one input; the rest are
/// counted in one line. A file that repeats a mistake ten thousand times
/// shows a few of them and the count, so what is printed stays a small
/// multiple of the input.
pub const SHOWN_PER_CODE: usize = 20;

/// Diagnostics of one code and input that were not printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Omitted {
    /// The input, `None` for problems of the whole run.
    pub file: Option<FileId>,
    pub code: Code,
    pub count: usize,
}

impl Omitted {
    /// The line that stands for them.
    pub fn message(&self, sources: &Sources) -> String {
        let severity = self.code.severity().as_str();
        let file = match self.file {
            Some(file) => format!(" in `{}`", escape_controls(sources.name(file))),
            None => String::new(),
        };
        format!(
            "and {} more `{}` {severity}(s){file}, not shown: only the first {SHOWN_PER_CODE} of a code are",
            self.count,
            self.code.as_str()
        )
    }
}

/// The diagnostics to print, in their order: the first [`SHOWN_PER_CODE`]
/// of each code and input, and how many of each were left out.
pub fn capped(diagnostics: &[Diagnostic]) -> (Vec<&Diagnostic>, Vec<Omitted>) {
    let mut counts: HashMap<(Option<FileId>, Code), usize> = HashMap::new();
    let mut shown = Vec::new();
    let mut omitted: Vec<Omitted> = Vec::new();
    for diagnostic in diagnostics {
        let key = (diagnostic.span.map(|s| s.file), diagnostic.code);
        let count = counts.entry(key).or_default();
        *count += 1;
        if *count <= SHOWN_PER_CODE {
            shown.push(diagnostic);
        } else if let Some(last) = omitted.iter_mut().find(|o| (o.file, o.code) == key) {
            last.count += 1;
        } else {
            omitted.push(Omitted {
                file: key.0,
                code: key.1,
                count: 1,
            });
        }
    }
    (shown, omitted)
}

/// Terminal colours for [`render_human`]; `Plain` for pipes, files and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    Plain,
    Ansi,
}

impl Colour {
    /// `text` in the ANSI style `code` (`1;31` is bold red), or as is when plain.
    pub fn paint(self, code: &str, text: &str) -> String {
        self.painted(code, text).to_string()
    }

    /// [`Colour::paint`] as a value to format: written straight into the
    /// output, without a string of its own.
    pub fn painted<'a, T: fmt::Display>(self, code: &'a str, text: T) -> Painted<'a, T> {
        Painted { colour: self, code, text }
    }
}

/// Text in an ANSI style when the colour is [`Colour::Ansi`]: see [`Colour::painted`].
#[derive(Clone, Copy)]
pub struct Painted<'a, T> {
    colour: Colour,
    code: &'a str,
    text: T,
}

impl<T: fmt::Display> fmt::Display for Painted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.colour {
            Colour::Plain => self.text.fmt(f),
            Colour::Ansi => write!(f, "\x1b[{}m{}\x1b[0m", self.code, self.text),
        }
    }
}

/// Renders diagnostics as rustc and cargo do: a headline with severity and
/// code, the location, the source line with the span underlined, then help.
/// At most [`SHOWN_PER_CODE`] of a code and input are printed ([`capped`]).
pub fn render_human(sources: &Sources, diagnostics: &[Diagnostic], colour: Colour) -> String {
    let mut out = String::new();
    let (shown, omitted) = capped(diagnostics);
    for diagnostic in shown {
        render_one(&mut out, sources, diagnostic, colour);
    }
    for omitted in omitted {
        let _ = writeln!(out, "{}: {}\n", colour.painted("1", "note"), omitted.message(sources));
    }
    out
}

// Each piece is written into `out` as it is formatted (painted pieces
// included), not assembled in strings of its own first.
fn render_one(out: &mut String, sources: &Sources, d: &Diagnostic, colour: Colour) {
    let (severity_colour, marker) = match d.severity {
        Severity::Error => ("1;31", '^'),
        Severity::Warning => ("1;33", '^'),
    };
    let shown = d.shown(sources);
    let _ = writeln!(
        out,
        "{}{}",
        colour.painted(severity_colour, format_args!("{}[{}]", d.severity.as_str(), d.code.as_str())),
        colour.painted("1", format_args!(": {}", shown.message))
    );
    let gutter_width = [d.span, d.related.as_ref().map(|r| r.0)]
        .iter()
        .flatten()
        .map(|s| digits(s.line))
        .max()
        .unwrap_or(1);
    let pad = " ".repeat(gutter_width);
    let bar = colour.painted("1;34", "|");
    if let Some(span) = d.span {
        let _ = writeln!(out, "{pad}{} {}", colour.painted("1;34", "-->"), DisplayLocation(sources, span));
        // The file as a whole (unreadable, or without a key a rule wants)
        // has no line to show.
        if !span.is_file_start() {
            write_snippet(out, sources, span, marker, severity_colour, "", &pad, colour);
            if let (Some((related, _)), Some(note)) = (d.related.as_deref(), &shown.note) {
                if related.file != span.file {
                    let _ = writeln!(out, "{pad}{} {}", colour.painted("1;34", ":::"), DisplayLocation(sources, *related));
                }
                write_snippet(out, sources, *related, '-', "1;34", note, &pad, colour);
            }
            let _ = writeln!(out, "{pad} {bar}");
        }
    }
    if let Some(help) = &shown.help {
        let _ = writeln!(out, "{pad} {} {}: {help}", colour.painted("1;34", "="), colour.painted("1", "help"));
    }
    out.push('\n');
}

/// The number of decimal digits of `n`.
fn digits(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

#[allow(clippy::too_many_arguments)]
fn write_snippet(
    out: &mut String,
    sources: &Sources,
    span: Span,
    marker: char,
    marker_colour: &str,
    label: &str,
    pad: &str,
    colour: Colour,
) {
    let bar = colour.painted("1;34", "|");
    let line = sources.shown_line(span);
    let _ = writeln!(out, "{pad} {bar}");
    let number = format_args!("{:>width$}", span.line, width = pad.len());
    let _ = writeln!(out, "{} {bar} {}", colour.painted("1;34", number), line.text);
    let underline = marker.to_string().repeat(line.underline_width);
    let separator = if label.is_empty() { "" } else { " " };
    let _ = writeln!(
        out,
        "{pad} {bar} {:before$}{}",
        "",
        colour.painted(marker_colour, format_args!("{underline}{separator}{label}")),
        before = line.underline_start
    );
}
