//! Signatures: what a node or plant declares, as seen by code that uses it.
//!
//! A [`DefSig`] lists a definition's named members (params, ports, states, definitions,
//! instances, actions) with their resolved types and array lengths. Untyped `let`s get
//! the type inferred from their expression. Signatures are computed per file by the
//! tracked query [`node_sigs`]; users in other files read them without re-checking.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

use super::infer::{Infer, Scope};
use super::types::{DeclaredUnit, VType};
use crate::db::{Db, SourceFile, Workspace, parse};
use crate::resolve::{ItemKind, ItemRef, UnitTable, file_scope, unit_table};
use crate::syntax::ast::{
    self, ActionKind, ExprKind, Item, Member, MemberKind, PortDir, Span, Ty, TyKind,
};
use crate::units::Dim;

#[derive(Clone, PartialEq, Debug)]
pub struct DefSig {
    pub name: String,
    pub is_plant: bool,
    pub item: ItemRef,
    pub members: Vec<MemberSig>,
    pub by_name: HashMap<String, usize>,
    /// Names whose declaration was already reported: declared twice, or by a member that
    /// did not parse. Their uses are not checked, so one mistake gives one diagnostic.
    pub reported: HashSet<String>,
}

impl DefSig {
    pub fn member(&self, name: &str) -> Option<&MemberSig> {
        self.by_name.get(name).map(|&i| &self.members[i])
    }
    pub fn member_names(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|m| m.name.as_str())
    }
}

#[derive(Clone, PartialEq, Debug)]
pub struct MemberSig {
    pub name: String,
    /// The span of the member's name.
    pub span: Span,
    pub doc: Option<String>,
    pub kind: MemberSigKind,
    pub ty: VType,
    /// The declared unit, when one is written.
    pub unit: Option<DeclaredUnit>,
    pub array: Option<ArrayLen>,
}

#[derive(Clone, PartialEq, Debug)]
pub enum MemberSigKind {
    /// `bounds`: the declared bounds in SI, when constant.
    Param {
        has_default: bool,
        int: bool,
        bounds: Option<(f64, f64)>,
    },
    InPort {
        sum: bool,
        has_default: bool,
    },
    OutPort,
    State,
    Let,
    /// An instance and the node it instantiates (None when that did not resolve).
    Instance(Option<ItemRef>),
    Action,
}

impl MemberSigKind {
    pub fn describe(&self) -> &'static str {
        match self {
            MemberSigKind::Param { .. } => "parameter",
            MemberSigKind::InPort { .. } => "in port",
            MemberSigKind::OutPort => "out port",
            MemberSigKind::State => "state",
            MemberSigKind::Let => "definition",
            MemberSigKind::Instance(_) => "instance",
            MemberSigKind::Action => "action",
        }
    }
}

/// The length of an array member: a constant, or the name of an `int` parameter of the
/// same definition (known when the definition is instantiated).
#[derive(Clone, PartialEq, Debug)]
pub enum ArrayLen {
    Const(u32),
    Param(String),
    Invalid,
}

/// The signatures of every node and plant in a file, by item index.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct FileSigs {
    pub defs: HashMap<usize, Arc<DefSig>>,
}

#[salsa::tracked(returns(ref))]
pub fn node_sigs(db: &dyn Db, ws: Workspace, file: SourceFile) -> FileSigs {
    let mut provider = SigProvider::new(db, ws, file);
    let n = parse(db, file).file.items.len();
    for i in 0..n {
        provider.local(i);
    }
    FileSigs {
        defs: provider
            .done
            .into_iter()
            .filter_map(|(k, v)| v.map(|s| (k, s)))
            .collect(),
    }
}

/// Gives the signature of any definition: the current file's on demand (with a guard
/// against a node containing itself), other files' through the tracked query.
pub struct SigProvider<'db> {
    pub db: &'db dyn Db,
    pub ws: Workspace,
    pub file: SourceFile,
    done: HashMap<usize, Option<Arc<DefSig>>>,
    active: Vec<usize>,
    /// When set, signatures of the current file come from here (check mode: all built).
    ready: Option<&'db FileSigs>,
}

impl<'db> SigProvider<'db> {
    pub fn new(db: &'db dyn Db, ws: Workspace, file: SourceFile) -> Self {
        SigProvider {
            db,
            ws,
            file,
            done: HashMap::default(),
            active: Vec::new(),
            ready: None,
        }
    }

