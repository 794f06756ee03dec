//! Lowering: flatten a plant into the IR.
//!
//! Instantiates every node recursively (array instances and `for` blocks unrolled),
//! turns each scalar member into an IR variable, translates expressions to SI, then
//! checks what only concrete instances show: every `in` port driven exactly once (or
//! summed), array indices in range, no state with two equations, and no algebraic loop
//! (reported with the full cycle). Parameters and algebraic values are ordered so each
//! reads only values computed before it.
//!
//! Lowering runs only on files whose earlier phases found no errors; it relies on the
//! checker's guarantees and fails silently (no model) where a name does not resolve.

mod order;

// Fx hashing: the keys are names from the source, and lowering looks them up per variable.
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use crate::check::infer::{Infer, Scope};
use crate::check::sig::{self, ArrayLen, DefSig, MemberSigKind, SigProvider, node_sigs};
use crate::check::types::VType;
use crate::db::{Db, SourceFile, Workspace, parse};
use crate::diagnostics::{Diagnostic, codes, has_errors};
use crate::ir::{
    self, ActionDef, ActionSpace, AgentDef, Assignment, BinOp, Decide, EventDef, Expr, Func,
    Integrator, Model, ObsDef, Source, StateDef, StateUpdate, Truncate, UnitInfo, Var, VarId,
    VarKind,
};
use crate::resolve::{ItemKind, ItemRef, UnitTable, file_scope, unit_table};
use crate::syntax::ast::{
    self, ActionKind, EquationKind, Item, Member, MemberKind, Path, PortDir, Span,
};

/// The models of a file's plants, and the diagnostics found while flattening.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Lowered {
    pub models: Vec<Arc<Model>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Lowered {
    pub fn model(&self, name: &str) -> Option<&Arc<Model>> {
        self.models.iter().find(|m| m.name == name)
    }
}

#[salsa::tracked(returns(ref))]
pub fn lower_file(db: &dyn Db, ws: Workspace, file: SourceFile) -> Lowered {
    let mut out = Lowered::default();
    // Earlier phases must be clean, here and in every imported file: lowering trusts the
    // checker.
    let earlier_errors = std::iter::once(file)
        .chain(crate::resolve::imported_files(db, ws, file).iter().copied())
        .any(|f| has_errors(&crate::db::check_diagnostics(db, ws, f)));
    if earlier_errors {
        return out;
    }
    let (mut node_diags, mut plant_diags) = (Vec::new(), Vec::new());
    for (i, item) in parse(db, file).file.items.iter().enumerate() {
        let standalone = match item {
            Item::Plant(_) => false,
            Item::Node(_) => true,
            _ => continue,
        };
        let root = ItemRef {
            file,
            index: i,
            kind: if standalone {
                ItemKind::Node
            } else {
                ItemKind::Plant
            },
        };
        let mut l = Lowerer::new(db, ws, standalone);
        let model = l.run(root);
        if standalone {
            node_diags.append(&mut l.diags);
        } else {
            plant_diags.append(&mut l.diags);
        }
        if let (Some(m), false) = (model, standalone) {
            out.models.push(Arc::new(m));
        }
    }
    // A problem inside a node is reported once, not once per instance and plant: as found
    // in the node on its own (names without instance prefixes) when it is, else at its
    // first instance.
    let mut seen = std::collections::HashSet::new();
    out.diagnostics = node_diags
        .into_iter()
        .chain(plant_diags)
        .filter(|d| seen.insert((d.code, d.primary.file.clone(), d.primary.span)))
        .collect();
    out
}

type InstId = usize;

#[derive(Clone)]
enum Slot {
    Vars { vars: Vec<VarId>, array: bool },
    Insts { insts: Vec<InstId>, array: bool },
}

struct Inst {
    file: SourceFile,
    path: Arc<str>,
    item: ItemRef,
    prefix: String,
    sig: Arc<DefSig>,
    slots: HashMap<String, Slot>,
    /// Arguments given at instantiation, translated in the parent.
    args: HashMap<String, Expr>,
    /// Where the instance was declared (file path, span), none for the root.
    decl: Option<(String, Span)>,
}

#[derive(Default)]
struct VarData {
    value: Option<Expr>,
    drivers: Vec<(Expr, Source)>,
    /// For an in port with one driver: where it is driven (the bond or action).
    driven_at: Option<Source>,
    in_port: Option<InPort>,
    init: Option<Expr>,
    update: Option<(StateUpdate, Source)>,
    assigned_by_event: bool,
}

struct InPort {
    sum: bool,
    default: Option<Expr>,
    inst: InstId,
    port_span: Span,
}

/// Stops lowering of one model (the reason was reported, or is a checker error).
#[derive(Clone, Copy)]
struct Abort;

struct Lowerer<'db> {
    db: &'db dyn Db,
    ws: Workspace,
    standalone: bool,
    insts: Vec<Inst>,
    vars: Vec<Var>,
    data: Vec<VarData>,
    diags: Vec<Diagnostic>,
    events: Vec<EventDef>,
    on_decide: Vec<Assignment>,
    actions: Vec<ActionDef>,
    observations: Vec<ObsDef>,
    agents: Vec<AgentDef>,
    agents_declared: bool,
    /// Plant-level observations of a plant with agents: every agent sees them.
    shared_observations: Vec<usize>,
    settings: PlantSettings,
    /// Each file's path, shared by the sources of every variable declared in it.
    paths: HashMap<SourceFile, Arc<str>>,
    /// The SI unit names of the dimensions met so far (formatting one is not cheap, and
    /// a plant has few distinct ones).
    dim_names: HashMap<crate::units::dim::Dim, String>,
    unit_scales: HashMap<(SourceFile, &'db str), Result<f64, Abort>>,
}

#[derive(Default)]
struct PlantSettings {
    dt: Option<f64>,
    every: Option<f64>,
    when: Option<Expr>,
    integrator: Option<Integrator>,
    truncate: Option<Truncate>,
    terminate: Vec<Expr>,
}

