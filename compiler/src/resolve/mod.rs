//! Names at file level: imports, the items each file can see, and user unit tables.
//!
//! Owns: mapping a `use` path to a file path ([`module_file_path`]), the import graph and
//! its cycles, the items visible in each file ([`FileScope`]: local items plus imports,
//! with "did you mean"), and the units visible in each file ([`UnitTable`]). Member-level
//! names (params, ports, states inside nodes) are resolved by `check` and `lower`.
//!
//! Invariant: queries here never recurse along an import edge that is part of a cycle, so
//! an import cycle is a diagnostic, never a salsa cycle.

use std::collections::{HashMap, HashSet};

use crate::db::{Db, SourceFile, Workspace, parse};
use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::{Item, Span, UnitDecl, UnitExpr, UnitExprKind, UseDecl};
use crate::units::{self, Unit};

/// Where the item a name refers to lives.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ItemRef {
    pub file: SourceFile,
    /// Index into the file's `ast::File::items`.
    pub index: usize,
    pub kind: ItemKind,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ItemKind {
    Node,
    Plant,
    Unit,
}

impl ItemKind {
    pub fn describe(self) -> &'static str {
        match self {
            ItemKind::Node => "node",
            ItemKind::Plant => "plant",
            ItemKind::Unit => "unit",
        }
    }
}

/// The file path a module path names, relative to the importing file.
///
/// `std::bulk` is the stdlib file `std/bulk.plant`; `lib::tanks` imported from
/// `examples/line.plant` is `examples/lib/tanks.plant`.
pub fn module_file_path(importer: &str, module: &[String]) -> String {
    if module.first().map(String::as_str) == Some("std") {
        return format!("std/{}.plant", module[1..].join("/"));
    }
    let dir = match importer.rfind('/') {
        Some(i) => &importer[..i + 1],
        None => "",
    };
    format!("{dir}{}.plant", module.join("/"))
}

fn use_module(u: &UseDecl) -> Vec<String> {
    u.module.iter().map(|s| s.name.clone()).collect()
}

/// The workspace's files by path.
#[salsa::tracked(returns(ref))]
pub fn path_index(db: &dyn Db, ws: Workspace) -> HashMap<String, SourceFile> {
    ws.files(db)
        .iter()
        .map(|f| (f.path(db).clone(), *f))
        .collect()
}

/// The import graph's cycles: for each `use` that closes a cycle, the files around it.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct ImportGraph {
    /// (importing file path, index of the `use` item) -> the cycle as file paths, starting
    /// and ending at the importing file.
    pub cycle_edges: HashMap<(String, usize), Vec<String>>,
    /// The edges at which a cycle is reported: one per cycle, at the `use` in the file
    /// whose path sorts first, so a cycle is reported once however many files it spans.
    pub reported: HashSet<(String, usize)>,
}

/// The `use` items of a file that name a file of the workspace: (item index, target).
/// The one place that maps a file's imports to files; the import graph, the transitive
/// imports and the scope of each file build on it.
#[salsa::tracked(returns(ref))]
pub fn import_edges(db: &dyn Db, ws: Workspace, file: SourceFile) -> Vec<(usize, SourceFile)> {
    let index = path_index(db, ws);
    let path = file.path(db);
    parse(db, file)
        .file
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            Item::Use(u) => index
                .get(&module_file_path(path, &use_module(u)))
                .map(|t| (i, *t)),
            _ => None,
        })
        .collect()
}

#[salsa::tracked(returns(ref))]
pub fn import_graph(db: &dyn Db, ws: Workspace) -> ImportGraph {
    // Edges: file path -> [(use item index, target path)] for targets that exist.
    let edges: HashMap<String, Vec<(usize, String)>> = ws
        .files(db)
        .iter()
        .map(|f| {
            let targets = import_edges(db, ws, *f)
                .iter()
                .map(|(i, t)| (*i, t.path(db).clone()))
                .collect();
            (f.path(db).clone(), targets)
        })
        .collect();
    // An edge a -> b is in a cycle when a is reachable from b.
    let mut graph = ImportGraph::default();
    let mut seen_cycles: HashSet<Vec<String>> = HashSet::new();
    let mut paths: Vec<&String> = edges.keys().collect();
    paths.sort();
    for a in paths {
        for (i, b) in &edges[a] {
            if let Some(mut cycle) = find_path(&edges, b, a) {
                cycle.insert(0, a.clone());
                if cycle.iter().all(|p| p >= a) && seen_cycles.insert(cycle.clone()) {
                    graph.reported.insert((a.clone(), *i));
                }
                graph.cycle_edges.insert((a.clone(), *i), cycle);
            }
        }
    }
    graph
}