    /// A provider over finished signatures (used by checking and lowering).
    pub fn finished(db: &'db dyn Db, ws: Workspace, file: SourceFile) -> Self {
        let mut p = SigProvider::new(db, ws, file);
        p.ready = Some(node_sigs(db, ws, file));
        p
    }

    pub fn get(&mut self, r: ItemRef) -> Option<Arc<DefSig>> {
        if r.file == self.file {
            self.local(r.index)
        } else {
            node_sigs(self.db, self.ws, r.file)
                .defs
                .get(&r.index)
                .cloned()
        }
    }

    fn local(&mut self, index: usize) -> Option<Arc<DefSig>> {
        if let Some(ready) = self.ready {
            return ready.defs.get(&index).cloned();
        }
        if let Some(s) = self.done.get(&index) {
            return s.clone();
        }
        if self.active.contains(&index) {
            return None; // a node containing itself: reported by the checker
        }
        self.active.push(index);
        let sig = build(self, index).map(Arc::new);
        self.active.pop();
        self.done.insert(index, sig.clone());
        sig
    }
}

/// The source text of a span.
pub fn slice(text: &str, span: Span) -> &str {
    text.get(span.range()).unwrap_or("")
}

/// Resolve a declared type. Unknown units give `VType::Error` (reported by the checker).
pub fn resolve_ty(ty: &Ty, units: &UnitTable, text: &str) -> (VType, Option<DeclaredUnit>) {
    match &ty.kind {
        TyKind::Bool => (VType::Bool, None),
        TyKind::Int => (VType::DIMENSIONLESS, None),
        TyKind::Quantity(u) => match units.eval(u) {
            Ok(unit) => (
                VType::Num(unit.dim),
                Some(DeclaredUnit {
                    text: slice(text, u.span).to_string(),
                    unit,
                }),
            ),
            Err(_) => (VType::Error, None),
        },
    }
}

/// The length of an array from its size expression.
pub fn array_len(e: &ast::Expr) -> ArrayLen {
    match &e.kind {
        ExprKind::Number { value, unit: None }
            if *value >= 1.0 && value.fract() == 0.0 && *value <= u32::MAX as f64 =>
        {
            ArrayLen::Const(*value as u32)
        }
        ExprKind::Path(p) if p.segments.len() == 1 && p.segments[0].index.is_none() => {
            ArrayLen::Param(p.segments[0].name.name.clone())
        }
        ExprKind::Paren(inner) => array_len(inner),
        _ => ArrayLen::Invalid,
    }
}

