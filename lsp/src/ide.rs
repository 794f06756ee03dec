//! The editor features, as functions of the [`World`] and a position: hover, definition,
//! references, rename, document and workspace symbols, inlay hints, folding ranges,
//! formatting and code actions. Completion and semantic tokens live in their own modules.
//! Everything here answers from the database and the symbol index; nothing mutates.

use std::collections::HashMap;

use plantc::check::infer::{Infer, Scope};
use plantc::check::sig::{ArrayLen, MemberSigKind, SigProvider};
use plantc::check::types::{BuiltinRule, VType, builtin, describe_with_spelling};
use plantc::db::{SourceFile, parse};
use plantc::diagnostics::{Diagnostic, Severity};
use plantc::resolve::{file_scope, unit_table};
use plantc::syntax::ast::{Expr, Item, Member, MemberKind, Span, TyKind};
use tower_lsp_server::ls_types::{self as lsp, Position, Range, Uri};

use crate::index::{Occ, Sym, SymKind, def_sig, file_index};
use crate::line_index::LineIndex;
use crate::world::World;

/// A file's text with its line index.
pub struct Text<'a> {
    pub text: &'a str,
    pub index: LineIndex,
}

impl<'a> Text<'a> {
    pub fn new(text: &'a str) -> Text<'a> {
        Text {
            text,
            index: LineIndex::new(text),
        }
    }
    pub fn range(&self, span: Span) -> Range {
        self.index.range(self.text, span)
    }
    pub fn offset(&self, pos: Position) -> usize {
        self.index.offset(self.text, pos)
    }
}

/// An LSP location for a span in a file of the database.
pub fn location(world: &World, file: SourceFile, span: Span) -> Option<lsp::Location> {
    let db = &world.session.db;
    let path = file.path(db);
    let uri = world.uri_of(path)?;
    let text = Text::new(file.text(db));
    Some(lsp::Location {
        uri,
        range: text.range(span),
    })
}

// ---- diagnostics -----------------------------------------------------------------------

/// A compiler diagnostic as an LSP diagnostic: same code and message; secondary labels,
/// notes and help as related information; the help also in `data` for code actions.
pub fn to_lsp_diagnostic(world: &World, d: &Diagnostic) -> lsp::Diagnostic {
    let range_in = |path: &str, span: Span| -> Range {
        match world.text(path) {
            Some(t) => Text::new(t).range(span),
            None => Range::default(),
        }
    };
    let range = range_in(&d.primary.file, d.primary.span);
    let mut related = Vec::new();
    for l in &d.secondary {
        if let Some(uri) = world.uri_of(&l.file) {
            related.push(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri,
                    range: range_in(&l.file, l.span),
                },
                message: l.message.clone(),
            });
        }
    }
    if let Some(uri) = world.uri_of(&d.primary.file) {
        let here = lsp::Location { uri, range };
        if !d.primary.message.is_empty() {
            related.insert(
                0,
                lsp::DiagnosticRelatedInformation {
                    location: here.clone(),
                    message: d.primary.message.clone(),
                },
            );
        }
        for n in &d.notes {
            related.push(lsp::DiagnosticRelatedInformation {
                location: here.clone(),
                message: format!("note: {n}"),
            });
        }
        if let Some(h) = &d.help {
            related.push(lsp::DiagnosticRelatedInformation {
                location: here,
                message: format!("help: {h}"),
            });
        }
    }
    lsp::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Note => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        source: Some("plantc".to_string()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        data: d.help.as_ref().map(|h| serde_json::json!({ "help": h })),
        ..Default::default()
    }
}

// ---- symbols at positions ----------------------------------------------------------------

/// The occurrence under the cursor.
pub fn occ_at(world: &World, file: SourceFile, offset: usize) -> Option<Occ> {
    let s = &world.session;
    file_index(&s.db, s.ws, file).at(offset).cloned()
}

/// Where a symbol is declared: its file and the span of its name.
pub fn decl_of(world: &World, sym: &Sym) -> Option<(SourceFile, Span)> {
    let s = &world.session;
    match sym {
        Sym::Item { file, index } => {
            let item = parse(&s.db, *file).file.items.get(*index)?;
            Some((*file, item.name()?.span))
        }
        Sym::Member { file, item, name } => {
            let sig = def_sig(&s.db, s.ws, *file, *item)?;
            Some((*file, sig.member(name)?.span))
        }
        Sym::LoopVar { file, decl } => Some((*file, *decl)),
        Sym::Module(f) => Some((*f, Span::default())),
        Sym::BuiltinUnit(_) | Sym::Function(_) => None,
    }
}

