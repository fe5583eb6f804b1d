//! Machine-readable forms of diagnostics for `lint --format`: JSON, GitHub
//! Actions workflow commands, and SARIF 2.1.0. Each prints a diagnostic's
//! texts as [`Diagnostic::shown`] gives them, secrets masked, and its
//! columns as [`Sources::shown_columns`] counts them, on the masked line. The JSON
//! writer here ([`write_pretty`]) is also `diff --format json`'s.

use std::io::{self, Write};

use serde::{Serialize, Serializer};
use serde_json::ser::{Formatter, PrettyFormatter};
use serde_json::{Value as Json, json};

use crate::diagnostic::{Code, Diagnostic, Severity, capped};
use crate::source::{Sources, Span, escape_controls};
use crate::unicode::is_bidi_control;

/// What every format prints of one diagnostic: its location spelled out
/// and its texts as they may be printed. Made as soon as a file is checked,
/// so that `lint` can drop the file's sources and go on with the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The source's name; `None` for problems of the whole run.
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub severity: Severity,
    pub code: Code,
    /// The message, secrets masked.
    pub message: String,
    /// The help, secrets masked.
    pub help: Option<String>,
}

impl Record {
    pub fn new(sources: &Sources, diagnostic: &Diagnostic) -> Record {
        let shown = diagnostic.shown(sources);
        let (file, line, (column, end_column)) = match diagnostic.span {
            Some(span) => (Some(sources.name(span.file).to_owned()), span.line, sources.shown_columns(span)),
            None => (None, 1, (1, 1)),
        };
        Record {
            file,
            line,
            column,
            end_line: line,
            end_column,
            severity: diagnostic.severity,
            code: diagnostic.code,
            message: shown.message.into_owned(),
            help: shown.help.map(std::borrow::Cow::into_owned),
        }
    }

    /// [`Record::all`] for SARIF: a problem with no place in the input (an
    /// invalid `--release` or `--namespace` from the command line) is placed
    /// at the start of the run's first values file. GitHub's code scanning
    /// refuses a whole SARIF upload when one result has no location
    /// (`locationFromSarifResult: expected at least one location`,
    /// github/codeql-action#2459), although SARIF allows it.
    pub fn all_placed(sources: &Sources, diagnostics: &[Diagnostic]) -> Vec<Record> {
        let mut records = Record::all(sources, diagnostics);
        if let Some(first) = sources.first() {
            for record in records.iter_mut().filter(|r| r.file.is_none()) {
                record.file = Some(sources.name(first).to_owned());
            }
        }
        records
    }

    /// The records of one run's diagnostics, in their order: at most
    /// [`SHOWN_PER_CODE`](crate::diagnostic::SHOWN_PER_CODE) of a code and input, then one record for each
    /// code and input that had more, at the input's start, saying how many
    /// more ([`capped`]).
    pub fn all(sources: &Sources, diagnostics: &[Diagnostic]) -> Vec<Record> {
        let (shown, omitted) = capped(diagnostics);
        let mut records: Vec<Record> = shown.into_iter().map(|d| Record::new(sources, d)).collect();
        records.extend(omitted.iter().map(|omitted| {
            let mut record = match omitted.file {
                Some(file) => Record::new(sources, &Diagnostic::new(omitted.code, "").at(Span::file_start(file))),
                None => Record::new(sources, &Diagnostic::new(omitted.code, "")),
            };
            record.message = omitted.message(sources);
            record
        }));
        records
    }
}

/// One JSON array of `{file, line, column, endLine, endColumn, severity,
/// code, message, help}`, written to `out` one record at a time.
pub fn json(records: &[Record], out: impl Write) -> io::Result<()> {
    write_pretty(out, &Each(records, json_record))
}

fn json_record(r: &Record) -> Json {
    json!({
        "file": r.file,
        "line": r.line,
        "column": r.column,
        "endLine": r.end_line,
        "endColumn": r.end_column,
        "severity": r.severity.as_str(),
        "code": r.code.as_str(),
        "message": r.message,
        "help": r.help,
    })
}