const MAX_DEPTH: usize = 64;

impl<'db> Lowerer<'db> {
    fn new(db: &'db dyn Db, ws: Workspace, standalone: bool) -> Self {
        Lowerer {
            db,
            ws,
            standalone,
            insts: Vec::new(),
            vars: Vec::new(),
            data: Vec::new(),
            diags: Vec::new(),
            events: Vec::new(),
            on_decide: Vec::new(),
            actions: Vec::new(),
            observations: Vec::new(),
            agents: Vec::new(),
            agents_declared: false,
            shared_observations: Vec::new(),
            settings: PlantSettings::default(),
            paths: HashMap::default(),
            dim_names: HashMap::default(),
            unit_scales: HashMap::default(),
        }
    }

    fn run(&mut self, root: ItemRef) -> Option<Model> {
        let root_id = self
            .instantiate(root, String::new(), HashMap::default(), None, 0)
            .ok()?;
        for id in 0..self.insts.len() {
            self.translate_instance(id).ok()?;
        }
        self.finish_ports();
        let params = self.order_params()?;
        let algebraic = self.order_algebraic()?;
        self.held_state_warnings();
        let root_inst = &self.insts[root_id];
        let name = root_inst.sig.name.clone();
        let source = Source::new(root_inst.path.clone(), self.name_span(root));
        let states = self.states();
        if self.standalone {
            return None;
        }
        if !self.agents_declared {
            // One implicit agent holds every action and observation and the reward.
            let reward = self.agents.first_mut().and_then(|a| a.reward.take());
            self.agents = vec![AgentDef {
                name: "agent".into(),
                actions: (0..self.actions.len()).collect(),
                observations: (0..self.observations.len()).collect(),
                reward,
            }];
        } else if !self.shared_observations.is_empty() {
            // Shared observations come first for every agent, in declaration order.
            for a in &mut self.agents {
                let own = std::mem::take(&mut a.observations);
                a.observations = self.shared_observations.clone();
                a.observations.extend(own);
            }
        }
        let s = std::mem::take(&mut self.settings);
        let dt = s.dt?;
        let decide = match (s.every, s.when) {
            (_, Some(cond)) => Decide::When(cond),
            (Some(every), None) => Decide::Every {
                ticks: (every / dt).round().max(1.0) as u64,
            },
            (None, None) => Decide::Every { ticks: 1 },
        };
        let terminate = s
            .terminate
            .into_iter()
            .reduce(|a, b| Expr::Bin(BinOp::Or, Box::new(a), Box::new(b)));
        Some(Model {
            name,
            source,
            dt,
            decide,
            integrator: s.integrator.unwrap_or(Integrator::Rk4),
            vars: std::mem::take(&mut self.vars),
            params,
            states,
            algebraic,
            actions: std::mem::take(&mut self.actions),
            observations: std::mem::take(&mut self.observations),
            agents: std::mem::take(&mut self.agents),
            agents_declared: self.agents_declared,
            events: std::mem::take(&mut self.events),
            on_decide: std::mem::take(&mut self.on_decide),
            terminate,
            truncate: s.truncate,
        })
    }

    fn name_span(&self, r: ItemRef) -> Span {
        parse(self.db, r.file)
            .file
            .items
            .get(r.index)
            .and_then(|i| i.name())
            .map(|n| n.span)
            .unwrap_or_default()
    }