pub fn definition(world: &World, file: SourceFile, offset: usize) -> Option<lsp::Location> {
    let occ = occ_at(world, file, offset)?;
    let (f, span) = decl_of(world, &occ.sym)?;
    location(world, f, span)
}

/// Every occurrence of a symbol in the workspace: (file, span, is the declaration).
pub fn occurrences(world: &World, sym: &Sym) -> Vec<(SourceFile, Span, bool)> {
    let s = &world.session;
    let mut out = Vec::new();
    // A loop variable lives in its file only; the other symbols anywhere.
    let files = match sym {
        Sym::LoopVar { file, .. } => vec![*file],
        _ => world.files(),
    };
    for f in files {
        for o in &file_index(&s.db, s.ws, f).occs {
            if o.sym == *sym {
                out.push((f, o.span, o.decl));
            }
        }
    }
    out
}

pub fn references(
    world: &World,
    file: SourceFile,
    offset: usize,
    include_decl: bool,
) -> Vec<lsp::Location> {
    let Some(occ) = occ_at(world, file, offset) else {
        return Vec::new();
    };
    let mut out: Vec<lsp::Location> = occurrences(world, &occ.sym)
        .into_iter()
        .filter(|(_, _, decl)| include_decl || !decl)
        .filter_map(|(f, span, _)| location(world, f, span))
        .collect();
    if include_decl
        && let Some((f, span)) = decl_of(world, &occ.sym)
        && let Some(loc) = location(world, f, span)
        && !out.contains(&loc)
        && !matches!(occ.sym, Sym::Module(_))
    {
        out.insert(0, loc);
    }
    out
}

// ---- rename ------------------------------------------------------------------------------