/// The user files a file imports, directly or through other files: not the stdlib and not
/// the file itself. Their problems are the importing file's problems too.
#[salsa::tracked(returns(ref))]
pub fn imported_files(db: &dyn Db, ws: Workspace, file: SourceFile) -> Vec<SourceFile> {
    let mut seen = HashSet::from([file]);
    let mut queue = vec![file];
    let mut out = Vec::new();
    while let Some(f) = queue.pop() {
        for (_, t) in import_edges(db, ws, f) {
            if !t.path(db).starts_with("std/") && seen.insert(*t) {
                out.push(*t);
                queue.push(*t);
            }
        }
    }
    out
}

/// A path of file paths from `from` to `to` along import edges (breadth-first, shortest).
fn find_path(
    edges: &HashMap<String, Vec<(usize, String)>>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut prev: HashMap<&str, &str> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    let mut seen: HashSet<&str> = HashSet::from([from]);
    while let Some(cur) = queue.pop_front() {
        if cur == to {
            let mut path = vec![cur.to_string()];
            let mut at = cur;
            while let Some(p) = prev.get(at) {
                path.push(p.to_string());
                at = p;
            }
            path.reverse();
            return Some(path);
        }
        for (_, next) in edges.get(cur).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.insert(next.as_str()) {
                prev.insert(next.as_str(), cur);
                queue.push_back(next.as_str());
            }
        }
    }
    None
}

/// The top-level names a file can use, and the diagnostics about them.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct FileScope {
    pub items: HashMap<String, ItemRef>,
    /// Names brought in by an explicit (non-glob) `use`, with the span of the name in the
    /// `use`, for the unused-import warning.
    pub explicit_imports: Vec<(String, Span)>,
    /// Names a `use` tried to import but could not (unknown module or item, import
    /// cycle). Their uses are not reported again as unknown.
    pub failed_imports: HashSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileScope {
    pub fn get(&self, name: &str) -> Option<ItemRef> {
        self.items.get(name).copied()
    }
}

