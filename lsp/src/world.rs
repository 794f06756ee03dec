//! The server's state: one compiler [`Session`] (one salsa database) for the workspace,
//! the open documents, and the mapping between LSP URIs and the compiler's file paths.
//!
//! Paths: a `file:` URI becomes its file system path (`/home/u/p/tank.plant`), so relative
//! imports (`use lib::tanks`) resolve exactly as `plantc check` resolves them; the stdlib is
//! `std/<module>.plant` inside the compiler and, for editors, a read-only copy written to a
//! cache directory ([`crate::stdlib_dir`]); other URIs (`untitled:`) keep their text.
//!
//! Diagnostics come from [`Session::diagnostics`], the very function behind `plantc check`,
//! so codes and wording are identical. Open documents are salsa inputs that each edit
//! updates; files they import are read from disk (again by the driver) and re-read when the
//! client reports them changed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use plantc::db::{Database, SourceFile};
use plantc::diagnostics::Diagnostic;
use plantc::driver::Session;
use plantc::syntax::ast::Item;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use crate::line_index::LineIndex;

/// An open document.
pub struct Doc {
    pub uri: Uri,
    pub version: i32,
    pub text: String,
    /// A stdlib file: shown, never edited into the database.
    pub readonly: bool,
}

pub struct World {
    pub session: Session,
    /// Open documents by path.
    pub docs: HashMap<String, Doc>,
    /// Where the stdlib copies live for editors (None when they could not be written).
    pub std_dir: Option<PathBuf>,
    /// Workspace folders.
    pub roots: Vec<PathBuf>,
    /// `.plant` files found in the workspace folders (loaded for references and symbols).
    pub scanned: Vec<String>,
    /// Paths diagnostics were last published for (to clear them when they go away).
    pub published: HashSet<String>,
}

/// At most this many workspace files are loaded by the initial scan.
const MAX_SCANNED: usize = 2000;

impl World {
    pub fn new(std_dir: Option<PathBuf>) -> World {
        World {
            session: Session::with_database(Database::with_execution_log()),
            docs: HashMap::new(),
            std_dir,
            roots: Vec::new(),
            scanned: Vec::new(),
            published: HashSet::new(),
        }
    }

    /// The compiler path of a URI.
    pub fn path_of(&self, uri: &Uri) -> String {
        if uri.scheme().as_str().eq_ignore_ascii_case("file")
            && let Some(p) = uri.to_file_path()
        {
            if let Some(dir) = &self.std_dir
                && let Ok(rest) = p.strip_prefix(dir)
            {
                return format!("std/{}", rest.to_string_lossy().replace('\\', "/"));
            }
            return p.to_string_lossy().replace('\\', "/");
        }
        uri.as_str().to_string()
    }

    /// The URI of a compiler path: the client's own URI for open documents.
    pub fn uri_of(&self, path: &str) -> Option<Uri> {
        if let Some(d) = self.docs.get(path) {
            return Some(d.uri.clone());
        }
        if let Some(rest) = path.strip_prefix("std/") {
            return Uri::from_file_path(self.std_dir.as_ref()?.join(rest));
        }
        if Path::new(path).is_absolute() {
            return Uri::from_file_path(path);
        }
        path.parse().ok()
    }

    pub fn is_stdlib(path: &str) -> bool {
        path.starts_with("std/")
    }

    /// The text the database holds for a path (for open stdlib documents: the embedded copy).
    pub fn text(&self, path: &str) -> Option<&str> {
        let f = self.session.file(path)?;
        Some(f.text(&self.session.db).as_str())
    }

    pub fn file(&self, path: &str) -> Option<SourceFile> {
        self.session.file(path)
    }