/// Why a symbol cannot be renamed, in words for the user.
pub fn rename_refusal(world: &World, occ: &Occ) -> Option<String> {
    let s = &world.session;
    match &occ.sym {
        Sym::BuiltinUnit(n) => Some(format!("`{n}` is a built-in unit and cannot be renamed")),
        Sym::Function(n) => Some(format!(
            "`{n}` is a built-in function and cannot be renamed"
        )),
        Sym::Module(_) => Some("modules are renamed by renaming their file".to_string()),
        sym => {
            let (f, _) = decl_of(world, sym)?;
            let path = f.path(&s.db);
            World::is_stdlib(path).then(|| {
                let name = match sym {
                    Sym::Member { name, .. } => name.clone(),
                    Sym::Item { file, index } => parse(&s.db, *file).file.items[*index]
                        .name()
                        .map(|n| n.name.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                format!(
                    "`{name}` is defined in the standard library (`{path}`) and cannot be renamed"
                )
            })
        }
    }
}

pub fn prepare_rename(world: &World, file: SourceFile, offset: usize) -> Result<Range, String> {
    let Some(occ) = occ_at(world, file, offset) else {
        return Err("there is no symbol to rename here".to_string());
    };
    if let Some(why) = rename_refusal(world, &occ) {
        return Err(why);
    }
    Ok(Text::new(file.text(&world.session.db)).range(occ.span))
}

fn valid_name(name: &str, kind: SymKind) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let unit = kind == SymKind::Unit;
    let start_ok = |c: char| c.is_ascii_alphabetic() || c == '_' || (unit && "µμ°Ω".contains(c));
    start_ok(first)
        && chars.all(|c| start_ok(c) || c.is_ascii_digit())
        && !plantc::syntax::parser::KEYWORDS.contains(&name)
}

pub fn rename(
    world: &World,
    file: SourceFile,
    offset: usize,
    new_name: &str,
) -> Result<lsp::WorkspaceEdit, String> {
    let Some(occ) = occ_at(world, file, offset) else {
        return Err("there is no symbol to rename here".to_string());
    };
    if let Some(why) = rename_refusal(world, &occ) {
        return Err(why);
    }
    if !valid_name(new_name, occ.kind) {
        return Err(format!("`{new_name}` is not a valid name"));
    }
    let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
    let mut spans = occurrences(world, &occ.sym);
    if let Some((f, span)) = decl_of(world, &occ.sym)
        && !spans.iter().any(|(g, s, _)| *g == f && *s == span)
    {
        spans.push((f, span, true));
    }
    for (f, span, _) in spans {
        if let Some(loc) = location(world, f, span) {
            changes.entry(loc.uri).or_default().push(lsp::TextEdit {
                range: loc.range,
                new_text: new_name.to_string(),
            });
        }
    }
    Ok(lsp::WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}

// ---- hover -------------------------------------------------------------------------------

fn type_text(ty: VType) -> String {
    match ty {
        VType::Num(d) => d.to_string(),
        VType::Bool => "bool".to_string(),
        VType::Error => "?".to_string(),
    }
}

/// The markdown describing a symbol.
pub fn describe(world: &World, sym: &Sym) -> Option<String> {
    let s = &world.session;
    let db = &s.db;
    let code = |t: String| format!("```plant\n{t}\n```");
    let mut parts: Vec<String> = Vec::new();
    let mut doc: Option<String> = None;
    let mut home: Option<SourceFile> = None;
    match sym {
        Sym::Member { file, item, name } => {
            let sig = def_sig(db, s.ws, *file, *item)?;
            let m = sig.member(name)?;
            let array = match &m.array {
                Some(ArrayLen::Const(n)) => format!("[{n}]"),
                Some(ArrayLen::Param(p)) => format!("[{p}]"),
                Some(ArrayLen::Invalid) => "[?]".to_string(),
                None => String::new(),
            };
            let owner = format!("{} of {}", m.kind.describe(), sig.name);
            let head = match &m.kind {
                MemberSigKind::Instance(r) => {
                    let node = r
                        .and_then(|r| parse(db, r.file).file.items.get(r.index)?.name().cloned())
                        .map_or("?".to_string(), |n| n.name);
                    format!("{name}{array}: {node} ({owner})")
                }
                _ => {
                    let unit = m
                        .unit
                        .as_ref()
                        .map_or_else(|| type_text(m.ty), |u| u.text.clone());
                    format!("{name}{array}: {unit} ({owner})")
                }
            };
            parts.push(code(head));
            if !matches!(m.kind, MemberSigKind::Instance(_)) && m.ty != VType::Error {
                let spelled = m.unit.as_ref().map(|u| u.text.as_str());
                let mut line = format!("unit: {}", describe_with_spelling(m.ty, spelled));
                if m.unit.is_none() && m.kind == MemberSigKind::Let {
                    line.push_str(" (inferred)");
                }
                parts.push(line);
            }
            if let MemberSigKind::Param {
                bounds: Some((lo, hi)),
                ..
            } = &m.kind
            {
                parts.push(format!(
                    "bounds (SI): {} .. {}",
                    plantc::units::format_number(*lo),
                    plantc::units::format_number(*hi)
                ));
            }
            doc = m.doc.clone();
            home = Some(*file);
        }
        Sym::Item { file, index } => {
            let item = parse(db, *file).file.items.get(*index)?;
            match item {
                Item::Node(_) | Item::Plant(_) => {
                    let sig = def_sig(db, s.ws, *file, *index)?;
                    let kw = if sig.is_plant { "plant" } else { "node" };
                    parts.push(code(format!("{kw} {}", sig.name)));
                    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
                    for m in &sig.members {
                        let label = match m.kind {
                            MemberSigKind::Param { .. } => "params",
                            MemberSigKind::InPort { .. } => "in",
                            MemberSigKind::OutPort => "out",
                            MemberSigKind::State => "states",
                            _ => continue,
                        };
                        let unit = m
                            .unit
                            .as_ref()
                            .map_or_else(|| type_text(m.ty), |u| u.text.clone());
                        let entry = format!("`{}: {unit}`", m.name);
                        match groups.iter_mut().find(|(l, _)| *l == label) {
                            Some((_, v)) => v.push(entry),
                            None => groups.push((label, vec![entry])),
                        }
                    }
                    for (label, v) in groups {
                        parts.push(format!("{label}: {}", v.join(", ")));
                    }
                    doc = match item {
                        Item::Node(n) => n.doc.as_ref().map(|d| d.text.clone()),
                        Item::Plant(p) => p.doc.as_ref().map(|d| d.text.clone()),
                        _ => None,
                    };
                }
                Item::Unit(u) => {
                    let text = file.text(db);
                    let written = text.get(u.value.span.range()).unwrap_or("");
                    parts.push(code(format!("unit {} = {written}", u.name.name)));
                    if let Some(v) = unit_table(db, s.ws, *file).units.get(&u.name.name) {
                        parts.push(unit_line(v));
                    }
                    doc = u.doc.as_ref().map(|d| d.text.clone());
                }
                Item::Use(_) => return None,
            }
            home = Some(*file);
        }
        Sym::LoopVar { .. } => {
            parts.push(code("loop index: int".to_string()));
            parts.push("a whole, dimensionless number".to_string());
        }
        Sym::Module(f) => {
            let path = f.path(db);
            let module = path.trim_end_matches(".plant").replace('/', "::");
            parts.push(code(format!("module {module}")));
            doc = parse(db, *f).file.doc.as_ref().map(|d| d.text.clone());
            home = Some(*f);
        }
        Sym::BuiltinUnit(n) => {
            let u = plantc::units::builtin(n)?;
            parts.push(code(format!("unit {n}")));
            parts.push(format!("built-in; {}", unit_line(&u)));
        }
        Sym::Function(n) => {
            let (lo, hi, rule) = builtin(n)?;
            let args = match (lo, hi) {
                (1, 1) => "x".to_string(),
                (2, 2) => "a, b".to_string(),
                (3, 3) => "x, lo, hi".to_string(),
                _ => "a, b, ...".to_string(),
            };
            parts.push(code(format!("{n}({args})")));
            parts.push(
                match rule {
                    BuiltinRule::SameAsArgs => "arguments share one unit; the result has it",
                    BuiltinRule::Keep => "the result has the argument's unit",
                    BuiltinRule::Sign => "the sign of the argument: -1, 0 or 1 (dimensionless)",
                    BuiltinRule::Dimensionless => "a dimensionless argument and result",
                    BuiltinRule::Sqrt => "square root: halves the unit's exponents",
                    BuiltinRule::Pow => "like `a ^ b`",
                    BuiltinRule::Atan2 => "arguments share one unit; the result is dimensionless",
                    BuiltinRule::Random => {
                        "a random draw at reset; arguments share one unit, the result has it"
                    }
                }
                .to_string(),
            );
        }
    }
    if let Some(d) = doc.filter(|d| !d.trim().is_empty()) {
        parts.push(d);
    }
    if let Some(f) = home {
        let path = f.path(db);
        if World::is_stdlib(path) {
            parts.push(format!("*defined in the standard library: `{path}`*"));
        }
    }
    Some(parts.join("\n\n"))
}

fn unit_line(u: &plantc::units::Unit) -> String {
    let si = plantc::units::format_unit(u);
    match u.dim.describe() {
        Some(name) => format!("= {si} ({name})"),
        None => format!("= {si}"),
    }
}

pub fn hover(world: &World, file: SourceFile, offset: usize) -> Option<lsp::Hover> {
    let text = Text::new(file.text(&world.session.db));
    let (value, span) = match occ_at(world, file, offset) {
        Some(occ) => (describe(world, &occ.sym)?, occ.span),
        None => {
            let (span, ty) = expr_type_at(world, file, offset)?;
            if ty == VType::Error {
                return None;
            }
            let src = text.text.get(span.range()).unwrap_or("");
            let src: String = src.split_whitespace().collect::<Vec<_>>().join(" ");
            let src = if src.chars().count() > 60 {
                format!("{}…", src.chars().take(60).collect::<String>())
            } else {
                src
            };
            let value = format!(
                "```plant\n{src}: {}\n```\n\nunit: {}",
                type_text(ty),
                describe_with_spelling(ty, None)
            );
            (value, span)
        }
    };
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value,
        }),
        range: Some(text.range(span)),
    })
}