fn build(p: &mut SigProvider<'_>, index: usize) -> Option<DefSig> {
    let db = p.db;
    let ast = &parse(db, p.file).file;
    let (name, members, unparsed, is_plant) = match ast.items.get(index)? {
        Item::Node(n) => (&n.name, &n.members, &n.unparsed, false),
        Item::Plant(pl) => (&pl.name, &pl.members, &pl.unparsed, true),
        _ => return None,
    };
    let text = p.file.text(db);
    let units = unit_table(db, p.ws, p.file);
    let scope = file_scope(db, p.ws, p.file);
    let mut sig = DefSig {
        name: name.name.clone(),
        is_plant,
        item: ItemRef {
            file: p.file,
            index,
            kind: if is_plant {
                ItemKind::Plant
            } else {
                ItemKind::Node
            },
        },
        members: Vec::new(),
        by_name: HashMap::default(),
        reported: unparsed.iter().map(|n| n.name.clone()).collect(),
    };
    let mut untyped_lets: Vec<(usize, &ast::Expr)> = Vec::new();
    let mut param_bounds: Vec<(Span, &ast::Bounds)> = Vec::new();
    let mut all: Vec<&Member> = Vec::new();
    flatten_members(members, &mut all);
    for m in all {
        let doc = m.doc.as_ref().map(|d| d.text.clone());
        let mut untyped = None;
        let (ident, kind, ty, unit, array) = match &m.kind {
            MemberKind::Param(d) => {
                let int = matches!(d.ty.as_ref().map(|t| &t.kind), Some(TyKind::Int));
                let (ty, unit) = match &d.ty {
                    Some(t) => resolve_ty(t, units, text),
                    None => (VType::DIMENSIONLESS, None),
                };
                if let Some(b) = &d.bounds {
                    param_bounds.push((d.name.span, b));
                }
                let kind = MemberSigKind::Param {
                    has_default: d.default.is_some(),
                    int,
                    bounds: None,
                };
                (&d.name, kind, ty, unit, d.array.as_ref())
            }
            MemberKind::Port(d) => {
                let (ty, unit) = resolve_ty(&d.ty, units, text);
                let kind = match d.dir {
                    PortDir::In => MemberSigKind::InPort {
                        sum: d.sum.is_some(),
                        has_default: d.value.is_some(),
                    },
                    PortDir::Out => MemberSigKind::OutPort,
                };
                (&d.name, kind, ty, unit, d.array.as_ref())
            }
            MemberKind::State(d) => {
                let (ty, unit) = resolve_ty(&d.ty, units, text);
                (&d.name, MemberSigKind::State, ty, unit, d.array.as_ref())
            }
            MemberKind::Let(d) => {
                let (ty, unit) = match &d.ty {
                    Some(t) => resolve_ty(t, units, text),
                    None => {
                        untyped = Some(&d.value);
                        (VType::Error, None)
                    }
                };
                (&d.name, MemberSigKind::Let, ty, unit, d.array.as_ref())
            }
            MemberKind::Instance(d) => {
                let node = scope.get(&d.node.name).filter(|r| r.kind == ItemKind::Node);
                (
                    &d.name,
                    MemberSigKind::Instance(node),
                    VType::Error,
                    None,
                    d.array.as_ref(),
                )
            }
            MemberKind::Action(d) => {
                let (ty, unit) = match &d.kind {
                    ActionKind::Continuous { ty, .. } => resolve_ty(ty, units, text),
                    ActionKind::Bool(_) => (VType::Bool, None),
                    ActionKind::Choice { .. } => (VType::DIMENSIONLESS, None),
                };
                (&d.name, MemberSigKind::Action, ty, unit, None)
            }
            _ => continue,
        };
        if sig.by_name.contains_key(&ident.name) {
            // A duplicate, reported by the checker: the first one wins, and uses of the
            // name are not checked.
            sig.reported.insert(ident.name.clone());
            continue;
        }
        if let Some(value) = untyped {
            untyped_lets.push((sig.members.len(), value));
        }
        sig.by_name.insert(ident.name.clone(), sig.members.len());
        sig.members.push(MemberSig {
            name: ident.name.clone(),
            span: ident.span,
            doc,
            kind,
            ty,
            unit,
            array: array.map(array_len),
        });
    }
    let path = p.file.path(db).clone();
    // Constant parameter bounds, so instantiations can be checked against them.
    for (name_span, b) in &param_bounds {
        // Duplicates were skipped above: match the declaration by its name's span.
        let Some(slot) = sig.members.iter().position(|m| m.span == *name_span) else {
            continue;
        };
        let (lo, hi) = {
            let mut infer = Infer::new(&path, text, units, scope, p, Scope::new(&sig), false);
            (infer.expr(&b.lo).konst, infer.expr(&b.hi).konst)
        };
        if let (Some(lo), Some(hi), MemberSigKind::Param { bounds, .. }) =
            (lo, hi, &mut sig.members[slot].kind)
        {
            *bounds = Some((lo, hi));
        }
    }
    // Infer untyped definitions; repeat while progress is made so that definitions may
    // refer to later ones. A definition on a cycle stays `Error` (lowering reports it).
    loop {
        let mut progress = false;
        for (slot, expr) in &untyped_lets {
            if sig.members[*slot].ty != VType::Error {
                continue;
            }
            let ty = {
                let mut infer = Infer::new(&path, text, units, scope, p, Scope::new(&sig), false);
                infer.expr(expr).ty
            };
            if ty != VType::Error {
                sig.members[*slot].ty = ty;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    let _ = Dim::DIMENSIONLESS;
    Some(sig)
}

/// Members in declaration order, looking inside `agent` blocks (their actions are plant
/// members too). `for` blocks declare nothing.
pub fn flatten_members<'a>(members: &'a [Member], out: &mut Vec<&'a Member>) {
    for m in members {
        match &m.kind {
            MemberKind::Agent(a) => flatten_members(&a.members, out),
            _ => out.push(m),
        }
    }
}
