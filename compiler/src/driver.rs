//! The driver: the one place in the compiler that reads files.
//!
//! A [`Session`] owns a salsa database with the stdlib loaded, reads the files it is
//! given and, transitively, the files they import (relative to the importing file), and
//! answers with diagnostics and IR models. Unreadable files become diagnostics (E0005),
//! non-UTF-8 files are read lossily and reported (E0004).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use salsa::Setter;

use crate::db::{self, Database, SourceFile, Workspace};
use crate::diagnostics::render::SourceMap;
use crate::diagnostics::{Diagnostic, codes, has_errors};
use crate::ir::Model;
use crate::syntax::ast::{Item, Span};

pub struct Session {
    pub db: Database,
    pub ws: Workspace,
    files: HashMap<String, SourceFile>,
    /// Problems reading files, by the path of the file that could not be read.
    load_diagnostics: Vec<Diagnostic>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    pub fn new() -> Session {
        Session::with_database(Database::default())
    }

    pub fn with_database(db: Database) -> Session {
        let ws = Workspace::new(&db, Vec::new());
        let mut s = Session {
            db,
            ws,
            files: HashMap::new(),
            load_diagnostics: Vec::new(),
        };
        for (path, text) in crate::stdlib::FILES {
            s.set_source(path, text.to_string());
        }
        s
    }

    /// Add or replace an in-memory file (no imports are loaded from disk for it).
    pub fn set_source(&mut self, path: &str, text: String) -> SourceFile {
        if let Some(f) = self.files.get(path).copied() {
            if f.text(&self.db) != &text {
                f.set_text(&mut self.db).to(text);
            }
            return f;
        }
        let f = SourceFile::new(&self.db, path.to_string(), text);
        self.files.insert(path.to_string(), f);
        let mut all = self.ws.files(&self.db).clone();
        all.push(f);
        self.ws.set_files(&mut self.db).to(all);
        f
    }

    pub fn file(&self, path: &str) -> Option<SourceFile> {
        self.files.get(path).copied()
    }

    /// Read a file from disk (and, transitively, what it imports). `None` when it could
    /// not be read; the reason is among [`Session::load_diagnostics`].
    pub fn load(&mut self, path: &str) -> Option<SourceFile> {
        let root = self.read(path, None)?;
        let mut queue = vec![root];
        let mut seen = std::collections::HashSet::new();
        while let Some(f) = queue.pop() {
            if !seen.insert(f) {
                continue;
            }
            let importer = f.path(&self.db).clone();
            let uses: Vec<(String, Span)> = db::parse(&self.db, f)
                .file
                .items
                .iter()
                .filter_map(|i| match i {
                    Item::Use(u) if u.module.first().map(|s| s.name.as_str()) != Some("std") => {
                        let module: Vec<String> = u.module.iter().map(|s| s.name.clone()).collect();
                        Some((crate::resolve::module_file_path(&importer, &module), u.span))
                    }
                    _ => None,
                })
                .collect();
            for (target, span) in uses {
                if let Some(existing) = self.files.get(&target) {
                    queue.push(*existing);
                } else if Path::new(&target).exists()
                    && let Some(t) = self.read(&target, Some((importer.clone(), span)))
                {
                    queue.push(t);
                }
            }
        }
        Some(root)
    }