/// The member of a definition containing an offset (looking into blocks), with the loop
/// variables in scope there.
pub fn member_at(members: &[Member], offset: usize) -> Option<(&Member, Vec<(String, Span)>)> {
    let mut loops = Vec::new();
    let mut list = members;
    loop {
        let m = list.iter().find(|m| m.span.contains(offset))?;
        match &m.kind {
            MemberKind::For(f)
                if !f.members.is_empty() && f.members.iter().any(|x| x.span.contains(offset)) =>
            {
                loops.push((f.var.name.clone(), f.var.span));
                list = &f.members;
            }
            MemberKind::Agent(a) if a.members.iter().any(|x| x.span.contains(offset)) => {
                list = &a.members;
            }
            _ => return Some((m, loops)),
        }
    }
}

/// The top-level expressions of a member (not of nested members).
pub fn member_exprs(m: &Member) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = Vec::new();
    match &m.kind {
        MemberKind::Param(d) => {
            out.extend(d.default.iter());
            if let Some(b) = &d.bounds {
                out.push(&b.lo);
                out.push(&b.hi);
            }
        }
        MemberKind::Port(d) => out.extend(d.value.iter()),
        MemberKind::State(d) => out.push(&d.init),
        MemberKind::Let(d) => out.push(&d.value),
        MemberKind::Equation(q) => out.push(&q.value),
        MemberKind::Instance(d) => out.extend(d.args.iter().map(|a| &a.value)),
        MemberKind::Bond(b) => out.push(&b.source),
        MemberKind::For(f) => {
            out.push(&f.lo);
            out.push(&f.hi);
        }
        MemberKind::Dt(e)
        | MemberKind::DecideEvery(e)
        | MemberKind::DecideWhen(e)
        | MemberKind::Reward(e)
        | MemberKind::Terminate(e) => out.push(e),
        MemberKind::Integrator(d) => out.extend(d.options.iter().map(|a| &a.value)),
        MemberKind::Action(a) => {
            if let plantc::syntax::ast::ActionKind::Continuous { bounds, .. } = &a.kind {
                out.push(&bounds.lo);
                out.push(&bounds.hi);
            }
        }
        MemberKind::Observe(o) => {
            out.push(&o.value);
            if let Some(b) = &o.bounds {
                out.push(&b.lo);
                out.push(&b.hi);
            }
            out.extend(o.noise.iter());
        }
        MemberKind::Truncate(t) => out.push(&t.value),
        MemberKind::When(w) => {
            out.push(&w.cond);
            out.extend(w.body.iter().map(|a| &a.value));
        }
        MemberKind::OnDecide(body) => out.extend(body.iter().map(|a| &a.value)),
        MemberKind::Agent(_) => {}
    }
    out
}

