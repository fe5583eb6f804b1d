//! `lint`: many benches, each checked on its own, reported in the order
//! they were given. A bench is one values file (`lint FILE…`) or the files
//! `-f` layers into one (`lint -f base.yaml -f prod.yaml`); its diagnostics
//! point into the file, or the `--set` argument, each value comes from.
//!
//! Files are checked on every core at once, each through
//! [`pipeline::check`], which verifies the objects without keeping them.
//! A checked file leaves only what the output needs of it: for human and
//! GitHub output its text, written as soon as every file before it has been
//! written; for JSON and SARIF, which are one document for the whole run, its
//! diagnostics as [`Record`]s. Its sources and everything built from them
//! are dropped at once, so the memory a run needs does not grow with the
//! number of files, only with the number of diagnostics JSON and SARIF hold.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::cli::Format;
use crate::diagnostic::{Colour, Severity, render_human};
use crate::formats::{self, Record};
use crate::pipeline::{self, Outcome, Request};

/// What a lint run found, over all files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Benches checked: requests.
    pub benches: usize,
    /// Values files read for them.
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Some input could not be read (an `io` diagnostic).
    pub io_errors: bool,
}

/// Checks each request on its own and writes the report to `out` in
/// `format` (human text in `colour`), in the order of `requests` whatever
/// order the threads finish in. Stops at the first error writing to `out`.
pub fn lint(requests: &[Request], format: Format, colour: Colour, out: &mut impl Write) -> io::Result<Summary> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(requests.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let (checked, received) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let checked = checked.clone();
            let next = &next;
            // Each thread takes the next file no thread has taken. A file
            // that finishes before its turn waits as its text or records,
            // never as its outcome.
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = requests.get(index) else {
                        return;
                    };
                    let file = Checked::new(&pipeline::check(request), request.files.len(), format, colour);
                    if checked.send((index, file)).is_err() {
                        return; // the writer gave up
                    }
                }
            });
        }
        drop(checked);
        let mut report = Report::new(format);
        for (index, file) in received {
            report.arrived(index, file, out)?;
        }
        // A thread that panicked sent nothing for its file: no summary that
        // leaves it out.
        assert_eq!(report.summary.benches, requests.len(), "a lint thread panicked");
        report.finish(out)
    })
}

/// What one checked file leaves for the report.
struct Checked {
    /// The values files the bench was made of.
    files: usize,
    errors: usize,
    warnings: usize,
    io_error: bool,
    shown: Shown,
}

/// A file's diagnostics in the form its output needs.
enum Shown {
    /// Written as it is: human or GitHub text.
    Text(String),
    /// Kept for the one JSON or SARIF document.
    Records(Vec<Record>),
}

impl Checked {
    fn new(outcome: &Outcome<()>, files: usize, format: Format, colour: Colour) -> Checked {
        let (sources, diagnostics) = (&outcome.sources, outcome.diagnostics.as_slice());
        let shown = match format {
            Format::Human => Shown::Text(render_human(sources, diagnostics, colour)),
            Format::Github => Shown::Text(formats::github(&Record::all(sources, diagnostics))),
            Format::Json => Shown::Records(Record::all(sources, diagnostics)),
            Format::Sarif => Shown::Records(Record::all_placed(sources, diagnostics)),
        };
        let count = |severity| diagnostics.iter().filter(|d| d.severity == severity).count();
        Checked {
            files,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            io_error: outcome.has_io_errors(),
            shown,
        }
    }
}

/// The report being written: files that finished before their turn wait in
/// `waiting`.
struct Report {
    format: Format,
    summary: Summary,
    waiting: BTreeMap<usize, Checked>,
    records: Vec<Record>,
}

impl Report {
    fn new(format: Format) -> Report {
        Report {
            format,
            summary: Summary::default(),
            waiting: BTreeMap::new(),
            records: Vec::new(),
        }
    }

    /// Takes the file at `index`, and writes every file whose turn has come.
    fn arrived(&mut self, index: usize, file: Checked, out: &mut impl Write) -> io::Result<()> {
        self.waiting.insert(index, file);
        while let Some(file) = self.waiting.remove(&self.summary.benches) {
            self.summary.benches += 1;
            self.summary.files += file.files;
            self.summary.errors += file.errors;
            self.summary.warnings += file.warnings;
            self.summary.io_errors |= file.io_error;
            match file.shown {
                Shown::Text(text) => {
                    out.write_all(text.as_bytes())?;
                    out.flush()?;
                }
                Shown::Records(records) => self.records.extend(records),
            }
        }
        Ok(())
    }

    fn finish(self, out: &mut impl Write) -> io::Result<Summary> {
        let Summary {
            benches,
            files,
            errors,
            warnings,
            ..
        } = self.summary;
        let checked = if files == benches {
            format!("{files} file(s) checked")
        } else {
            format!("{files} file(s) checked as {benches} bench(es)")
        };
        match self.format {
            Format::Human => writeln!(out, "{checked}: {errors} error(s), {warnings} warning(s)")?,
            Format::Github => {}
            Format::Json => formats::json(&self.records, io::BufWriter::new(&mut *out))?,
            Format::Sarif => formats::sarif(&self.records, io::BufWriter::new(&mut *out))?,
        }
        out.flush()?;
        Ok(self.summary)
    }
}
