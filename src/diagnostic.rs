//! Problems found in a values file, and how they are shown.
//!
//! Every stage reports through [`Diagnostic`]: the loader (syntax, duplicate
//! keys), the typed deserializer (unknown keys, wrong types) and the model's
//! rules. A diagnostic carries a stable [`Code`] so CI annotations, SARIF rules
//! and the README's rules table all speak of the same thing, and a [`Span`] so
//! it can say exactly where. Stages collect diagnostics instead of stopping at
//! the first, so one run shows everything that is wrong with a file.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::source::{DisplayLocation, Sources, Span};

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
    ($($variant:ident = $name:literal, $severity:ident, $summary:literal;)*) => {
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

            /// One line saying what the rule checks (README table, SARIF rule text).
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    // Structure of the file.
    Io = "io", Error, "The file cannot be read.";
    YamlSyntax = "yaml-syntax", Error, "The file is not valid YAML, or is not a single mapping document.";
    InputLimit = "input-limit", Error, "The input is larger, deeper or more alias-expanded than any values file needs.";
    DuplicateKey = "duplicate-key", Error, "A key appears twice in the same mapping.";
    UnknownKey = "unknown-key", Error, "A key that the schema does not define, including inside embedded Kubernetes types.";
    InvalidType = "invalid-type", Error, "A value of the wrong type (a list where a map is expected, a string where a number is).";
    InvalidValue = "invalid-value", Error, "A value outside what the key accepts: out of range, not one of the allowed words, or not of its form (an image reference, a Secret key, an nginx setting).";
    Yaml11Scalar = "yaml11-scalar", Warning, "An unquoted scalar that other YAML tools read as another type: `on` (a boolean to helm), `16.10` (the number 16.1), `010` (8 to YAML 1.1).";
    MergeConflict = "merge-conflict", Error, "A later values file turns a map into a list or a scalar, or the reverse.";
    InvalidSet = "invalid-set", Error, "A `--set` argument that is not `path=value` with a valid path.";
    // Frappe.
    SchedulerReplicas = "scheduler-replicas", Error, "The scheduler must run exactly one replica: every periodic job would run once per replica.";
    MissingDatabase = "missing-database", Error, "No database host: the database is an external service and `dbHost` must name it.";
    MissingRedis = "missing-redis", Error, "No Redis URL for the cache or the queue: Redis is an external service here.";
    InvalidRedisUrl = "invalid-redis-url", Error, "A Redis URL that is not `redis://` or `rediss://[user:password@]host[:port][/db]`.";
    InClusterService = "in-cluster-service", Error, "An in-cluster database or Redis of the chart is enabled; this tool expects external services.";
    LegacyKey = "legacy-key", Warning, "A key of an older chart version, still accepted under its new name.";
    UnusedKey = "unused-key", Warning, "A chart key that changes nothing here: Frappe v15 and v16 do not read it (`externalRedis.socketio`, `redisSocketIOHost`), or the upgrade order makes it unneeded (`jobs.clearCache.initContainer`).";
    ProbeSite = "probe-site", Error, "An HTTP probe of gunicorn that names no site: Frappe answers 404 to a request for the pod's IP.";
    UnservedAssets = "unserved-assets", Error, "Without nginx, nothing serves `/assets` and `/files`: gunicorn serves neither in production.";
    ConflictingKeys = "conflicting-keys", Error, "A legacy key and its replacement are both set, to different values.";
    GunicornArgs = "gunicorn-args", Error, "`worker.gunicorn.args` mixes gunicorn flags with words that are not flags.";
    MissingSecret = "missing-secret", Error, "A Job needs a password (database root, Administrator) and neither a Secret nor a value gives it.";
    InvalidSchedule = "invalid-schedule", Error, "A backup schedule that is not a cron expression.";
    UnconfirmedRestore = "unconfirmed-restore", Error, "A restore, which overwrites a site's database, whose `confirm` does not name the site.";
    JobConflict = "job-conflict", Warning, "A single-site and a multiple-site Job of the same kind are both enabled; only the single-site one runs.";
    RootContainer = "root-container", Warning, "A helper that runs as root (`fixVolume`, `volumePermissions`), breaking the restricted Pod Security Standard.";
    MissingNamespace = "missing-namespace", Error, "A feature needs the namespace, and neither `--namespace` nor `namespace:` gives one.";
    // Kubernetes API rules.
    ProbeHandlers = "probe-handlers", Error, "A probe must have exactly one handler (exec, httpGet, tcpSocket or grpc).";
    HpaReplicas = "hpa-replicas", Error, "Autoscaling needs `1 <= minReplicas <= maxReplicas`.";
    HpaNeedsRequest = "hpa-needs-request", Error, "A utilization target needs a resource request for that resource.";
    InvalidQuantity = "invalid-quantity", Error, "A resource quantity that Kubernetes cannot parse (`1.5.3Gi`).";
    InvalidName = "invalid-name", Error, "An object name, or the name of an object referred to (a Secret, claim, class, ServiceAccount, Gateway), that Kubernetes rejects: not a DNS label or subdomain, or too long.";
    InvalidHost = "invalid-host", Error, "A host that is not what it must be: an ingress or HTTPRoute host that is not a DNS-1123 subdomain or a `*.` wildcard, a database host that is not a DNS name or IP address.";
    InvalidPath = "invalid-path", Error, "An ingress or HTTPRoute path that is not absolute or could step out of a directory (`/../`, `//`, `%2F`), or an unknown pathType.";
    InvalidPort = "invalid-port", Error, "A port outside 1-65535.";
    InvalidEnvName = "invalid-env-name", Error, "An environment variable name Kubernetes rejects.";
    InvalidAccessMode = "invalid-access-mode", Error, "A PersistentVolumeClaim access mode Kubernetes does not know.";
    InvalidLabel = "invalid-label", Error, "A label or annotation key or value Kubernetes rejects, including taint keys, topology keys and selectors.";
    // Advice.
    RwxBlockStorage = "rwx-block-storage", Warning, "ReadWriteMany asked of a storage class that only offers ReadWriteOnce block volumes.";
    PlaintextPassword = "plaintext-password", Warning, "A password written in the values file; prefer a reference to an existing Secret.";
    ImageTag = "image-tag", Warning, "An image tag that is `latest`, missing or otherwise moves under you.";
    SnippetAnnotation = "snippet-annotation", Warning, "A configuration-snippet annotation, which ingress-nginx rejects unless `allow-snippet-annotations` is on.";
    MissingRequests = "missing-requests", Warning, "A component without CPU and memory requests: the scheduler cannot place it sensibly.";
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

    /// The texts of the diagnostic as the tool prints them, with every secret
    /// of `sources` masked. Every output format prints through this, so a
    /// rule that quotes a value cannot leak it.
    pub fn shown<'a>(&'a self, sources: &Sources) -> Shown<'a> {
        Shown {
            message: sources.redact(&self.message),
            help: self.help.as_deref().map(|help| sources.redact(help)),
            note: self.related.as_deref().map(|(_, note)| sources.redact(note)),
        }
    }
}