/// The inferred type of the smallest expression containing an offset.
pub fn expr_type_at(world: &World, file: SourceFile, offset: usize) -> Option<(Span, VType)> {
    let s = &world.session;
    let db = &s.db;
    let ast = &parse(db, file).file;
    let (index, members) = ast.items.iter().enumerate().find_map(|(i, it)| match it {
        Item::Node(n) if n.span.contains(offset) => Some((i, &n.members)),
        Item::Plant(p) if p.span.contains(offset) => Some((i, &p.members)),
        _ => None,
    })?;
    let sig = def_sig(db, s.ws, file, index)?;
    let (member, loops) = member_at(members, offset)?;
    let exprs: Vec<&Expr> = member_exprs(member)
        .into_iter()
        .filter(|e| e.span.contains(offset))
        .collect();
    if exprs.is_empty() {
        return None;
    }
    let path = file.path(db);
    let text = file.text(db);
    let units = unit_table(db, s.ws, file);
    let scope = file_scope(db, s.ws, file);
    let mut provider = SigProvider::finished(db, s.ws, file);
    let mut infer = Infer::new(
        path,
        text,
        units,
        scope,
        &mut provider,
        Scope {
            def: &sig,
            loop_vars: loops,
        },
        true,
    );
    for e in exprs {
        infer.expr(e);
    }
    infer
        .types
        .iter()
        .filter(|(span, _)| span.contains(offset))
        .min_by_key(|(span, _)| span.len())
        .copied()
}

// ---- outline -----------------------------------------------------------------------------

fn symbol_kind(k: SymKind) -> lsp::SymbolKind {
    match k {
        SymKind::Node => lsp::SymbolKind::CLASS,
        SymKind::Plant => lsp::SymbolKind::MODULE,
        SymKind::Unit => lsp::SymbolKind::CONSTANT,
        SymKind::Param => lsp::SymbolKind::CONSTANT,
        SymKind::InPort | SymKind::OutPort => lsp::SymbolKind::PROPERTY,
        SymKind::State | SymKind::Let | SymKind::LoopVar => lsp::SymbolKind::VARIABLE,
        SymKind::Instance => lsp::SymbolKind::OBJECT,
        SymKind::Action => lsp::SymbolKind::EVENT,
        SymKind::Module => lsp::SymbolKind::NAMESPACE,
        SymKind::Function => lsp::SymbolKind::FUNCTION,
    }
}