    fn members(&self, r: ItemRef) -> &'db [Member] {
        match parse(self.db, r.file).file.items.get(r.index) {
            Some(Item::Node(n)) => &n.members,
            Some(Item::Plant(p)) => &p.members,
            _ => &[],
        }
    }

    fn units(&self, file: SourceFile) -> &'db UnitTable {
        unit_table(self.db, self.ws, file)
    }

    /// The SI scale of a unit written in `file`, evaluated once per distinct text (every
    /// instance of a node repeats its literals' units).
    fn unit_scale(&mut self, file: SourceFile, u: &ast::UnitExpr) -> Result<f64, Abort> {
        let db = self.db;
        let key = (file, file.text(db).get(u.span.range()).unwrap_or_default());
        if let Some(s) = self.unit_scales.get(&key) {
            return *s;
        }
        let scale = self.units(file).eval(u).map(|u| u.scale).map_err(|_| Abort);
        self.unit_scales.insert(key, scale);
        scale
    }

    fn file_path(&mut self, file: SourceFile) -> Arc<str> {
        let db = self.db;
        self.paths
            .entry(file)
            .or_insert_with(|| file.path(db).as_str().into())
            .clone()
    }

    fn new_var(
        &mut self,
        name: String,
        kind: VarKind,
        ty: VType,
        unit: Option<&crate::check::types::DeclaredUnit>,
        source: Source,
    ) -> VarId {
        let id = VarId(self.vars.len() as u32);
        let si = match ty {
            VType::Num(d) => self
                .dim_names
                .entry(d)
                .or_insert_with(|| d.to_string())
                .clone(),
            VType::Bool => "bool".to_string(),
            VType::Error => "?".to_string(),
        };
        let unit = UnitInfo {
            display: unit.map(|u| u.text.clone()).unwrap_or_else(|| si.clone()),
            scale: unit.map(|u| u.unit.scale).unwrap_or(1.0),
            si,
        };
        self.vars.push(Var {
            name,
            kind,
            unit,
            is_bool: ty == VType::Bool,
            source,
        });
        self.data.push(VarData::default());
        id
    }

    // ---- pass 1: create instances and variables ---------------------------------------

    fn instantiate(
        &mut self,
        item: ItemRef,
        prefix: String,
        args: HashMap<String, Expr>,
        decl: Option<(String, Span)>,
        depth: usize,
    ) -> Result<InstId, Abort> {
        if depth > MAX_DEPTH {
            return Err(Abort); // recursion is reported by the checker
        }
        let sig = node_sigs(self.db, self.ws, item.file)
            .defs
            .get(&item.index)
            .cloned()
            .ok_or(Abort)?;
        let path: Arc<str> = self.file_path(item.file);
        let id = self.insts.len();
        self.insts.push(Inst {
            file: item.file,
            path: path.clone(),
            item,
            prefix: prefix.clone(),
            sig: sig.clone(),
            slots: HashMap::default(),
            args,
            decl,
        });
        let is_root = depth == 0;
        let mut all = Vec::new();
        sig::flatten_members(self.members(item), &mut all);
        // Parameters first (array sizes may use them), then everything else.
        for pass in 0..2 {
            for m in &all {
                let is_param = matches!(m.kind, MemberKind::Param(_));
                if (pass == 0) != is_param {
                    continue;
                }
                let (name, size) = match &m.kind {
                    MemberKind::Param(d) => (&d.name, d.array.as_ref()),
                    MemberKind::Port(d) => (&d.name, d.array.as_ref()),
                    MemberKind::State(d) => (&d.name, d.array.as_ref()),
                    MemberKind::Let(d) => (&d.name, d.array.as_ref()),
                    MemberKind::Action(d) => (&d.name, None),
                    MemberKind::Instance(d) => (&d.name, d.array.as_ref()),
                    _ => continue,
                };
                let Some(ms) = sig.member(&name.name) else {
                    continue;
                };
                if ms.span != name.span {
                    continue; // a duplicate declaration: the checker reported it
                }
                let len = match size {
                    None => None,
                    Some(e) => Some(self.array_len(id, &ms.array, e)?),
                };
                let count = len.unwrap_or(1);
                let src = Source::new(path.clone(), name.span);
                if let MemberKind::Instance(d) = &m.kind {
                    let MemberSigKind::Instance(Some(child)) = &ms.kind else {
                        return Err(Abort);
                    };
                    let mut ids = Vec::new();
                    for k in 0..count {
                        let child_prefix = match len {
                            Some(_) => format!("{prefix}{}[{k}].", name.name),
                            None => format!("{prefix}{}.", name.name),
                        };
                        let mut child_args = HashMap::default();
                        let bind = HashMap::default();
                        for a in &d.args {
                            let e = self.expr(id, &a.value, &bind)?;
                            child_args.insert(a.name.name.clone(), e);
                        }
                        let cid = self.instantiate(
                            *child,
                            child_prefix,
                            child_args,
                            Some((path.to_string(), d.name.span)),
                            depth + 1,
                        )?;
                        ids.push(cid);
                    }
                    self.insts[id].slots.insert(
                        name.name.clone(),
                        Slot::Insts {
                            insts: ids,
                            array: len.is_some(),
                        },
                    );
                    continue;
                }
                let kind = match &m.kind {
                    MemberKind::Param(_) => VarKind::Param,
                    MemberKind::State(_) => VarKind::State,
                    MemberKind::Action(_) => VarKind::Action,
                    MemberKind::Port(p) if p.dir == PortDir::In && is_root && self.standalone => {
                        VarKind::Input
                    }
                    _ => VarKind::Algebraic,
                };
                let mut vars = Vec::new();
                for k in 0..count {
                    let vname = match len {
                        Some(_) => format!("{prefix}{}[{k}]", name.name),
                        None => format!("{prefix}{}", name.name),
                    };
                    let v = self.new_var(vname, kind, ms.ty, ms.unit.as_ref(), src.clone());
                    vars.push(v);
                }
                self.insts[id].slots.insert(
                    name.name.clone(),
                    Slot::Vars {
                        vars,
                        array: len.is_some(),
                    },
                );
            }
            if pass == 0 {
                // Parameter values are needed for array sizes: translate them now.
                for m in &all {
                    if let MemberKind::Param(d) = &m.kind {
                        self.param_values(id, d)?;
                    }
                }
            }
        }
        Ok(id)
    }

    fn param_values(&mut self, id: InstId, d: &ast::ParamDecl) -> Result<(), Abort> {
        let Some(Slot::Vars { vars, .. }) = self.insts[id].slots.get(&d.name.name).cloned() else {
            return Ok(());
        };
        let given = self.insts[id].args.get(&d.name.name).cloned();
        let value = match (given, &d.default) {
            (Some(e), _) => e,
            (None, Some(def)) => self.expr(id, def, &HashMap::default())?,
            (None, None) if self.standalone => Expr::Const(0.0),
            (None, None) => return Err(Abort),
        };
        for v in vars {
            self.data[v.index()].value = Some(value.clone());
        }
        Ok(())
    }

    fn array_len(
        &mut self,
        id: InstId,
        len: &Option<ArrayLen>,
        size: &ast::Expr,
    ) -> Result<usize, Abort> {
        match len {
            Some(ArrayLen::Const(n)) => Ok(*n as usize),
            Some(ArrayLen::Param(p)) => {
                let value = match self.insts[id].slots.get(p) {
                    Some(Slot::Vars { vars, array: false }) => {
                        self.data[vars[0].index()].value.clone()
                    }
                    _ => None,
                };
                match value.as_ref().and_then(|v| self.const_value(v)) {
                    Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= 1.0e7 => Ok(n as usize),
                    Some(n) => {
                        let path = self.insts[id].path.clone();
                        self.diags.push(Diagnostic::error(codes::BAD_ARRAY_SIZE, format!("array size `{p}` is {n} here; it must be a whole number from 1 to 10000000"), &*path, size.span, "invalid array size"));
                        Err(Abort)
                    }
                    None if self.standalone => Err(Abort),
                    None => {
                        let path = self.insts[id].path.clone();
                        self.diags.push(
                            Diagnostic::error(codes::BAD_ARRAY_SIZE, format!("array size `{p}` is not a constant here"), &*path, size.span, "size not known when the plant is built")
                                .with_help("pass a whole number for the parameter, not an expression that draws or depends on other parameters' random values"),
                        );
                        Err(Abort)
                    }
                }
            }
            _ => Err(Abort),
        }
    }

    /// The constant value of an IR expression, reading parameters whose values are constant.
    fn const_value(&self, e: &Expr) -> Option<f64> {
        self.const_value_depth(e, 0)
    }

    fn const_value_depth(&self, e: &Expr, depth: usize) -> Option<f64> {
        if depth > 64 {
            return None;
        }
        match e {
            Expr::Var(v) if self.vars[v.index()].kind == VarKind::Param => self.data[v.index()]
                .value
                .as_ref()
                .and_then(|x| self.const_value_depth(x, depth + 1)),
            Expr::Const(c) => Some(*c),
            Expr::Neg(a) => self.const_value_depth(a, depth + 1).map(|v| -v),
            Expr::Bin(op, a, b) => {
                let (x, y) = (
                    self.const_value_depth(a, depth + 1)?,
                    self.const_value_depth(b, depth + 1)?,
                );
                ir::Expr::Bin(*op, Box::new(Expr::Const(x)), Box::new(Expr::Const(y))).constant()
            }
            _ => None,
        }
    }

    // ---- pass 2: translate expressions -------------------------------------------------

    fn translate_instance(&mut self, id: InstId) -> Result<(), Abort> {
        let item = self.insts[id].item;
        let members = self.members(item);
        let bind = HashMap::default();
        self.translate_members(id, members, &bind, None)
    }

    fn translate_members(
        &mut self,
        id: InstId,
        members: &'db [Member],
        bind: &HashMap<String, f64>,
        agent: Option<usize>,
    ) -> Result<(), Abort> {
        let path = self.insts[id].path.clone();
        let is_root = id == 0;
        for m in members {
            let src = Source::new(path.clone(), m.span);
            match &m.kind {
                MemberKind::Param(_) | MemberKind::Instance(_) => {}
                MemberKind::Port(d) => {
                    let vars = self.slot_vars(id, &d.name.name);
                    let value = match &d.value {
                        Some(e) => Some(self.expr(id, e, bind)?),
                        None => None,
                    };
                    for v in vars {
                        match d.dir {
                            PortDir::Out => self.data[v.index()].value = value.clone(),
                            PortDir::In => {
                                self.data[v.index()].in_port = Some(InPort {
                                    sum: d.sum.is_some(),
                                    default: value.clone(),
                                    inst: id,
                                    port_span: d.name.span,
                                });
                            }
                        }
                    }
                }
                MemberKind::State(d) => {
                    let init = self.expr(id, &d.init, bind)?;
                    for v in self.slot_vars(id, &d.name.name) {
                        self.data[v.index()].init = Some(init.clone());
                    }
                }
                MemberKind::Let(d) => {
                    let value = self.expr(id, &d.value, bind)?;
                    for v in self.slot_vars(id, &d.name.name) {
                        self.data[v.index()].value = Some(value.clone());
                    }
                }
                MemberKind::Equation(eq) => {
                    let v = self.path_var(id, &eq.target, bind)?;
                    let value = self.expr(id, &eq.value, bind)?;
                    let update = match eq.kind {
                        EquationKind::Der => StateUpdate::Der(value),
                        EquationKind::Next => StateUpdate::Next(value),
                    };
                    let here = Source::new(path.clone(), eq.keyword.to(eq.target.span));
                    if let Some((prev, prev_src)) = &self.data[v.index()].update {
                        let same = matches!(
                            (prev, &update),
                            (StateUpdate::Der(_), StateUpdate::Der(_))
                                | (StateUpdate::Next(_), StateUpdate::Next(_))
                        );
                        let (code, msg) = if same {
                            (
                                codes::DUPLICATE_EQUATION,
                                format!("`{}` has two equations", self.vars[v.index()].name),
                            )
                        } else {
                            (
                                codes::STATE_BOTH,
                                format!(
                                    "`{}` has both a `der` and a `next` equation",
                                    self.vars[v.index()].name
                                ),
                            )
                        };
                        let d = if *prev_src == here {
                            Diagnostic::error(code, msg, &*path, here.span(), "written again by another iteration of the loop")
                                .with_help("each element needs exactly one equation: check the index against the loop variable")
                        } else {
                            Diagnostic::error(code, msg, &*path, here.span(), "second equation")
                                .with_secondary(&*prev_src.file, prev_src.span(), "first equation here")
                                .with_help("a state is continuous (`der`) or discrete (`next`), with one equation")
                        };
                        self.diags.push(d);
                        continue;
                    }
                    self.data[v.index()].update = Some((update, here));
                }
                MemberKind::Bond(b) => {
                    let source = self.expr(id, &b.source, bind)?;
                    let target = self.path_var(id, &b.target, bind)?;
                    self.data[target.index()]
                        .drivers
                        .push((source, Source::new(path.clone(), m.span)));
                }
                MemberKind::For(f) => {
                    let lo = self.expr(id, &f.lo, bind)?;
                    let hi = self.expr(id, &f.hi, bind)?;
                    let (lo, hi) = match (self.const_value(&lo), self.const_value(&hi)) {
                        (Some(lo), Some(hi))
                            if lo.fract() == 0.0
                                && hi.fract() == 0.0
                                && lo <= hi
                                && hi - lo <= 1.0e7 =>
                        {
                            (lo, hi)
                        }
                        (lo, hi) => {
                            let show = |v: Option<f64>| {
                                v.map(ir::fmt_f64)
                                    .unwrap_or_else(|| "not a constant".into())
                            };
                            self.diags.push(
                                Diagnostic::error(codes::BAD_RANGE, format!("this `for` range is {} .. {} here; it needs whole numbers known when the plant is built, with lo <= hi", show(lo), show(hi)), &*path, f.lo.span.to(f.hi.span), "invalid range")
                                    .with_help("bound the loop with constants or `int` parameters given as whole numbers"),
                            );
                            return Err(Abort);
                        }
                    };
                    let mut k = lo;
                    while k < hi {
                        let mut inner = bind.clone();
                        inner.insert(f.var.name.clone(), k);
                        self.translate_members(id, &f.members, &inner, agent)?;
                        k += 1.0;
                    }
                }
                MemberKind::When(ev) => {
                    let cond = self.expr(id, &ev.cond, bind)?;
                    let assigns = self.assigns(id, &ev.body, bind)?;
                    self.events.push(EventDef {
                        cond,
                        assigns,
                        source: src,
                    });
                }
                MemberKind::OnDecide(body) => {
                    let mut assigns = self.assigns(id, body, bind)?;
                    self.on_decide.append(&mut assigns);
                }
                _ if !is_root || self.standalone => {}
                MemberKind::Dt(e) => self.settings.dt = self.expr(id, e, bind)?.constant(),
                MemberKind::DecideEvery(e) => {
                    self.settings.every = self.expr(id, e, bind)?.constant()
                }
                MemberKind::DecideWhen(e) => self.settings.when = Some(self.expr(id, e, bind)?),
                MemberKind::Integrator(d) => {
                    let mut opt = |name: &str, default: f64| -> Result<f64, Abort> {
                        match d.options.iter().find(|o| o.name.name == name) {
                            Some(o) => self.expr(id, &o.value, bind)?.constant().ok_or(Abort),
                            None => Ok(default),
                        }
                    };
                    self.settings.integrator = Some(match d.name.name.as_str() {
                        "euler" => Integrator::Euler,
                        "rk4" => Integrator::Rk4,
                        _ => Integrator::Rk45 {
                            rtol: opt("rtol", 1e-6)?,
                            atol: opt("atol", 1e-9)?,
                            max_steps: opt("max_steps", 10_000.0)? as u64,
                        },
                    });
                }
                MemberKind::Truncate(t) => {
                    let v = self.expr(id, &t.value, bind)?.constant().ok_or(Abort)?;
                    self.settings.truncate = Some(if t.steps.is_some() {
                        Truncate::Steps(v as u64)
                    } else {
                        Truncate::Time(v)
                    });
                }
                MemberKind::Terminate(e) => {
                    let c = self.expr(id, e, bind)?;
                    self.settings.terminate.push(c);
                }
                MemberKind::Agent(a) => {
                    self.agents_declared = true;
                    self.agents.push(AgentDef {
                        name: a.name.name.clone(),
                        actions: Vec::new(),
                        observations: Vec::new(),
                        reward: None,
                    });
                    let ix = self.agents.len() - 1;
                    self.translate_members(id, &a.members, bind, Some(ix))?;
                }
                MemberKind::Action(a) => self.action(id, a, agent, src, bind)?,
                MemberKind::Observe(o) => self.observe(id, o, agent, src, bind)?,
                MemberKind::Reward(e) => {
                    let r = self.expr(id, e, bind)?;
                    match agent {
                        Some(ix) => self.agents[ix].reward = Some(r),
                        None => {
                            if self.agents.is_empty() {
                                self.agents.push(AgentDef {
                                    name: "agent".into(),
                                    actions: Vec::new(),
                                    observations: Vec::new(),
                                    reward: None,
                                });
                            }
                            self.agents[0].reward = Some(r);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn action(
        &mut self,
        id: InstId,
        a: &ast::ActionDecl,
        agent: Option<usize>,
        src: Source,
        bind: &HashMap<String, f64>,
    ) -> Result<(), Abort> {
        let var = *self.slot_vars(id, &a.name.name).first().ok_or(Abort)?;
        let space = match &a.kind {
            ActionKind::Continuous {
                bounds, normalized, ..
            } => ActionSpace::Box {
                lo: self.expr(id, &bounds.lo, bind)?.constant().ok_or(Abort)?,
                hi: self.expr(id, &bounds.hi, bind)?.constant().ok_or(Abort)?,
                normalized: normalized.is_some(),
            },
            ActionKind::Bool(_) => ActionSpace::Bool,
            ActionKind::Choice { count, masks, .. } => {
                let n = self.expr(id, count, bind)?.constant().ok_or(Abort)? as u32;
                let mut ms = Vec::new();
                for m in masks.iter().flatten() {
                    ms.push(self.expr(id, m, bind)?);
                }
                ActionSpace::Choice { n, masks: ms }
            }
        };
        if let Some(t) = &a.target {
            let port = self.path_var(id, t, bind)?;
            self.data[port.index()]
                .drivers
                .push((Expr::Var(var), src.clone()));
        }
        let ix = self.actions.len();
        self.actions.push(ActionDef {
            name: a.name.name.clone(),
            var,
            space,
            agent: agent.unwrap_or(0),
            source: src,
        });
        if let Some(ag) = agent {
            self.agents[ag].actions.push(ix);
        }
        Ok(())
    }

    fn observe(
        &mut self,
        id: InstId,
        o: &ast::ObserveDecl,
        agent: Option<usize>,
        src: Source,
        bind: &HashMap<String, f64>,
    ) -> Result<(), Abort> {
        let value = self.expr(id, &o.value, bind)?;
        let text = self.insts[id].file.text(self.db);
        let name = match (&o.name, &o.value.kind) {
            (Some(n), _) => n.name.clone(),
            (None, _) => sig::slice(text, o.value.span)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(""),
        };
        let unit = match &value {
            Expr::Var(v) => self.vars[v.index()].unit.clone(),
            _ => {
                let ty = self.infer_type(id, &o.value);
                let si = match ty {
                    VType::Num(d) => d.to_string(),
                    VType::Bool => "bool".into(),
                    VType::Error => "?".into(),
                };
                UnitInfo {
                    display: si.clone(),
                    si,
                    scale: 1.0,
                }
            }
        };
        let bounds = match &o.bounds {
            Some(b) => Some((
                self.expr(id, &b.lo, bind)?.constant().ok_or(Abort)?,
                self.expr(id, &b.hi, bind)?.constant().ok_or(Abort)?,
            )),
            None => None,
        };
        let noise = match &o.noise {
            Some(n) => Some(self.expr(id, n, bind)?),
            None => None,
        };
        let ix = self.observations.len();
        self.observations.push(ObsDef {
            name,
            value,
            unit,
            bounds,
            noise,
            agent,
            source: src,
        });
        match agent {
            Some(ag) => self.agents[ag].observations.push(ix),
            // Shared: every agent sees it (those declared later included, see `finish`).
            None => self.shared_observations.push(ix),
        }
        Ok(())
    }

    fn infer_type(&mut self, id: InstId, e: &ast::Expr) -> VType {
        let inst = &self.insts[id];
        let (file, sig, path) = (inst.file, inst.sig.clone(), inst.path.clone());
        let mut provider = SigProvider::finished(self.db, self.ws, file);
        let units = unit_table(self.db, self.ws, file);
        let items = file_scope(self.db, self.ws, file);
        let mut infer = Infer::new(
            &path,
            file.text(self.db),
            units,
            items,
            &mut provider,
            Scope::new(&sig),
            false,
        );
        infer.expr(e).ty
    }

    fn assigns(
        &mut self,
        id: InstId,
        body: &[ast::Assign],
        bind: &HashMap<String, f64>,
    ) -> Result<Vec<Assignment>, Abort> {
        let path = self.insts[id].path.clone();
        let mut out = Vec::new();
        for a in body {
            let var = self.path_var(id, &a.target, bind)?;
            let value = self.expr(id, &a.value, bind)?;
            self.data[var.index()].assigned_by_event = true;
            out.push(Assignment {
                var,
                value,
                source: Source::new(path.clone(), a.span),
            });
        }
        Ok(out)
    }

    fn slot_vars(&self, id: InstId, name: &str) -> Vec<VarId> {
        match self.insts[id].slots.get(name) {
            Some(Slot::Vars { vars, .. }) => vars.clone(),
            _ => Vec::new(),
        }
    }

    /// Resolve a path to the scalar variable it names.
    fn path_var(
        &mut self,
        id: InstId,
        p: &Path,
        bind: &HashMap<String, f64>,
    ) -> Result<VarId, Abort> {
        let mut at = id;
        for (i, seg) in p.segments.iter().enumerate() {
            let last = i + 1 == p.segments.len();
            let (len, array) = match self.insts[at].slots.get(&seg.name.name).ok_or(Abort)? {
                Slot::Vars { vars, array } => (vars.len(), *array),
                Slot::Insts { insts, array } => (insts.len(), *array),
            };
            let k = match (&seg.index, array) {
                (None, false) => 0,
                (Some(ix), true) => self.index(at, id, ix, len, &seg.name.name, bind)?,
                _ => return Err(Abort),
            };
            match self.insts[at].slots.get(&seg.name.name).ok_or(Abort)? {
                Slot::Vars { vars, .. } if last => return Ok(vars[k]),
                Slot::Insts { insts, .. } if !last => at = insts[k],
                _ => return Err(Abort),
            }
        }
        Err(Abort)
    }

    fn index(
        &mut self,
        owner: InstId,
        ctx: InstId,
        ix: &ast::Expr,
        len: usize,
        name: &str,
        bind: &HashMap<String, f64>,
    ) -> Result<usize, Abort> {
        let path = self.insts[ctx].path.clone();
        let e = self.expr(ctx, ix, bind)?;
        let Some(k) = self.const_value(&e) else {
            self.diags.push(
                Diagnostic::error(
                    codes::NOT_INTEGER,
                    "an array index must be known when the plant is built",
                    &*path,
                    ix.span,
                    "not a constant",
                )
                .with_help("index with constants, `for` loop variables and `int` parameters"),
            );
            return Err(Abort);
        };
        if k.fract() != 0.0 || k < 0.0 || k >= len as f64 {
            let _ = owner;
            self.diags.push(
                Diagnostic::error(
                    codes::INDEX_OUT_OF_RANGE,
                    format!(
                        "index {} is out of range for `{name}`, which has {len} elements",
                        ir::fmt_f64(k)
                    ),
                    &*path,
                    ix.span,
                    format!("valid indices are 0 to {}", len.saturating_sub(1)),
                )
                .with_help("check the loop bounds against the array size"),
            );
            return Err(Abort);
        }
        Ok(k as usize)
    }

    /// Translate an AST expression in instance `id` (loop variables bound in `bind`).
    fn expr(
        &mut self,
        id: InstId,
        e: &ast::Expr,
        bind: &HashMap<String, f64>,
    ) -> Result<Expr, Abort> {
        use ast::ExprKind as K;
        Ok(match &e.kind {
            K::Number { value, unit: None } => Expr::Const(*value),
            K::Number {
                value,
                unit: Some(u),
            } => {
                let file = self.insts[id].file;
                Expr::Const(value * self.unit_scale(file, u)?)
            }
            K::Bool(b) => Expr::Const(if *b { 1.0 } else { 0.0 }),
            K::Paren(inner) => self.expr(id, inner, bind)?,
            K::Path(p) => {
                if p.segments.len() == 1
                    && p.segments[0].index.is_none()
                    && let Some(v) = bind.get(&p.segments[0].name.name)
                {
                    return Ok(Expr::Const(*v));
                }
                Expr::Var(self.path_var(id, p, bind)?)
            }
            K::Unary { op, operand } => {
                let x = Box::new(self.expr(id, operand, bind)?);
                match op {
                    ast::UnaryOp::Neg => Expr::Neg(x),
                    ast::UnaryOp::Not => Expr::Not(x),
                }
            }
            K::Binary { op, lhs, rhs } => {
                let a = Box::new(self.expr(id, lhs, bind)?);
                let b = Box::new(self.expr(id, rhs, bind)?);
                let op = match op {
                    ast::BinaryOp::Add => BinOp::Add,
                    ast::BinaryOp::Sub => BinOp::Sub,
                    ast::BinaryOp::Mul => BinOp::Mul,
                    ast::BinaryOp::Div => BinOp::Div,
                    ast::BinaryOp::Pow => BinOp::Pow,
                    ast::BinaryOp::Eq => BinOp::Eq,
                    ast::BinaryOp::Ne => BinOp::Ne,
                    ast::BinaryOp::Lt => BinOp::Lt,
                    ast::BinaryOp::Le => BinOp::Le,
                    ast::BinaryOp::Gt => BinOp::Gt,
                    ast::BinaryOp::Ge => BinOp::Ge,
                    ast::BinaryOp::And => BinOp::And,
                    ast::BinaryOp::Or => BinOp::Or,
                };
                Expr::Bin(op, a, b)
            }
            K::If {
                cond,
                then,
                otherwise,
            } => Expr::If(
                Box::new(self.expr(id, cond, bind)?),
                Box::new(self.expr(id, then, bind)?),
                Box::new(self.expr(id, otherwise, bind)?),
            ),
            K::Call { func, args } => {
                let mut xs = Vec::with_capacity(args.len());
                for a in args {
                    xs.push(self.expr(id, a, bind)?);
                }
                match func.name.as_str() {
                    "uniform" | "normal" if xs.len() == 2 => {
                        let b = Box::new(xs.pop().ok_or(Abort)?);
                        let a = Box::new(xs.pop().ok_or(Abort)?);
                        if func.name == "uniform" {
                            Expr::Uniform(a, b)
                        } else {
                            Expr::Normal(a, b)
                        }
                    }
                    // `min(a, b, c, ...)` is `min(min(a, b), c)...`: the IR's min and max
                    // take exactly two arguments (docs/language.md, Numerics).
                    "min" | "max" if xs.len() > 2 => {
                        let f = Func::from_name(&func.name).ok_or(Abort)?;
                        let mut it = xs.into_iter();
                        let first = it.next().ok_or(Abort)?;
                        it.fold(first, |acc, x| Expr::Call(f, vec![acc, x]))
                    }
                    name => Expr::Call(Func::from_name(name).ok_or(Abort)?, xs),
                }
            }
        })
    }

    // ---- after translation -------------------------------------------------------------

    /// Resolve every in port's drivers into its value.
    fn finish_ports(&mut self) {
        let mut undriven = HashMap::default();
        for i in 0..self.vars.len() {
            let Some(port) = self.data[i].in_port.take() else {
                continue;
            };
            if self.vars[i].kind == VarKind::Input {
                continue;
            }
            let drivers = std::mem::take(&mut self.data[i].drivers);
            if let [(_, at)] = drivers.as_slice() {
                self.data[i].driven_at = Some(at.clone());
            }
            let value = if port.sum {
                drivers
                    .into_iter()
                    .map(|(e, _)| e)
                    .reduce(|a, b| Expr::Bin(BinOp::Add, Box::new(a), Box::new(b)))
                    .unwrap_or(Expr::Const(0.0))
            } else if drivers.len() == 1 {
                drivers
                    .into_iter()
                    .next()
                    .map(|(e, _)| e)
                    .unwrap_or(Expr::Const(0.0))
            } else if drivers.is_empty() {
                match port.default {
                    Some(d) => d,
                    None => {
                        self.undriven(i, &port, &mut undriven);
                        Expr::Const(f64::NAN)
                    }
                }
            } else {
                let name = self.vars[i].name.clone();
                let first = &drivers[0].1;
                let mut d = Diagnostic::error(
                    codes::MULTIPLY_DRIVEN,
                    format!("in port `{name}` is driven {} times", drivers.len()),
                    &*drivers[1].1.file,
                    drivers[1].1.span(),
                    "driven again here",
                )
                .with_secondary(&*first.file, first.span(), "first driven here");
                for extra in drivers.iter().skip(2) {
                    d = d.with_secondary(&*extra.1.file, extra.1.span(), "and here");
                }
                let port_file = self.insts[port.inst].path.clone();
                d = d.with_secondary(&*port_file, port.port_span, "the port is declared here")
                    .with_help("if the drivers should add up, declare the port as a summing junction: `in name: unit sum`");
                self.diags.push(d);
                Expr::Const(f64::NAN)
            };
            self.data[i].value = Some(value);
        }
    }

    /// Reports an undriven in port; the ports of one declaration (the elements of an
    /// instance array) share one diagnostic, keyed in `seen`.
    fn undriven(
        &mut self,
        var: usize,
        port: &InPort,
        seen: &mut HashMap<(String, Span, Span), usize>,
    ) {
        if self.standalone {
            // A node on its own: a user may drive its instances' ports through a path
            // (`bond x -> line.belt.speed`); each plant checks its concrete ports.
            return;
        }
        let name = self.vars[var].name.clone();
        let inst = &self.insts[port.inst];
        let Some((file, span)) = inst.decl.clone() else {
            return;
        };
        if let Some(&at) = seen.get(&(file.clone(), span, port.port_span)) {
            let d = &mut self.diags[at];
            match d.notes.last_mut() {
                Some(n) if n.starts_with("also not driven:") => n.push_str(&format!(", `{name}`")),
                _ => d.notes.push(format!("also not driven: `{name}`")),
            }
            return;
        }
        seen.insert((file.clone(), span, port.port_span), self.diags.len());
        // The path as written where the instance is declared: without its parent's prefix.
        let parent = inst.prefix.trim_end_matches('.');
        let parent = parent.rfind('.').map_or("", |i| &inst.prefix[..i + 1]);
        let relative = name.strip_prefix(parent).unwrap_or(&name).to_string();
        let port_file = inst.path.clone();
        let d = Diagnostic::error(
            codes::UNDRIVEN_PORT,
            format!("in port `{name}` is not driven"),
            &file,
            span,
            format!(
                "`{}` needs a driver",
                name.rsplit('.').next().unwrap_or(&name)
            ),
        )
        .with_secondary(
            &*port_file,
            port.port_span,
            "declared here, without a default",
        )
        .with_help(format!(
            "add `bond <source> -> {relative}`, drive it with an action, or give the port a default value"
        ));
        self.diags.push(d);
    }

    fn order_params(&mut self) -> Option<Vec<Assignment>> {
        let ids: Vec<usize> = (0..self.vars.len())
            .filter(|&i| self.vars[i].kind == VarKind::Param)
            .collect();
        let order = self.topo(&ids, "parameters depend on each other in a cycle")?;
        Some(
            order
                .into_iter()
                .map(|i| Assignment {
                    var: VarId(i as u32),
                    value: self.data[i].value.clone().unwrap_or(Expr::Const(0.0)),
                    source: self.vars[i].source.clone(),
                })
                .collect(),
        )
    }

    fn order_algebraic(&mut self) -> Option<Vec<Assignment>> {
        let ids: Vec<usize> = (0..self.vars.len())
            .filter(|&i| self.vars[i].kind == VarKind::Algebraic)
            .collect();
        let order = self.topo(&ids, "algebraic loop")?;
        Some(
            order
                .into_iter()
                .map(|i| Assignment {
                    var: VarId(i as u32),
                    value: self.data[i].value.clone().unwrap_or(Expr::Const(f64::NAN)),
                    source: self.vars[i].source.clone(),
                })
                .collect(),
        )
    }

    /// Order `ids` so each comes after the members of `ids` its value reads; report a cycle.
    fn topo(&mut self, ids: &[usize], what: &str) -> Option<Vec<usize>> {
        let deps: Vec<Vec<usize>> = ids
            .iter()
            .map(|&i| {
                let mut vs = Vec::new();
                if let Some(v) = &self.data[i].value {
                    v.vars(&mut vs);
                }
                vs.into_iter()
                    .map(|v| v.index())
                    .filter(|&v| self.vars[v].kind == self.vars[i].kind)
                    .collect()
            })
            .collect();
        match order::topological(ids, &deps) {
            Ok(order) => Some(order),
            Err(cycle) => {
                self.report_cycle(&cycle, what);
                None
            }
        }
    }

    fn report_cycle(&mut self, cycle: &[usize], what: &str) {
        let names: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .map(|&i| format!("`{}`", self.vars[i].name))
            .collect();
        // Label each step where it can be fixed: an in port at the bond or action driving
        // it, anything else at its declaration. Steps declared at one place (the same port
        // of several instances) share a label.
        let mut places: Vec<(Source, Vec<usize>)> = Vec::new();
        for (k, &i) in cycle.iter().enumerate() {
            let at = self.data[i]
                .driven_at
                .clone()
                .unwrap_or_else(|| self.vars[i].source.clone());
            match places.iter_mut().find(|(s, _)| *s == at) {
                Some((_, steps)) => steps.push(k),
                None => places.push((at, vec![k])),
            }
        }
        let describe = |steps: &[usize]| {
            let list = |f: &dyn Fn(usize) -> String| {
                steps.iter().map(|&k| f(k)).collect::<Vec<_>>().join(", ")
            };
            let names = list(&|k| format!("`{}`", self.vars[cycle[k]].name));
            let driven = self.data[cycle[steps[0]]].driven_at.is_some();
            match steps {
                [k] if driven => format!("step {}: {names} is driven here", k + 1),
                [k] => format!("step {}: {names}", k + 1),
                _ => format!("steps {}: {names}", list(&|k| (k + 1).to_string())),
            }
        };
        let (first, first_steps) = &places[0];
        let mut label = format!("`{}` depends on itself", self.vars[cycle[0]].name);
        if first_steps.len() > 1 {
            label = format!("{label} (also {})", describe(&first_steps[1..]));
        }
        let mut d = Diagnostic::error(
            codes::ALGEBRAIC_LOOP,
            format!("{what}: {}", names.join(" -> ")),
            &*first.file,
            first.span(),
            label,
        );
        for (at, steps) in places.iter().skip(1) {
            d = d.with_secondary(&*at.file, at.span(), describe(steps));
        }
        let help = if self.vars[cycle[0]].kind == VarKind::Param {
            "compute one of these parameters without the others"
        } else {
            "break the loop with a state: give one of these values a `der` or `next` equation, or a lag"
        };
        d = d
            .with_note(format!("the cycle: {}", names.join(" -> ")))
            .with_help(help);
        self.diags.push(d);
    }

    fn states(&mut self) -> Vec<StateDef> {
        let mut out = Vec::new();
        for i in 0..self.vars.len() {
            if self.vars[i].kind != VarKind::State {
                continue;
            }
            let update = self.data[i]
                .update
                .take()
                .map(|(u, _)| u)
                .unwrap_or(StateUpdate::Held);
            if !matches!(update, StateUpdate::Der(_)) {
                self.vars[i].kind = VarKind::DiscreteState;
            }
            out.push(StateDef {
                var: VarId(i as u32),
                init: self.data[i].init.clone().unwrap_or(Expr::Const(0.0)),
                update,
            });
        }
        out
    }

    fn held_state_warnings(&mut self) {
        if self.standalone {
            return; // a user's events may assign its states (`tank.h = 0 m`)
        }
        for i in 0..self.vars.len() {
            if self.vars[i].kind == VarKind::State
                && self.data[i].update.is_none()
                && !self.data[i].assigned_by_event
            {
                let s = &self.vars[i].source;
                let d = Diagnostic::warning(
                    codes::STATE_NO_EQUATION,
                    format!("state `{}` never changes", self.vars[i].name),
                    &*s.file,
                    s.span(),
                    "no `der`/`next` equation and no event assigns it",
                )
                .with_help("add an equation, or use a `param` or `let` for a constant");
                self.diags.push(d);
            }
        }
    }
}