/// GitHub Actions `::error file=…,line=…::message` commands.
pub fn github(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let mut properties = Vec::new();
        if let Some(file) = &r.file {
            properties.push(format!("file={}", escape_property(&escape_controls(file))));
            properties.push(format!("line={}", r.line));
            properties.push(format!("col={}", r.column));
            properties.push(format!("endLine={}", r.end_line));
            properties.push(format!("endColumn={}", r.end_column));
        }
        properties.push(format!("title={}", escape_property(r.code.as_str())));
        let message = match &r.help {
            Some(help) => format!("{}\nhelp: {help}", r.message),
            None => r.message.clone(),
        };
        out.push_str(&format!(
            "::{} {}::{}\n",
            r.severity.as_str(),
            properties.join(","),
            escape_data(&message)
        ));
    }
    out
}

/// Escaping of a workflow command's message, as the Actions toolkit does it.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escaping of a workflow command's property value: the message's, plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A SARIF 2.1.0 log with one rule per code, written to `out` one result
/// at a time.
pub fn sarif(records: &[Record], out: impl Write) -> io::Result<()> {
    let rules: Vec<Json> = Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "shortDescription": { "text": code.summary() },
                "defaultConfiguration": { "level": code.severity().as_str() },
            })
        })
        .collect();
    let tool = json!({ "driver": {
        "name": "frappe-manifests",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    }});
    write_pretty(
        out,
        &SarifLog {
            schema: "https://json.schemastore.org/sarif-2.1.0.json",
            runs: [SarifRun {
                results: Each(records, sarif_result),
                tool,
            }],
            version: "2.1.0",
        },
    )
}

/// The SARIF log's frame. Fields are in the order of their names, as
/// `serde_json` writes the keys of the objects around them.
#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [SarifRun<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
struct SarifRun<'a> {
    results: Each<'a>,
    tool: Json,
}

fn sarif_result(r: &Record) -> Json {
    let text = match &r.help {
        Some(help) => format!("{} (help: {help})", r.message),
        None => r.message.clone(),
    };
    let mut result = json!({
        "ruleId": r.code.as_str(),
        "ruleIndex": Code::ALL.iter().position(|c| *c == r.code),
        "level": r.severity.as_str(),
        "message": { "text": text },
    });
    if let Some(file) = &r.file {
        result["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": { "uri": artifact_uri(file) },
                "region": { "startLine": r.line, "startColumn": r.column, "endLine": r.end_line, "endColumn": r.end_column },
            }
        }]);
    }
    result
}

/// A source's name as SARIF's `artifactLocation.uri`, which is a URI
/// reference (the SARIF 2.1.0 schema's `format: uri-reference`): every byte
/// but RFC 3986's unreserved characters and `/` is percent-encoded, so that a
/// `%`, `#`, `?` or space in a file name reads back as itself (GitHub's
/// upload, github/codeql-action's `resolveUriToFile`, decodes the URI with
/// `decodeURIComponent`, and ends it at no `#`). An absolute path is a
/// `file://` URI.
pub fn artifact_uri(name: &str) -> String {
    let mut uri = String::from(if name.starts_with('/') { "file://" } else { "" });
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// Records serialized as a JSON array, each turned into JSON only when it is
/// written, so the document is never held whole.
struct Each<'a>(&'a [Record], fn(&Record) -> Json);

impl Serialize for Each<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(self.1))
    }
}

/// Writes `value` as pretty-printed JSON and a final line break, flushed
/// (a `BufWriter` dropped unflushed would lose a write error). Every JSON
/// report the tool prints is written here: its strings hold file names and
/// values from the inputs, and a bidirectional control among them is
/// written as a `\uXXXX` escape ([`crate::unicode`]), which JSON readers read
/// back as the character itself.
pub(crate) fn write_pretty(mut out: impl Write, value: &impl Serialize) -> io::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, BidiEscaped::default()))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// serde_json's pretty layout, with each bidirectional control in a string
/// written as an escape, where serde_json writes it as it is.
#[derive(Default)]
struct BidiEscaped(PrettyFormatter<'static>);

impl Formatter for BidiEscaped {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices().filter(|(_, c)| is_bidi_control(*c)) {
            writer.write_all(&fragment.as_bytes()[start..at])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}
