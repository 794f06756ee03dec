//! What every name in a file refers to: the occurrences of symbols (nodes, plants, units,
//! members, loop variables, modules, built-in units and functions), declarations and uses,
//! resolved with the compiler's own queries (`file_scope`, `node_sigs`, `unit_table`).
//!
//! [`file_index`] is a salsa query, so it is rebuilt only when something the file depends
//! on changes; definition, references, rename, hover and semantic tokens all read it.

use plantc::check::sig::{DefSig, MemberSigKind, node_sigs};
use plantc::db::{Db, SourceFile, Workspace, parse};
use plantc::resolve::{ItemKind, file_scope, module_file_path, path_index};
use plantc::syntax::ast::{
    ActionKind, Expr, ExprKind, Ident, Item, Member, MemberKind, Path, Span, Ty, TyKind, UnitExpr,
    UnitExprKind,
};

/// A thing a name can refer to.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Sym {
    /// A node, plant or user unit: its file and item index.
    Item { file: SourceFile, index: usize },
    /// A member (param, port, state, let, instance, action) of a node or plant.
    Member {
        file: SourceFile,
        item: usize,
        name: String,
    },
    /// A `for` loop variable, by the span of its declaration.
    LoopVar { file: SourceFile, decl: Span },
    /// A module named in a `use`.
    Module(SourceFile),
    /// A built-in unit (`m`, `L`, `kPa`).
    BuiltinUnit(String),
    /// A built-in function (`min`, `sqrt`).
    Function(String),
}

/// What kind of thing a symbol is (for semantic tokens, completion and outlines).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SymKind {
    Node,
    Plant,
    Unit,
    Param,
    InPort,
    OutPort,
    State,
    Let,
    Instance,
    Action,
    LoopVar,
    Module,
    Function,
}

impl SymKind {
    pub fn of_member(k: &MemberSigKind) -> SymKind {
        match k {
            MemberSigKind::Param { .. } => SymKind::Param,
            MemberSigKind::InPort { .. } => SymKind::InPort,
            MemberSigKind::OutPort => SymKind::OutPort,
            MemberSigKind::State => SymKind::State,
            MemberSigKind::Let => SymKind::Let,
            MemberSigKind::Instance(_) => SymKind::Instance,
            MemberSigKind::Action => SymKind::Action,
        }
    }
    pub fn of_item(k: ItemKind) -> SymKind {
        match k {
            ItemKind::Node => SymKind::Node,
            ItemKind::Plant => SymKind::Plant,
            ItemKind::Unit => SymKind::Unit,
        }
    }
}

/// One name in the text and what it refers to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Occ {
    pub span: Span,
    pub sym: Sym,
    pub kind: SymKind,
    /// The declaration itself (not a use).
    pub decl: bool,
}

#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct FileIndex {
    /// Sorted by position.
    pub occs: Vec<Occ>,
}

impl FileIndex {
    /// The occurrence whose name contains `offset` (touching its end counts).
    pub fn at(&self, offset: usize) -> Option<&Occ> {
        let i = self
            .occs
            .partition_point(|o| (o.span.end as usize) < offset);
        self.occs[i..]
            .iter()
            .take_while(|o| o.span.start as usize <= offset)
            .find(|o| o.span.contains(offset))
    }
}

#[salsa::tracked(returns(ref))]
pub fn file_index(db: &dyn Db, ws: Workspace, file: SourceFile) -> FileIndex {
    let mut b = Builder {
        db,
        ws,
        file,
        occs: Vec::new(),
    };
    b.file();
    let mut occs = b.occs;
    occs.sort_by_key(|o| (o.span.start, o.span.end));
    occs.dedup();
    FileIndex { occs }
}

/// The signature of an item (node or plant), if it has one.
pub fn def_sig(
    db: &dyn Db,
    ws: Workspace,
    file: SourceFile,
    index: usize,
) -> Option<std::sync::Arc<DefSig>> {
    node_sigs(db, ws, file).defs.get(&index).cloned()
}