    fn read(&mut self, path: &str, imported_from: Option<(String, Span)>) -> Option<SourceFile> {
        if let Some(f) = self.files.get(path) {
            return Some(*f);
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = match String::from_utf8(bytes) {
                    Ok(t) => t,
                    Err(e) => {
                        let at = e.utf8_error().valid_up_to();
                        let bytes = e.into_bytes();
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        // The lossy text has the same prefix up to the first bad byte.
                        self.load_diagnostics.push(
                            Diagnostic::error(
                                codes::NOT_UTF8,
                                format!("`{path}` is not valid UTF-8"),
                                path,
                                // The bad byte reads as U+FFFD in the lossy text.
                                Span::new(at, at + '\u{FFFD}'.len_utf8()),
                                format!("invalid byte 0x{:02x} at offset {at}", bytes[at]),
                            )
                            .with_help("save the file as UTF-8"),
                        );
                        text
                    }
                };
                Some(self.set_source(path, text))
            }
            Err(e) => {
                let (file, span, label) = match &imported_from {
                    Some((importer, span)) => (
                        importer.clone(),
                        *span,
                        format!("imported here; cannot read `{path}`"),
                    ),
                    None => (path.to_string(), Span::default(), "cannot read".to_string()),
                };
                self.load_diagnostics.push(
                    Diagnostic::error(
                        codes::FILE_NOT_FOUND,
                        format!("cannot read `{path}`: {}", io_reason(&e)),
                        file,
                        span,
                        label,
                    )
                    .with_help("check the path"),
                );
                None
            }
        }
    }

    pub fn load_diagnostics(&self) -> &[Diagnostic] {
        &self.load_diagnostics
    }

    /// Every diagnostic for a file (all phases), sorted.
    /// Includes the problems of the files it imports.
    pub fn diagnostics(&self, file: SourceFile) -> Vec<Diagnostic> {
        let mut paths = vec![file.path(&self.db).clone()];
        for f in crate::resolve::imported_files(&self.db, self.ws, file) {
            paths.push(f.path(&self.db).clone());
        }
        let mut d: Vec<Diagnostic> = self
            .load_diagnostics
            .iter()
            .filter(|d| paths.contains(&d.primary.file))
            .cloned()
            .collect();
        // A module that exists but cannot be read is reported as such (E0005), not also
        // as missing (E0103).
        let unreadable: Vec<(String, Span)> = d
            .iter()
            .filter(|d| d.code == codes::FILE_NOT_FOUND)
            .map(|d| (d.primary.file.clone(), d.primary.span))
            .collect();
        d.extend(
            db::file_diagnostics(&self.db, self.ws, file)
                .iter()
                .filter(|x| {
                    x.code != codes::UNKNOWN_MODULE
                        || !unreadable.iter().any(|(f, s)| {
                            *f == x.primary.file
                                && s.start <= x.primary.span.start
                                && x.primary.span.end <= s.end
                        })
                })
                .cloned(),
        );
        db::sort_and_dedup(&mut d);
        d
    }

    /// The IR of every plant in the file (empty when the file has errors).
    pub fn models(&self, file: SourceFile) -> Vec<Arc<Model>> {
        crate::lower::lower_file(&self.db, self.ws, file)
            .models
            .clone()
    }

    /// The texts of every file in the session, for rendering diagnostics.
    pub fn source_map(&self) -> SourceMap {
        let mut map = SourceMap::new();
        let mut paths: Vec<&String> = self.files.keys().collect();
        paths.sort();
        for p in paths {
            map.add(p, self.files[p].text(&self.db));
        }
        map
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => e.to_string(),
    }
}

/// Check and lower a file from disk: its IR models, or the diagnostics that stop it.
/// ([`crate::compile_file`] goes on to native code.)
pub fn lower_file(path: &str) -> Result<Vec<Arc<Model>>, CompileError> {
    let mut s = Session::new();
    let Some(f) = s.load(path) else {
        return Err(CompileError::new(&s, s.load_diagnostics().to_vec()));
    };
    finish(&s, f)
}

/// Check and lower source text held in memory (`path` names it in diagnostics).
pub fn lower_str(path: &str, text: &str) -> Result<Vec<Arc<Model>>, CompileError> {
    let mut s = Session::new();
    let f = s.set_source(path, text.to_string());
    finish(&s, f)
}

fn finish(s: &Session, f: SourceFile) -> Result<Vec<Arc<Model>>, CompileError> {
    let diags = s.diagnostics(f);
    if has_errors(&diags) {
        return Err(CompileError::new(s, diags));
    }
    Ok(s.models(f))
}

/// Compilation failed: the diagnostics, renderable without the session.
#[derive(Debug)]
pub struct CompileError {
    pub diagnostics: Vec<Diagnostic>,
    pub rendered: String,
}

impl CompileError {
    pub fn new(s: &Session, diagnostics: Vec<Diagnostic>) -> CompileError {
        let map = s.source_map();
        let rendered = diagnostics.iter().map(|d| map.render(d)).collect();
        CompileError {
            diagnostics,
            rendered,
        }
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

impl std::error::Error for CompileError {}
