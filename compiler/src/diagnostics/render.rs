//! Rendering diagnostics: to text through codespan-reporting (plain or coloured), and to
//! one JSON object per diagnostic for tools.

use std::collections::HashMap;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config, Styles, StylesWriter};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::syntax::ast::Span;

/// The texts diagnostics point into, by file path.
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
    ids: HashMap<String, usize>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, path: &str, text: &str) {
        if !self.ids.contains_key(path) {
            let id = self.files.add(path.to_string(), text.to_string());
            self.ids.insert(path.to_string(), id);
        }
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        let id = *self.ids.get(path)?;
        self.files.get(id).ok().map(|f| f.source().as_str())
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, path: &str, offset: u32) -> Option<(usize, usize)> {
        let text = self.text(path)?;
        let offset = clamp_offset(text, offset as usize);
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = text[line_start..offset].chars().count() + 1;
        Some((line, col))
    }

    /// A span moved onto char boundaries inside the file (codespan requires both).
    fn fit(&self, path: &str, span: Span) -> Option<std::ops::Range<usize>> {
        let text = self.text(path)?;
        let start = clamp_offset(text, span.start as usize);
        let end = clamp_offset(text, span.end as usize).max(start);
        Some(start..end)
    }

    fn to_codespan(&self, d: &Diagnostic) -> Option<cs::Diagnostic<usize>> {
        let severity = match d.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
            Severity::Note => cs::Severity::Note,
        };
        let primary_id = *self.ids.get(&d.primary.file)?;
        let mut labels = vec![
            cs::Label::primary(primary_id, self.fit(&d.primary.file, d.primary.span)?)
                .with_message(d.primary.message.clone()),
        ];
        for l in &d.secondary {
            if let (Some(id), Some(range)) = (self.ids.get(&l.file), self.fit(&l.file, l.span)) {
                labels.push(cs::Label::secondary(*id, range).with_message(l.message.clone()));
            }
        }
        let mut notes = d.notes.clone();
        if let Some(h) = &d.help {
            notes.push(format!("help: {h}"));
        }
        Some(
            cs::Diagnostic::new(severity)
                .with_code(d.code)
                .with_message(d.message.clone())
                .with_labels(labels)
                .with_notes(notes),
        )
    }

    /// Render without colour, as a user sees it in a terminal.
    pub fn render(&self, d: &Diagnostic) -> String {
        let config = Config::default();
        match self.to_codespan(d) {
            Some(c) => {
                term::emit_into_string(&config, &self.files, &c).unwrap_or_else(|_| fallback(d))
            }
            None => fallback(d),
        }
    }

    /// Render all diagnostics to stderr, coloured when it is a terminal.
    pub fn emit_stderr(&self, diags: &[Diagnostic], color: bool) {
        use std::io::Write;
        use term::termcolor::{ColorChoice, StandardStream};
        let choice = if color {
            ColorChoice::Auto
        } else {
            ColorChoice::Never
        };
        let stream = StandardStream::stderr(choice);
        let mut lock = stream.lock();
        let styles = Styles::default();
        let config = Config::default();
        for d in diags {
            match self.to_codespan(d) {
                Some(c) => {
                    let mut w = StylesWriter::new(&mut lock, &styles);
                    if term::emit_to_write_style(&mut w, &config, &self.files, &c).is_err() {
                        let _ = write!(lock, "{}", fallback(d));
                    }
                }
                None => {
                    let _ = write!(lock, "{}", fallback(d));
                }
            }
        }
    }

    /// One JSON object for a diagnostic: code, severity, message, file, byte range,
    /// 1-based line/column of both ends, labels and help.
    pub fn to_json(&self, d: &Diagnostic) -> String {
        let pos = |file: &str, off: u32| self.line_col(file, off).unwrap_or((0, 0));
        let (line, column) = pos(&d.primary.file, d.primary.span.start);
        let (end_line, end_column) = pos(&d.primary.file, d.primary.span.end);
        let json = JsonDiagnostic {
            code: d.code,
            severity: d.severity,
            message: &d.message,
            file: &d.primary.file,
            start: d.primary.span.start,
            end: d.primary.span.end,
            line,
            column,
            end_line,
            end_column,
            label: &d.primary.message,
            secondary: d
                .secondary
                .iter()
                .map(|l| {
                    let (line, column) = pos(&l.file, l.span.start);
                    JsonLabel {
                        file: &l.file,
                        start: l.span.start,
                        end: l.span.end,
                        line,
                        column,
                        message: &l.message,
                    }
                })
                .collect(),
            notes: &d.notes,
            help: d.help.as_deref(),
        };
        serde_json::to_string(&json).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    start: u32,
    end: u32,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    label: &'a str,
    secondary: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    start: u32,
    end: u32,
    line: usize,
    column: usize,
    message: &'a str,
}

fn clamp_offset(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A diagnostic whose file has no text (a file that could not be read).
fn fallback(d: &Diagnostic) -> String {
    let mut s = format!(
        "{}[{}]: {}\n  --> {}\n",
        d.severity.as_str(),
        d.code,
        d.message,
        d.primary.file
    );
    for n in &d.notes {
        s.push_str(&format!("  = {n}\n"));
    }
    if let Some(h) = &d.help {
        s.push_str(&format!("  = help: {h}\n"));
    }
    s.push('\n');
    s
}