#[salsa::tracked(returns(ref))]
pub fn file_scope(db: &dyn Db, ws: Workspace, file: SourceFile) -> FileScope {
    let path = file.path(db).clone();
    let ast = &parse(db, file).file;
    let index = path_index(db, ws);
    let graph = import_graph(db, ws);
    let mut scope = FileScope::default();
    let mut origin: HashMap<String, Span> = HashMap::new();

    // Local items first: they win over imports, and clashes are reported on the import.
    for (i, item) in ast.items.iter().enumerate() {
        let (name, kind) = match item {
            Item::Node(n) => (&n.name, ItemKind::Node),
            Item::Plant(p) => (&p.name, ItemKind::Plant),
            Item::Unit(u) => (&u.name, ItemKind::Unit),
            Item::Use(_) => continue,
        };
        if let Some(first) = origin.get(&name.name) {
            scope.diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE_ITEM,
                    format!("`{}` is defined more than once", name.name),
                    &path,
                    name.span,
                    "defined again here",
                )
                .with_secondary(&path, *first, "first defined here")
                .with_help("rename one of the two definitions"),
            );
            continue;
        }
        origin.insert(name.name.clone(), name.span);
        scope.items.insert(
            name.name.clone(),
            ItemRef {
                file,
                index: i,
                kind,
            },
        );
    }

    for (i, item) in ast.items.iter().enumerate() {
        let Item::Use(u) = item else { continue };
        let module = use_module(u);
        let module_span = match (u.module.first(), u.module.last()) {
            (Some(a), Some(b)) => a.span.to(b.span),
            _ => u.span,
        };
        let failed = |scope: &mut FileScope| {
            scope
                .failed_imports
                .extend(u.names.iter().map(|n| n.name.clone()));
        };
        if let Some(cycle) = graph.cycle_edges.get(&(path.clone(), i)) {
            failed(&mut scope);
            if !graph.reported.contains(&(path.clone(), i)) {
                continue;
            }
            scope.diagnostics.push(
                Diagnostic::error(
                    codes::IMPORT_CYCLE,
                    format!("import cycle: {}", cycle.join(" -> ")),
                    &path,
                    module_span,
                    format!("`{}` imports this file back", module.join("::")),
                )
                .with_help("move the shared items into a file that both import"),
            );
            continue;
        }
        let target_path = module_file_path(&path, &module);
        let Some(target) = index.get(&target_path).copied() else {
            failed(&mut scope);
            let known: Vec<String> = known_modules(db, ws, &path);
            let wanted = module.join("::");
            let mut d = Diagnostic::error(
                codes::UNKNOWN_MODULE,
                format!("cannot find module `{wanted}`"),
                &path,
                module_span,
                "no such module",
            );
            if let Some(s) = units::closest(&wanted, known.iter().map(String::as_str)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else if module.first().map(String::as_str) == Some("std") {
                d = d.with_help(format!(
                    "the stdlib modules are {}",
                    known
                        .iter()
                        .filter(|m| m.starts_with("std::"))
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            } else {
                d = d.with_note(format!("looked for the file `{target_path}`"));
            }
            scope.diagnostics.push(d);
            continue;
        };
        let target_ast = &parse(db, target).file;
        let exported: Vec<(usize, &crate::syntax::ast::Ident, ItemKind)> = target_ast
            .items
            .iter()
            .enumerate()
            .filter_map(|(j, it)| match it {
                Item::Node(n) => Some((j, &n.name, ItemKind::Node)),
                Item::Plant(p) => Some((j, &p.name, ItemKind::Plant)),
                Item::Unit(x) => Some((j, &x.name, ItemKind::Unit)),
                Item::Use(_) => None,
            })
            .collect();
        let mut bring = |name: &str, span: Span, scope: &mut FileScope| {
            let Some((j, _, kind)) = exported.iter().find(|(_, n, _)| n.name == name) else {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_IMPORT,
                    format!("module `{}` has no item `{name}`", module.join("::")),
                    &path,
                    span,
                    "not found in the module",
                );
                if let Some(s) =
                    units::closest(name, exported.iter().map(|(_, n, _)| n.name.as_str()))
                {
                    d = d.with_help(format!("did you mean `{s}`?"));
                } else if !exported.is_empty() {
                    let names: Vec<String> = exported
                        .iter()
                        .map(|(_, n, _)| format!("`{}`", n.name))
                        .collect();
                    d = d.with_note(format!(
                        "`{}` defines {}",
                        module.join("::"),
                        names.join(", ")
                    ));
                }
                scope.diagnostics.push(d);
                scope.failed_imports.insert(name.to_string());
                return;
            };
            let new = ItemRef {
                file: target,
                index: *j,
                kind: *kind,
            };
            match scope.items.get(name) {
                Some(existing) if *existing == new => {}
                Some(_) => {
                    let mut d = Diagnostic::error(
                        codes::AMBIGUOUS_IMPORT,
                        format!("`{name}` is already defined in this file's scope"),
                        &path,
                        span,
                        "imported here",
                    );
                    if let Some(first) = origin.get(name) {
                        d = d.with_secondary(&path, *first, "already defined here");
                    }
                    scope.diagnostics.push(
                        d.with_help(format!("remove one of them, or rename the local `{name}`")),
                    );
                }
                None => {
                    origin.insert(name.to_string(), span);
                    scope.items.insert(name.to_string(), new);
                }
            }
        };
        if u.glob {
            for (_, n, _) in &exported {
                if !scope.items.contains_key(&n.name) {
                    bring(&n.name, u.span, &mut scope);
                }
            }
        } else {
            for n in &u.names {
                bring(&n.name, n.span, &mut scope);
                scope.explicit_imports.push((n.name.clone(), n.span));
            }
        }
    }
    scope
}

/// Module paths (`std::bulk`, `lib::tanks`) a file could import, for suggestions.
fn known_modules(db: &dyn Db, ws: Workspace, importer: &str) -> Vec<String> {
    let dir = match importer.rfind('/') {
        Some(i) => &importer[..i + 1],
        None => "",
    };
    let mut out: Vec<String> = ws
        .files(db)
        .iter()
        .filter_map(|f| {
            let p = f.path(db);
            let stem = p.strip_suffix(".plant")?;
            if let Some(rest) = stem.strip_prefix("std/") {
                Some(format!("std::{}", rest.replace('/', "::")))
            } else {
                stem.strip_prefix(dir).map(|rest| rest.replace('/', "::"))
            }
        })
        .collect();
    out.sort();
    out
}

/// The user units visible in a file (declared there or imported), resolved to SI.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct UnitTable {
    pub units: HashMap<String, Unit>,
    /// Names of units that are declared here but invalid, or that a failed `use` tried
    /// to import: already reported, so their uses are not reported as unknown.
    pub unavailable: HashSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl UnitTable {
    /// A unit by name: user units first, then the built-in ones.
    pub fn lookup(&self, name: &str) -> Option<Unit> {
        self.units
            .get(name)
            .copied()
            .or_else(|| units::builtin(name))
    }

    /// Whether a unit error is about a unit that was already reported (see `unavailable`).
    pub fn already_reported(&self, e: &units::UnitError) -> bool {
        matches!(&e.kind, units::UnitErrorKind::Unknown { name, .. } if self.unavailable.contains(name))
    }

    /// Evaluate a unit expression in this table.
    pub fn eval(&self, e: &UnitExpr) -> Result<Unit, units::UnitError> {
        units::eval(e, &|n| self.units.get(n).copied())
    }

    /// Names of the user units, for suggestions.
    pub fn user_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.units.keys().map(String::as_str).collect();
        v.sort();
        v
    }
}