/// The name, kind and detail of a member that declares something.
fn member_symbol(m: &Member) -> Option<(&plantc::syntax::ast::Ident, SymKind, String)> {
    Some(match &m.kind {
        MemberKind::Param(d) => (&d.name, SymKind::Param, "param".to_string()),
        MemberKind::Port(d) => match d.dir {
            plantc::syntax::ast::PortDir::In => (&d.name, SymKind::InPort, "in port".to_string()),
            plantc::syntax::ast::PortDir::Out => {
                (&d.name, SymKind::OutPort, "out port".to_string())
            }
        },
        MemberKind::State(d) => (&d.name, SymKind::State, "state".to_string()),
        MemberKind::Let(d) => (&d.name, SymKind::Let, "let".to_string()),
        MemberKind::Instance(d) => (&d.name, SymKind::Instance, d.node.name.clone()),
        MemberKind::Action(a) => (&a.name, SymKind::Action, "action".to_string()),
        MemberKind::Agent(a) => (&a.name, SymKind::Module, "agent".to_string()),
        _ => return None,
    })
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be given
fn doc_symbol(
    text: &Text<'_>,
    name: &plantc::syntax::ast::Ident,
    kind: SymKind,
    detail: String,
    span: Span,
    children: Vec<lsp::DocumentSymbol>,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name: name.name.clone(),
        detail: Some(detail),
        kind: symbol_kind(kind),
        tags: None,
        deprecated: None,
        range: text.range(span.to(name.span)),
        selection_range: text.range(name.span),
        children: (!children.is_empty()).then_some(children),
    }
}

fn member_symbols(text: &Text<'_>, members: &[Member]) -> Vec<lsp::DocumentSymbol> {
    let mut out = Vec::new();
    for m in members {
        match &m.kind {
            MemberKind::For(f) => out.extend(member_symbols(text, &f.members)),
            MemberKind::Agent(a) => out.push(doc_symbol(
                text,
                &a.name,
                SymKind::Module,
                "agent".to_string(),
                m.span,
                member_symbols(text, &a.members),
            )),
            _ => {
                if let Some((name, kind, detail)) = member_symbol(m) {
                    out.push(doc_symbol(text, name, kind, detail, m.span, Vec::new()));
                }
            }
        }
    }
    out
}

pub fn document_symbols(world: &World, file: SourceFile) -> Vec<lsp::DocumentSymbol> {
    let db = &world.session.db;
    let text = Text::new(file.text(db));
    let mut out = Vec::new();
    for item in &parse(db, file).file.items {
        match item {
            Item::Use(_) => {}
            Item::Unit(u) => out.push(doc_symbol(
                &text,
                &u.name,
                SymKind::Unit,
                "unit".to_string(),
                u.span,
                Vec::new(),
            )),
            Item::Node(n) => out.push(doc_symbol(
                &text,
                &n.name,
                SymKind::Node,
                "node".to_string(),
                n.span,
                member_symbols(&text, &n.members),
            )),
            Item::Plant(p) => out.push(doc_symbol(
                &text,
                &p.name,
                SymKind::Plant,
                "plant".to_string(),
                p.span,
                member_symbols(&text, &p.members),
            )),
        }
    }
    out
}

/// Declarations in every file whose name contains the query (case-insensitive; an empty
/// query lists them all), items first.
#[allow(deprecated)] // `SymbolInformation::deprecated` must be given
pub fn workspace_symbols(world: &World, query: &str) -> Vec<lsp::SymbolInformation> {
    let s = &world.session;
    let q = query.to_lowercase();
    let mut out = Vec::new();
    for f in world.files() {
        let ast = &parse(&s.db, f).file;
        for (i, item) in ast.items.iter().enumerate() {
            let Some(name) = item.name() else { continue };
            let kind = match item {
                Item::Node(_) => SymKind::Node,
                Item::Plant(_) => SymKind::Plant,
                _ => SymKind::Unit,
            };
            let mut push =
                |n: &plantc::syntax::ast::Ident, k: SymKind, container: Option<String>| {
                    if n.name.to_lowercase().contains(&q)
                        && let Some(location) = location(world, f, n.span)
                    {
                        out.push(lsp::SymbolInformation {
                            name: n.name.clone(),
                            kind: symbol_kind(k),
                            tags: None,
                            deprecated: None,
                            location,
                            container_name: container,
                        });
                    }
                };
            push(name, kind, None);
            let members = match item {
                Item::Node(n) => &n.members,
                Item::Plant(p) => &p.members,
                _ => continue,
            };
            let mut all = Vec::new();
            plantc::check::sig::flatten_members(members, &mut all);
            for m in all {
                if let Some((n, k, _)) = member_symbol(m) {
                    push(n, k, Some(name.name.clone()));
                }
            }
            let _ = i;
        }
    }
    out.sort_by_key(|s| (s.container_name.is_some(), s.name.clone()));
    out.truncate(1000);
    out
}

