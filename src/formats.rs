//! Machine-readable forms of diagnostics for `lint --format`: JSON, GitHub
//! Actions workflow commands, and SARIF 2.1.0. Each prints a diagnostic's
//! texts as [`Diagnostic::shown`] gives them, secrets masked.

use serde_json::{Value as Json, json};

use crate::diagnostic::{Code, Diagnostic, Shown};
use crate::source::Sources;

/// A diagnostic with its location spelled out and its texts as they may be
/// printed, as every format needs it.
struct Located<'a> {
    diagnostic: &'a Diagnostic,
    shown: Shown<'a>,
    file: Option<&'a str>,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

fn locate<'a>(sources: &'a Sources, diagnostic: &'a Diagnostic) -> Located<'a> {
    let shown = diagnostic.shown(sources);
    match diagnostic.span {
        Some(span) => Located {
            diagnostic,
            shown,
            file: Some(sources.name(span.file)),
            line: span.line,
            column: span.column,
            end_line: span.line,
            end_column: span.end_column(sources).max(span.column + 1),
        },
        None => Located {
            diagnostic,
            shown,
            file: None,
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        },
    }
}

/// One JSON array of `{file, line, column, endLine, endColumn, severity, code, message, help}`.
pub fn json(reports: &[(&Sources, &[Diagnostic])]) -> String {
    let items: Vec<Json> = reports
        .iter()
        .flat_map(|(sources, diagnostics)| diagnostics.iter().map(move |d| locate(sources, d)))
        .map(|l| {
            json!({
                "file": l.file,
                "line": l.line,
                "column": l.column,
                "endLine": l.end_line,
                "endColumn": l.end_column,
                "severity": l.diagnostic.severity.as_str(),
                "code": l.diagnostic.code.as_str(),
                "message": l.shown.message,
                "help": l.shown.help,
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).expect("JSON values serialize");
    out.push('\n');
    out
}

/// GitHub Actions `::error file=…,line=…::message` commands.
pub fn github(reports: &[(&Sources, &[Diagnostic])]) -> String {
    let mut out = String::new();
    for (sources, diagnostics) in reports {
        for l in diagnostics.iter().map(|d| locate(sources, d)) {
            let mut properties = Vec::new();
            if let Some(file) = l.file {
                properties.push(format!("file={}", escape_property(file)));
                properties.push(format!("line={}", l.line));
                properties.push(format!("col={}", l.column));
                properties.push(format!("endLine={}", l.end_line));
                properties.push(format!("endColumn={}", l.end_column));
            }
            properties.push(format!("title={}", escape_property(l.diagnostic.code.as_str())));
            let message = match &l.shown.help {
                Some(help) => format!("{}\nhelp: {help}", l.shown.message),
                None => l.shown.message.to_string(),
            };
            out.push_str(&format!(
                "::{} {}::{}\n",
                l.diagnostic.severity.as_str(),
                properties.join(","),
                escape_data(&message)
            ));
        }
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

/// A SARIF 2.1.0 log with one rule per code.
pub fn sarif(reports: &[(&Sources, &[Diagnostic])]) -> String {
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
    let results: Vec<Json> = reports
        .iter()
        .flat_map(|(sources, diagnostics)| diagnostics.iter().map(move |d| locate(sources, d)))
        .map(|l| {
            let text = match &l.shown.help {
                Some(help) => format!("{} (help: {help})", l.shown.message),
                None => l.shown.message.to_string(),
            };
            let mut result = json!({
                "ruleId": l.diagnostic.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == l.diagnostic.code),
                "level": l.diagnostic.severity.as_str(),
                "message": { "text": text },
            });
            if let Some(file) = l.file {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file },
                        "region": { "startLine": l.line, "startColumn": l.column, "endLine": l.end_line, "endColumn": l.end_column },
                    }
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "frappe-manifests",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).expect("JSON values serialize");
    out.push('\n');
    out
}