struct Builder<'db> {
    db: &'db dyn Db,
    ws: Workspace,
    file: SourceFile,
    occs: Vec<Occ>,
}

/// The scope of expressions inside one definition.
struct Ctx {
    item: usize,
    sig: Option<std::sync::Arc<DefSig>>,
    loops: Vec<(String, Span)>,
}

impl Builder<'_> {
    fn push(&mut self, span: Span, sym: Sym, kind: SymKind, decl: bool) {
        self.occs.push(Occ {
            span,
            sym,
            kind,
            decl,
        });
    }

    fn file(&mut self) {
        let db = self.db;
        let ast = &parse(db, self.file).file;
        for (i, item) in ast.items.iter().enumerate() {
            match item {
                Item::Use(u) => {
                    let module: Vec<String> = u.module.iter().map(|s| s.name.clone()).collect();
                    let target_path = module_file_path(self.file.path(db), &module);
                    let Some(target) = path_index(db, self.ws).get(&target_path).copied() else {
                        continue;
                    };
                    for seg in &u.module {
                        self.push(seg.span, Sym::Module(target), SymKind::Module, false);
                    }
                    let target_ast = &parse(db, target).file;
                    for n in &u.names {
                        if let Some((j, kind)) =
                            target_ast.items.iter().enumerate().find_map(|(j, it)| {
                                let kind = match it {
                                    Item::Node(_) => ItemKind::Node,
                                    Item::Plant(_) => ItemKind::Plant,
                                    Item::Unit(_) => ItemKind::Unit,
                                    Item::Use(_) => return None,
                                };
                                (it.name().map(|x| &x.name) == Some(&n.name)).then_some((j, kind))
                            })
                        {
                            self.push(
                                n.span,
                                Sym::Item {
                                    file: target,
                                    index: j,
                                },
                                SymKind::of_item(kind),
                                false,
                            );
                        }
                    }
                }
                Item::Unit(u) => {
                    self.item_decl(i, &u.name, SymKind::Unit);
                    self.unit(&u.value);
                }
                Item::Node(n) => {
                    self.item_decl(i, &n.name, SymKind::Node);
                    self.def(i, &n.members);
                }
                Item::Plant(p) => {
                    self.item_decl(i, &p.name, SymKind::Plant);
                    self.def(i, &p.members);
                }
            }
        }
    }

    fn item_decl(&mut self, index: usize, name: &Ident, kind: SymKind) {
        // A duplicate definition is still a declaration of itself.
        self.push(
            name.span,
            Sym::Item {
                file: self.file,
                index,
            },
            kind,
            true,
        );
    }

    fn def(&mut self, item: usize, members: &[Member]) {
        let sig = def_sig(self.db, self.ws, self.file, item);
        let mut ctx = Ctx {
            item,
            sig,
            loops: Vec::new(),
        };
        self.members(&mut ctx, members);
    }

    fn member_decl(&mut self, ctx: &Ctx, name: &Ident) {
        let Some(sig) = &ctx.sig else { return };
        let Some(m) = sig.member(&name.name) else {
            return;
        };
        self.push(
            name.span,
            Sym::Member {
                file: self.file,
                item: ctx.item,
                name: name.name.clone(),
            },
            SymKind::of_member(&m.kind),
            m.span == name.span,
        );
    }

    fn members(&mut self, ctx: &mut Ctx, members: &[Member]) {
        for m in members {
            self.member(ctx, m);
        }
    }

    fn member(&mut self, ctx: &mut Ctx, m: &Member) {
        match &m.kind {
            MemberKind::Param(d) => {
                self.member_decl(ctx, &d.name);
                self.opt_expr(ctx, d.array.as_ref());
                self.ty(d.ty.as_ref());
                self.opt_expr(ctx, d.default.as_ref());
                if let Some(b) = &d.bounds {
                    self.expr(ctx, &b.lo);
                    self.expr(ctx, &b.hi);
                }
            }
            MemberKind::Port(d) => {
                self.member_decl(ctx, &d.name);
                self.opt_expr(ctx, d.array.as_ref());
                self.ty(Some(&d.ty));
                self.opt_expr(ctx, d.value.as_ref());
            }
            MemberKind::State(d) => {
                self.member_decl(ctx, &d.name);
                self.opt_expr(ctx, d.array.as_ref());
                self.ty(Some(&d.ty));
                self.expr(ctx, &d.init);
            }
            MemberKind::Let(d) => {
                self.member_decl(ctx, &d.name);
                self.opt_expr(ctx, d.array.as_ref());
                self.ty(d.ty.as_ref());
                self.expr(ctx, &d.value);
            }
            MemberKind::Equation(q) => {
                self.path(ctx, &q.target);
                self.expr(ctx, &q.value);
            }
            MemberKind::Instance(d) => {
                self.member_decl(ctx, &d.name);
                self.opt_expr(ctx, d.array.as_ref());
                let scope = file_scope(self.db, self.ws, self.file);
                let node = scope.get(&d.node.name);
                if let Some(r) = node {
                    self.push(
                        d.node.span,
                        Sym::Item {
                            file: r.file,
                            index: r.index,
                        },
                        SymKind::of_item(r.kind),
                        false,
                    );
                }
                let target = node
                    .filter(|r| r.kind == ItemKind::Node)
                    .and_then(|r| Some((r, def_sig(self.db, self.ws, r.file, r.index)?)));
                for a in &d.args {
                    if let Some((r, sig)) = &target
                        && let Some(m) = sig.member(&a.name.name)
                    {
                        self.push(
                            a.name.span,
                            Sym::Member {
                                file: r.file,
                                item: r.index,
                                name: a.name.name.clone(),
                            },
                            SymKind::of_member(&m.kind),
                            false,
                        );
                    }
                    self.expr(ctx, &a.value);
                }
            }
            MemberKind::Bond(b) => {
                self.expr(ctx, &b.source);
                self.path(ctx, &b.target);
            }
            MemberKind::For(f) => {
                self.expr(ctx, &f.lo);
                self.expr(ctx, &f.hi);
                self.push(
                    f.var.span,
                    Sym::LoopVar {
                        file: self.file,
                        decl: f.var.span,
                    },
                    SymKind::LoopVar,
                    true,
                );
                ctx.loops.push((f.var.name.clone(), f.var.span));
                self.members(ctx, &f.members);
                ctx.loops.pop();
            }
            MemberKind::Dt(e)
            | MemberKind::DecideEvery(e)
            | MemberKind::DecideWhen(e)
            | MemberKind::Reward(e)
            | MemberKind::Terminate(e) => self.expr(ctx, e),
            MemberKind::Integrator(d) => {
                for a in &d.options {
                    self.expr(ctx, &a.value);
                }
            }
            MemberKind::Action(a) => {
                self.member_decl(ctx, &a.name);
                match &a.kind {
                    ActionKind::Continuous { ty, bounds, .. } => {
                        self.ty(Some(ty));
                        self.expr(ctx, &bounds.lo);
                        self.expr(ctx, &bounds.hi);
                    }
                    ActionKind::Bool(_) => {}
                    ActionKind::Choice { count, masks, .. } => {
                        self.expr(ctx, count);
                        for m in masks.iter().flatten() {
                            self.expr(ctx, m);
                        }
                    }
                }
                if let Some(t) = &a.target {
                    self.path(ctx, t);
                }
            }
            MemberKind::Observe(o) => {
                self.expr(ctx, &o.value);
                if let Some(b) = &o.bounds {
                    self.expr(ctx, &b.lo);
                    self.expr(ctx, &b.hi);
                }
                self.opt_expr(ctx, o.noise.as_ref());
            }
            MemberKind::Agent(a) => self.members(ctx, &a.members),
            MemberKind::Truncate(t) => self.expr(ctx, &t.value),
            MemberKind::When(w) => {
                self.expr(ctx, &w.cond);
                for a in &w.body {
                    self.path(ctx, &a.target);
                    self.expr(ctx, &a.value);
                }
            }
            MemberKind::OnDecide(body) => {
                for a in body {
                    self.path(ctx, &a.target);
                    self.expr(ctx, &a.value);
                }
            }
        }
    }

    fn ty(&mut self, t: Option<&Ty>) {
        if let Some(Ty {
            kind: TyKind::Quantity(u),
            ..
        }) = t
        {
            self.unit(u);
        }
    }

    fn unit(&mut self, u: &UnitExpr) {
        let mut stack = vec![u];
        while let Some(u) = stack.pop() {
            match &u.kind {
                UnitExprKind::Name(n) => {
                    let scope = file_scope(self.db, self.ws, self.file);
                    match scope.get(n).filter(|r| r.kind == ItemKind::Unit) {
                        Some(r) => self.push(
                            u.span,
                            Sym::Item {
                                file: r.file,
                                index: r.index,
                            },
                            SymKind::Unit,
                            false,
                        ),
                        None if plantc::units::builtin(n).is_some() => {
                            self.push(u.span, Sym::BuiltinUnit(n.clone()), SymKind::Unit, false)
                        }
                        None => {}
                    }
                }
                UnitExprKind::Number(_) => {}
                UnitExprKind::Mul(a, b) | UnitExprKind::Div(a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
                UnitExprKind::Pow(a, _) => stack.push(a),
            }
        }
    }

    fn opt_expr(&mut self, ctx: &Ctx, e: Option<&Expr>) {
        if let Some(e) = e {
            self.expr(ctx, e);
        }
    }

    fn expr(&mut self, ctx: &Ctx, e: &Expr) {
        let mut stack = vec![e];
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Number { unit, .. } => {
                    if let Some(u) = unit {
                        self.unit(u);
                    }
                }
                ExprKind::Bool(_) => {}
                ExprKind::Path(p) => self.path(ctx, p),
                ExprKind::Unary { operand, .. } => stack.push(operand),
                ExprKind::Binary { lhs, rhs, .. } => {
                    stack.push(lhs);
                    stack.push(rhs);
                }
                ExprKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    stack.push(cond);
                    stack.push(then);
                    stack.push(otherwise);
                }
                ExprKind::Call { func, args } => {
                    if plantc::check::types::builtin(&func.name).is_some() {
                        self.push(
                            func.span,
                            Sym::Function(func.name.clone()),
                            SymKind::Function,
                            false,
                        );
                    }
                    stack.extend(args.iter());
                }
                ExprKind::Paren(inner) => stack.push(inner),
            }
        }
    }

    /// Resolve each segment of a path: the first in the definition (or a loop variable),
    /// the next ones through the signatures of the instances they pass.
    fn path(&mut self, ctx: &Ctx, p: &Path) {
        for seg in &p.segments {
            if let Some(ix) = &seg.index {
                self.expr(ctx, ix);
            }
        }
        let Some(first) = p.segments.first() else {
            return;
        };
        if let Some((_, decl)) = ctx.loops.iter().rev().find(|(n, _)| *n == first.name.name) {
            self.push(
                first.name.span,
                Sym::LoopVar {
                    file: self.file,
                    decl: *decl,
                },
                SymKind::LoopVar,
                false,
            );
            return;
        }
        let Some(mut sig) = ctx.sig.clone() else {
            return;
        };
        let (mut file, mut item) = (self.file, ctx.item);
        for seg in &p.segments {
            let Some(m) = sig.member(&seg.name.name) else {
                return;
            };
            self.push(
                seg.name.span,
                Sym::Member {
                    file,
                    item,
                    name: seg.name.name.clone(),
                },
                SymKind::of_member(&m.kind),
                false,
            );
            match &m.kind {
                MemberSigKind::Instance(Some(r)) => {
                    let Some(next) = def_sig(self.db, self.ws, r.file, r.index) else {
                        return;
                    };
                    (file, item) = (r.file, r.index);
                    sig = next;
                }
                _ => return,
            }
        }
    }
}