// ---- inlay hints, folding ----------------------------------------------------------------

/// `: unit` after every `let` whose unit is inferred.
pub fn inlay_hints(world: &World, file: SourceFile, range: Option<Span>) -> Vec<lsp::InlayHint> {
    let s = &world.session;
    let db = &s.db;
    let text = Text::new(file.text(db));
    let mut out = Vec::new();
    for (i, item) in parse(db, file).file.items.iter().enumerate() {
        let members = match item {
            Item::Node(n) => &n.members,
            Item::Plant(p) => &p.members,
            _ => continue,
        };
        let Some(sig) = def_sig(db, s.ws, file, i) else {
            continue;
        };
        let mut all = Vec::new();
        collect_all(members, &mut all);
        for m in all {
            let MemberKind::Let(d) = &m.kind else {
                continue;
            };
            if d.ty.is_some() {
                continue;
            }
            let Some(ms) = sig.member(&d.name.name).filter(|x| x.span == d.name.span) else {
                continue;
            };
            if ms.ty == VType::Error {
                continue;
            }
            let at = d.array.as_ref().map_or(d.name.span.end, |a| {
                // After the `]` of the size.
                let t = text.text;
                let from = a.span.end as usize;
                t[from..]
                    .find(']')
                    .map_or(a.span.end, |k| (from + k + 1) as u32)
            });
            if let Some(r) = range
                && !(r.start <= at && at <= r.end)
            {
                continue;
            }
            out.push(lsp::InlayHint {
                position: text.index.position(text.text, at as usize),
                label: lsp::InlayHintLabel::String(format!(": {}", type_text(ms.ty))),
                kind: Some(lsp::InlayHintKind::TYPE),
                text_edits: None,
                tooltip: Some(lsp::InlayHintTooltip::String(format!(
                    "inferred: {}",
                    describe_with_spelling(ms.ty, None)
                ))),
                padding_left: None,
                padding_right: None,
                data: None,
            });
        }
    }
    out
}

/// Every member, looking into every block.
pub fn collect_all<'a>(members: &'a [Member], out: &mut Vec<&'a Member>) {
    for m in members {
        out.push(m);
        match &m.kind {
            MemberKind::For(f) => collect_all(&f.members, out),
            MemberKind::Agent(a) => collect_all(&a.members, out),
            _ => {}
        }
    }
}

