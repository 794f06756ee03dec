//! The project's own diagnostic type and its rendering.
//!
//! Every phase reports problems as [`Diagnostic`]s: a severity, a stable code (see
//! [`codes`]), a message, a primary label at the span to fix, secondary labels, notes and
//! an optional help line. Rendering to a terminal or a string goes through
//! codespan-reporting ([`render`]); the language server converts them to LSP diagnostics.
//! Diagnostics name their file by its path as the driver registered it, so they can be
//! rendered without the database.

pub mod codes;
pub mod render;

use crate::syntax::ast::Span;
use serde::Serialize;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A labelled span in one file.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Label {
    /// The file's path as registered with the database (e.g. `examples/tank.plant`,
    /// `std/bulk.plant`).
    pub file: String,
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(file: impl Into<String>, span: Span, message: impl Into<String>) -> Label {
        Label {
            file: file.into(),
            span,
            message: message.into(),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable code such as `E0200`; see [`codes::lookup`].
    pub code: &'static str,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with the given code whose primary label is `span` in `file`.
    pub fn error(
        code: &'static str,
        message: impl Into<String>,
        file: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            primary: Label::new(file, span, label),
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(
        code: &'static str,
        message: impl Into<String>,
        file: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, file, span, label)
        }
    }

    pub fn with_secondary(
        mut self,
        file: impl Into<String>,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.secondary.push(Label::new(file, span, message));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any diagnostic is an error (errors block compilation; warnings do not).
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}
