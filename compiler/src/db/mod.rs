//! The salsa database: the one place incrementality lives.
//!
//! Inputs are the source files ([`SourceFile`]: a path and its text) and the set of files
//! that make up a workspace ([`Workspace`]). Everything else is a tracked query, defined
//! beside the code it belongs to: [`parse`] here, `resolve::file_scope` and
//! `resolve::unit_table`, `check::node_sigs` and `check::check_file`, `lower::lower_file`.
//! The language server keeps one [`Database`] and edits inputs; the CLI builds one per run.
//!
//! The database does no IO: the driver (or the language server) reads files and sets inputs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::diagnostics::Diagnostic;
use crate::syntax::{self, Parsed};

#[salsa::db]
pub trait Db: salsa::Database {
    /// The parser's member memos, by file path (see [`syntax::MemberMemo`]); `None` parses
    /// every file from scratch.
    fn member_memos(&self) -> Option<&MemberMemos> {
        None
    }
}

/// The member memos of the files a database parsed. A memo only saves work: a parse with
/// it gives the same result as one without, so [`parse`] stays a pure function of the text.
pub type MemberMemos = Mutex<HashMap<String, syntax::MemberMemo>>;

/// The concrete database. Cloning it gives another handle on the same storage (for
/// parallel reads); the execution log counts how often each query actually ran.
#[salsa::db]
#[derive(Clone, Default)]
pub struct Database {
    storage: salsa::Storage<Self>,
    log: Option<Arc<Mutex<Vec<String>>>>,
    memos: Arc<MemberMemos>,
}

impl Database {
    /// A database that records every query execution (`query(Id(..))`), for tests and the
    /// language server's incrementality check.
    pub fn with_execution_log() -> Database {
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = log.clone();
        let callback = move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind
                && let Ok(mut log) = sink.lock()
            {
                log.push(format!("{database_key:?}"));
            }
        };
        Database {
            storage: salsa::Storage::new(Some(Box::new(callback))),
            log: Some(log),
            memos: Arc::default(),
        }
    }

    /// Takes the query executions recorded since the last call (empty without a log).
    pub fn take_execution_log(&self) -> Vec<String> {
        match &self.log {
            Some(log) => log
                .lock()
                .map(|mut l| std::mem::take(&mut *l))
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {
    fn member_memos(&self) -> Option<&MemberMemos> {
        Some(&self.memos)
    }
}

/// One source file: the path it is known by (used in diagnostics and to resolve relative
/// imports; stdlib files are `std/<module>.plant`) and its text.
#[salsa::input(debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// The files analysed together: the user's files, the files they import, and the stdlib.
#[salsa::input(debug)]
pub struct Workspace {
    pub files: Vec<SourceFile>,
}

/// Parse one file (tracked: re-runs only when the file's text changes).
#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn Db, file: SourceFile) -> Parsed {
    let (path, text) = (file.path(db), file.text(db));
    match db.member_memos() {
        Some(memos) => {
            // A panic cannot leave a memo wrong, only incomplete: ignore poisoning.
            let mut memos = memos.lock().unwrap_or_else(|e| e.into_inner());
            let memo = memos.entry(path.clone()).or_default();
            syntax::parse_reusing(path, text, memo)
        }
        None => syntax::parse(path, text),
    }
}

/// All diagnostics for one file, from every phase, sorted by position and de-duplicated.
/// They include the problems found in the files it imports (directly or not), which
/// stop its compilation too.
#[salsa::tracked(returns(ref))]
pub fn file_diagnostics(db: &dyn Db, ws: Workspace, file: SourceFile) -> Vec<Diagnostic> {
    let mut all = check_diagnostics(db, ws, file);
    for f in crate::resolve::imported_files(db, ws, file) {
        all.extend(check_diagnostics(db, ws, *f));
    }
    all.extend(
        crate::lower::lower_file(db, ws, file)
            .diagnostics
            .iter()
            .cloned(),
    );
    sort_and_dedup(&mut all);
    all
}

/// The diagnostics of one file from parsing, name resolution and checking (everything
/// before flattening).
pub fn check_diagnostics(db: &dyn Db, ws: Workspace, file: SourceFile) -> Vec<Diagnostic> {
    let mut all: Vec<Diagnostic> = Vec::new();
    all.extend(parse(db, file).diagnostics.iter().cloned());
    all.extend(
        crate::resolve::file_scope(db, ws, file)
            .diagnostics
            .iter()
            .cloned(),
    );
    all.extend(
        crate::resolve::unit_table(db, ws, file)
            .diagnostics
            .iter()
            .cloned(),
    );
    all.extend(crate::check::check_file(db, ws, file).iter().cloned());
    all
}

/// Sort diagnostics by file and position and drop exact repeats (a node instantiated many
/// times reports a problem inside it once).
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (&a.primary.file, a.primary.span, a.code).cmp(&(&b.primary.file, b.primary.span, b.code))
    });
    diags.dedup();
}