/// What of a [`Diagnostic`] may be printed: see [`Diagnostic::shown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown<'a> {
    pub message: Cow<'a, str>,
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

/// Terminal colours for [`render_human`]; `Plain` for pipes, files and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    Plain,
    Ansi,
}

impl Colour {
    /// `text` in the ANSI style `code` (`1;31` is bold red), or as is when plain.
    pub fn paint(self, code: &str, text: &str) -> String {
        match self {
            Colour::Plain => text.to_owned(),
            Colour::Ansi => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }
}

/// Renders diagnostics as rustc and cargo do: a headline with severity and
/// code, the location, the source line with the span underlined, then help.
pub fn render_human(sources: &Sources, diagnostics: &[Diagnostic], colour: Colour) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        render_one(&mut out, sources, diagnostic, colour);
    }
    out
}

fn render_one(out: &mut String, sources: &Sources, d: &Diagnostic, colour: Colour) {
    let (severity_colour, marker) = match d.severity {
        Severity::Error => ("1;31", '^'),
        Severity::Warning => ("1;33", '^'),
    };
    let shown = d.shown(sources);
    let headline = format!("{}[{}]", d.severity.as_str(), d.code.as_str());
    let _ = writeln!(
        out,
        "{}{}",
        colour.paint(severity_colour, &headline),
        colour.paint("1", &format!(": {}", shown.message))
    );
    let gutter_width = [d.span, d.related.as_ref().map(|r| r.0)]
        .iter()
        .flatten()
        .map(|s| s.line.to_string().len())
        .max()
        .unwrap_or(1);
    let pad = " ".repeat(gutter_width);
    let bar = colour.paint("1;34", "|");
    if let Some(span) = d.span {
        let _ = writeln!(out, "{pad}{} {}", colour.paint("1;34", "-->"), DisplayLocation(sources, span));
        write_snippet(out, sources, span, marker, severity_colour, "", &pad, colour);
        if let (Some((related, _)), Some(note)) = (d.related.as_deref(), &shown.note) {
            if related.file != span.file {
                let _ = writeln!(out, "{pad}{} {}", colour.paint("1;34", ":::"), DisplayLocation(sources, *related));
            }
            write_snippet(out, sources, *related, '-', "1;34", note, &pad, colour);
        }
        let _ = writeln!(out, "{pad} {bar}");
    }
    if let Some(help) = &shown.help {
        let _ = writeln!(out, "{pad} {} {}: {help}", colour.paint("1;34", "="), colour.paint("1", "help"));
    }
    out.push('\n');
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
    let bar = colour.paint("1;34", "|");
    let line = sources.shown_line(span);
    let _ = writeln!(out, "{pad} {bar}");
    let number = format!("{:>width$}", span.line, width = pad.len());
    let _ = writeln!(out, "{} {bar} {}", colour.paint("1;34", &number), line.text);
    let before = line.underline_start;
    let underline = marker.to_string().repeat(line.underline_width);
    let label = if label.is_empty() { String::new() } else { format!(" {label}") };
    let _ = writeln!(
        out,
        "{pad} {bar} {}{}",
        " ".repeat(before),
        colour.paint(marker_colour, &format!("{underline}{label}"))
    );
}