#[salsa::tracked(returns(ref))]
pub fn unit_table(db: &dyn Db, ws: Workspace, file: SourceFile) -> UnitTable {
    let path = file.path(db).clone();
    let scope = file_scope(db, ws, file);
    let ast = &parse(db, file).file;
    let mut table = UnitTable::default();
    // Imported units come resolved from their own file's table.
    for (name, r) in &scope.items {
        if r.kind == ItemKind::Unit
            && r.file != file
            && let Some(u) = unit_table(db, ws, r.file).units.get(name)
        {
            table.units.insert(name.clone(), *u);
        }
    }
    // Local declarations may refer to each other in any order; resolve on demand.
    let decls: HashMap<&str, &UnitDecl> = ast
        .items
        .iter()
        .filter_map(|it| match it {
            Item::Unit(u) if scope.items.get(&u.name.name).map(|r| r.file) == Some(file) => {
                Some((u.name.name.as_str(), u))
            }
            _ => None,
        })
        .collect();
    let mut order: Vec<&UnitDecl> = decls.values().copied().collect();
    order.sort_by_key(|d| d.span.start);
    let mut resolver = LocalUnits {
        decls: &decls,
        done: HashMap::new(),
        active: Vec::new(),
        imported: &table.units,
        failed_imports: &scope.failed_imports,
        diagnostics: Vec::new(),
        path: &path,
    };
    for d in &order {
        resolver.resolve(&d.name.name);
    }
    let LocalUnits {
        done, diagnostics, ..
    } = resolver;
    table.unavailable = scope.failed_imports.clone();
    for (name, u) in done {
        match u {
            Some(u) => {
                table.units.insert(name, u);
            }
            None => {
                table.unavailable.insert(name);
            }
        }
    }
    table.diagnostics = diagnostics;
    table
}

struct LocalUnits<'a> {
    decls: &'a HashMap<&'a str, &'a UnitDecl>,
    done: HashMap<String, Option<Unit>>,
    active: Vec<String>,
    imported: &'a HashMap<String, Unit>,
    failed_imports: &'a HashSet<String>,
    diagnostics: Vec<Diagnostic>,
    path: &'a str,
}