    /// Every file of the workspace (stdlib, scanned, open, imported).
    pub fn files(&self) -> Vec<SourceFile> {
        self.session.ws.files(&self.session.db).clone()
    }

    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        let path = self.path_of(&uri);
        let readonly = World::is_stdlib(&path);
        self.docs.insert(
            path.clone(),
            Doc {
                uri,
                version,
                text: text.clone(),
                readonly,
            },
        );
        if !readonly {
            self.session.set_source(&path, text);
            self.session.load(&path);
        }
    }

    /// Apply edits (incremental ranges, or the whole text) to an open document.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) {
        let path = self.path_of(uri);
        let Some(doc) = self.docs.get_mut(&path) else {
            return; // not open: ignore (the client is confused)
        };
        for c in changes {
            match c.range {
                Some(range) => {
                    let ix = LineIndex::new(&doc.text);
                    let span = ix.span(&doc.text, range);
                    doc.text.replace_range(span.range(), &c.text);
                }
                None => doc.text = c.text,
            }
        }
        doc.version = version;
        if doc.readonly {
            return;
        }
        let text = doc.text.clone();
        let uses_before = self.uses(&path);
        self.session.set_source(&path, text);
        if self.uses(&path) != uses_before {
            if self.session.load_diagnostics().is_empty() {
                self.session.load(&path);
            } else {
                // Problems reading files are remembered by the session; start afresh so
                // that those of imports that are gone go with them.
                self.rebuild();
            }
        }
    }

    /// The modules a file imports (to notice when they change).
    fn uses(&self, path: &str) -> Vec<String> {
        let Some(f) = self.session.file(path) else {
            return Vec::new();
        };
        plantc::db::parse(&self.session.db, f)
            .file
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Use(u) => Some(u.module_path()),
                _ => None,
            })
            .collect()
    }

    pub fn close(&mut self, uri: &Uri) {
        let path = self.path_of(uri);
        let Some(doc) = self.docs.remove(&path) else {
            return;
        };
        if doc.readonly {
            return;
        }
        // Back to what is on disk, which other files may import.
        match std::fs::read(&path).ok().map(String::from_utf8) {
            Some(Ok(text)) => {
                self.session.set_source(&path, text);
            }
            _ => self.rebuild(),
        }
    }

    /// Files changed on disk (reported by the client).
    pub fn disk_changed(&mut self, paths: &[String], created_or_deleted: bool) {
        if created_or_deleted {
            self.rebuild();
            return;
        }
        for p in paths {
            if self.docs.contains_key(p) || self.session.file(p).is_none() {
                continue;
            }
            match std::fs::read(p).ok().map(String::from_utf8) {
                Some(Ok(text)) => {
                    self.session.set_source(p, text);
                }
                _ => {
                    self.rebuild();
                    return;
                }
            }
        }
    }

    /// A fresh session: the open documents, the scanned files and what they import.
    pub fn rebuild(&mut self) {
        self.session = Session::with_database(Database::with_execution_log());
        let mut open: Vec<(&String, &Doc)> =
            self.docs.iter().filter(|(_, d)| !d.readonly).collect();
        open.sort_by_key(|(p, _)| p.as_str());
        for (p, d) in &open {
            self.session.set_source(p, d.text.clone());
        }
        let open: Vec<String> = open.into_iter().map(|(p, _)| p.clone()).collect();
        for p in open.iter().chain(self.scanned.iter()) {
            self.session.load(p);
        }
    }

    /// Load the `.plant` files under the workspace folders.
    pub fn scan(&mut self) {
        let mut found = Vec::new();
        for root in &self.roots {
            let mut stack = vec![(root.clone(), 0)];
            while let Some((d, depth)) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in entries.flatten() {
                    let p = e.path();
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    let Ok(ft) = e.file_type() else { continue };
                    if ft.is_dir() {
                        if depth < 16
                            && !(name.starts_with('.')
                                || name == "target"
                                || name == "node_modules")
                        {
                            stack.push((p, depth + 1));
                        }
                    } else if ft.is_file()
                        && p.extension().is_some_and(|x| x == "plant")
                        && found.len() < MAX_SCANNED
                    {
                        found.push(p.to_string_lossy().replace('\\', "/"));
                    }
                }
            }
        }
        found.sort();
        if let Some(dir) = &self.std_dir {
            let dir = dir.to_string_lossy().replace('\\', "/");
            found.retain(|p| !p.starts_with(&dir));
        }
        for p in &found {
            if !self.docs.contains_key(p) {
                self.session.load(p);
            }
        }
        self.scanned = found;
    }

    /// The diagnostics to show, by file path: for each open document what
    /// `plantc check <document>` reports (its own problems and those of the files it
    /// imports), merged. Paths published before that now have none get an empty list.
    pub fn diagnostics(&mut self) -> BTreeMap<String, Vec<Diagnostic>> {
        let mut by_file: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        let mut paths: Vec<&String> = self
            .docs
            .iter()
            .filter(|(_, d)| !d.readonly)
            .map(|(p, _)| p)
            .collect();
        paths.sort();
        for p in paths {
            let Some(f) = self.session.file(p) else {
                continue;
            };
            by_file.entry(p.clone()).or_default();
            for d in self.session.diagnostics(f) {
                let list = by_file.entry(d.primary.file.clone()).or_default();
                if !list.contains(&d) {
                    list.push(d);
                }
            }
        }
        for list in by_file.values_mut() {
            plantc::db::sort_and_dedup(list);
        }
        let now: HashSet<String> = by_file
            .iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(p, _)| p.clone())
            .collect();
        for p in self.published.difference(&now) {
            by_file.entry(p.clone()).or_default();
        }
        self.published = now;
        by_file
    }
}