pub fn folding_ranges(world: &World, file: SourceFile) -> Vec<lsp::FoldingRange> {
    let db = &world.session.db;
    let text = Text::new(file.text(db));
    let mut out = Vec::new();
    let mut fold = |span: Span, kind: Option<lsp::FoldingRangeKind>| {
        let r = text.range(span);
        if r.end.line > r.start.line {
            out.push(lsp::FoldingRange {
                start_line: r.start.line,
                start_character: None,
                end_line: r.end.line,
                end_character: None,
                kind,
                collapsed_text: None,
            });
        }
    };
    let ast = &parse(db, file).file;
    let uses: Vec<Span> = ast
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Use(u) => Some(u.span),
            _ => None,
        })
        .collect();
    if let (Some(a), Some(b)) = (uses.first(), uses.last()) {
        fold(a.to(*b), Some(lsp::FoldingRangeKind::Imports));
    }
    for item in &ast.items {
        let members = match item {
            Item::Node(n) => &n.members,
            Item::Plant(p) => &p.members,
            _ => continue,
        };
        fold(item.span(), Some(lsp::FoldingRangeKind::Region));
        let mut all = Vec::new();
        collect_all(members, &mut all);
        for m in all {
            fold(m.span, Some(lsp::FoldingRangeKind::Region));
            if let Some(d) = &m.doc {
                fold(d.span, Some(lsp::FoldingRangeKind::Comment));
            }
        }
        let doc = match item {
            Item::Node(n) => n.doc.as_ref(),
            Item::Plant(p) => p.doc.as_ref(),
            _ => None,
        };
        if let Some(d) = doc {
            fold(d.span, Some(lsp::FoldingRangeKind::Comment));
        }
    }
    if let Some(d) = &ast.doc {
        fold(d.span, Some(lsp::FoldingRangeKind::Comment));
    }
    // Runs of line comments and block comments.
    let toks = plantc::fmt::lex::tokens(text.text);
    let mut run: Option<Span> = None;
    let mut last_line = u32::MAX;
    for t in &toks {
        let line = text.index.position(text.text, t.span.start as usize).line;
        match t.kind {
            plantc::fmt::lex::TokenKind::BlockComment => {
                fold(t.span, Some(lsp::FoldingRangeKind::Comment))
            }
            plantc::fmt::lex::TokenKind::LineComment if line == last_line.wrapping_add(1) => {
                run = run.map(|r| r.to(t.span));
            }
            plantc::fmt::lex::TokenKind::LineComment => {
                if let Some(r) = run.take() {
                    fold(r, Some(lsp::FoldingRangeKind::Comment));
                }
                run = Some(t.span);
            }
            _ => {
                if let Some(r) = run.take() {
                    fold(r, Some(lsp::FoldingRangeKind::Comment));
                }
            }
        }
        last_line = text.index.position(text.text, t.span.end as usize).line;
    }
    if let Some(r) = run {
        fold(r, Some(lsp::FoldingRangeKind::Comment));
    }
    out
}

// ---- formatting, code actions --------------------------------------------------------------

/// The edit that formats a document (none when it is formatted), or why it cannot be.
pub fn formatting(path: &str, text: &str) -> Result<Vec<lsp::TextEdit>, String> {
    let formatted = plantc::fmt::format(path, text).map_err(|e| e.to_string())?;
    if formatted == text {
        return Ok(Vec::new());
    }
    let t = Text::new(text);
    Ok(vec![lsp::TextEdit {
        range: t.range(Span::new(0, text.len())),
        new_text: formatted,
    }])
}

/// The fix a diagnostic's help proposes, as (span to replace, replacement, title):
/// "did you mean `x`?" replaces the name it points at; "write the unit next to the number:
/// `2 m`" replaces the bare number.
pub fn fix_of(d: &Diagnostic, text: &str) -> Option<(Span, String, String)> {
    let help = d.help.as_deref()?;
    let quoted = help.split('`').nth(1)?;
    let target = text.get(d.primary.span.range())?;
    if help.starts_with("did you mean `") && help.ends_with("`?") {
        let is_name = !target.is_empty()
            && target
                .chars()
                .all(|c| c.is_alphanumeric() || "_:.µμ°Ω%".contains(c));
        if !is_name || quoted == target || quoted.contains(' ') {
            return None;
        }
        return Some((
            d.primary.span,
            quoted.to_string(),
            format!("Replace `{target}` with `{quoted}`"),
        ));
    }
    if help.starts_with("write the unit next to the number: `") {
        let number = target.trim();
        if quoted.starts_with(number) && quoted.len() > number.len() {
            return Some((
                d.primary.span,
                quoted.to_string(),
                format!("Write `{quoted}`"),
            ));
        }
    }
    None
}

pub fn code_actions(world: &World, file: SourceFile, range: Span) -> Vec<lsp::CodeActionOrCommand> {
    let s = &world.session;
    let db = &s.db;
    let path = file.path(db);
    let text = Text::new(file.text(db));
    let Some(uri) = world.uri_of(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in s.diagnostics(file) {
        if d.primary.file != *path
            || d.primary.span.end < range.start
            || d.primary.span.start > range.end
        {
            continue;
        }
        let Some((span, new_text, title)) = fix_of(&d, text.text) else {
            continue;
        };
        let lsp_diag = to_lsp_diagnostic(world, &d);
        let edit = lsp::TextEdit {
            range: text.range(span),
            new_text,
        };
        out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title,
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![lsp_diag]),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                ..Default::default()
            }),
            is_preferred: Some(true),
            ..Default::default()
        }));
    }
    out
}

/// Whether a declared type is a quantity (for completion of units after `:`).
pub fn is_quantity(t: &TyKind) -> bool {
    matches!(t, TyKind::Quantity(_))
}