impl LocalUnits<'_> {
    fn resolve(&mut self, name: &str) -> Option<Unit> {
        if let Some(u) = self.done.get(name) {
            return *u;
        }
        let decl = *self.decls.get(name)?;
        if self.active.iter().any(|a| a == name) {
            let mut chain = self.active.clone();
            chain.push(name.to_string());
            self.diagnostics.push(
                Diagnostic::error(
                    codes::BAD_UNIT_DECL,
                    format!("unit `{name}` is defined in terms of itself"),
                    self.path,
                    decl.name.span,
                    format!("cycle: {}", chain.join(" -> ")),
                )
                .with_help("define the unit from SI or built-in units"),
            );
            self.done.insert(name.to_string(), None);
            return None;
        }
        if units::builtin(name).is_some() {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::BAD_UNIT_DECL,
                    format!("`{name}` is already a built-in unit"),
                    self.path,
                    decl.name.span,
                    "redefines a built-in unit",
                )
                .with_help("choose another name"),
            );
        }
        self.active.push(name.to_string());
        // First resolve the local names this declaration uses, so they are in `done`.
        let mut names = Vec::new();
        collect_unit_names(&decl.value, &mut names);
        for n in names {
            // A self-reference lands on the cycle check above.
            if self.decls.contains_key(n.as_str()) {
                self.resolve(&n);
            }
        }
        self.active.pop();
        if self.done.get(name) == Some(&None) {
            return None; // reported as a cycle while resolving a dependency
        }
        let result = units::eval(&decl.value, &|n| {
            self.done
                .get(n)
                .copied()
                .flatten()
                .or_else(|| self.imported.get(n).copied())
        });
        let unit = match result {
            Ok(u) if u.scale.is_finite() && u.scale != 0.0 => Some(u),
            Ok(_) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::BAD_UNIT_DECL,
                        format!("unit `{name}` has a zero or infinite scale"),
                        self.path,
                        decl.value.span,
                        "scale must be finite and non-zero",
                    )
                    .with_help("a unit needs a finite, non-zero size, like `unit rpm = 1/min`"),
                );
                None
            }
            Err(e) => {
                // A unit declared here but invalid, or whose import failed, was reported.
                let reported = matches!(&e.kind, units::UnitErrorKind::Unknown { name, .. }
                    if self.decls.contains_key(name.as_str()) || self.failed_imports.contains(name));
                if !reported {
                    self.diagnostics
                        .push(unit_error_diagnostic(&e, self.path, &[]));
                }
                None
            }
        };
        self.done.insert(name.to_string(), unit);
        unit
    }
}

fn collect_unit_names(e: &UnitExpr, out: &mut Vec<String>) {
    match &e.kind {
        UnitExprKind::Name(n) => out.push(n.clone()),
        UnitExprKind::Number(_) => {}
        UnitExprKind::Mul(a, b) | UnitExprKind::Div(a, b) => {
            collect_unit_names(a, out);
            collect_unit_names(b, out);
        }
        UnitExprKind::Pow(a, _) => collect_unit_names(a, out),
    }
}

/// The diagnostic for a unit that could not be evaluated. `extra` are user unit names to
/// suggest from.
pub fn unit_error_diagnostic(e: &units::UnitError, path: &str, extra: &[&str]) -> Diagnostic {
    match &e.kind {
        units::UnitErrorKind::Unknown {
            name,
            suggestion,
            hint,
        } => {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_UNIT,
                format!("unknown unit `{name}`"),
                path,
                e.span,
                "not a known unit",
            );
            let from_user = units::closest(name, extra.iter().copied()).map(str::to_string);
            if let Some(s) = from_user.or_else(|| suggestion.clone()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else if let Some(h) = hint {
                d = d.with_help(h.to_string());
            } else {
                d = d.with_help(format!("declare it, for example `unit {name} = 1 s`"));
            }
            d
        }
        units::UnitErrorKind::BadExponent => Diagnostic::error(
            codes::BAD_EXPONENT,
            "invalid unit exponent",
            path,
            e.span,
            "exponent must be a constant such as `2`, `-1` or `(1/2)`",
        ),
        units::UnitErrorKind::Overflow | units::UnitErrorKind::NonFiniteScale => Diagnostic::error(
            codes::BAD_UNIT_DECL,
            "unit is too large to represent",
            path,
            e.span,
            "exponent or scale out of range",
        ),
    }
}
