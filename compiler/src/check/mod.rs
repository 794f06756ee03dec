//! Checking: units and types of every expression, member placement, instantiations,
//! bonds and actions, and the plant's structure (dt, decisions, integrator, RL surface).
//!
//! Checking works per definition (node or plant), not per instance: a node used 10,000
//! times is checked once. What needs concrete instances (how often each `in` port is
//! driven, algebraic loops, array elements) is checked when `lower` flattens the plant.

pub mod infer;
pub mod sig;
pub mod types;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use infer::{Bare, Infer, Inferred, PathInfo, PathKind, Scope};
use sig::{DefSig, MemberSigKind, SigProvider, node_sigs, resolve_ty};
use types::{VType, describe_with_spelling};

use crate::db::{Db, SourceFile, Workspace, parse};
use crate::diagnostics::{Diagnostic, codes};
use crate::resolve::{ItemKind, file_scope, unit_error_diagnostic, unit_table};
use crate::syntax::ast::{
    self, ActionKind, Arg, Assign, Bounds, EquationKind, Expr, Item, Member, MemberKind, Path,
    PortDir, Span, Ty, TyKind,
};
use crate::units::{self, Dim};

pub use sig::FileSigs;

/// Diagnostics from checking every node and plant of a file.
#[salsa::tracked(returns(ref))]
pub fn check_file(db: &dyn Db, ws: Workspace, file: SourceFile) -> Vec<Diagnostic> {
    let ast = &parse(db, file).file;
    let sigs = node_sigs(db, ws, file);
    let mut provider = SigProvider::finished(db, ws, file);
    let mut diags = Vec::new();
    let mut used: HashSet<String> = HashSet::default();
    for (i, item) in ast.items.iter().enumerate() {
        let (members, is_plant, name) = match item {
            Item::Node(n) => (&n.members, false, &n.name),
            Item::Plant(p) => (&p.members, true, &p.name),
            _ => continue,
        };
        let Some(sig) = sigs.defs.get(&i) else {
            continue;
        };
        let mut checker = DefChecker::new(db, ws, file, &mut provider, sig, is_plant);
        checker.check_members(members, Context::Def);
        if is_plant {
            checker.check_plant(members, name);
        }
        checker.check_recursion(name);
        used.extend(checker.used_items.drain());
        diags.append(&mut checker.diags);
    }
    // Unit declarations' own diagnostics come from the unit table; here: unknown units in
    // the file's type annotations are reported where the annotation is checked.
    let scope = file_scope(db, ws, file);
    // With errors, some uses may not have been resolved: an import could look unused
    // only because of a typo or a clash already reported.
    let errors = crate::diagnostics::has_errors(&diags)
        || crate::diagnostics::has_errors(&scope.diagnostics)
        || crate::diagnostics::has_errors(&parse(db, file).diagnostics);
    for (name, span) in &scope.explicit_imports {
        if !errors && !used.contains(name) && scope.get(name).is_some() {
            diags.push(
                Diagnostic::warning(
                    codes::UNUSED_IMPORT,
                    format!("unused import `{name}`"),
                    file.path(db),
                    *span,
                    "never used in this file",
                )
                .with_help("remove it from the `use`"),
            );
        }
    }
    diags
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Context {
    /// Directly in a node or plant body.
    Def,
    /// Inside `agent name { }`.
    Agent,
    /// Inside `for i in .. { }`.
    For,
}

/// Settings a plant may give once, with where they were first given.
#[derive(Default)]
struct Settings {
    dt: Option<(Span, Option<f64>)>,
    decide_every: Option<(Span, Option<f64>)>,
    decide_when: Option<Span>,
    integrator: Option<Span>,
    truncate: Option<Span>,
    terminate: Option<Span>,
    rewards: HashMap<String, Span>,
    top_rl: Option<Span>,
    agent: Option<Span>,
}

struct DefChecker<'a, 'db> {
    db: &'db dyn Db,
    path: String,
    text: &'db str,
    units: &'db crate::resolve::UnitTable,
    items: &'db crate::resolve::FileScope,
    provider: &'a mut SigProvider<'db>,
    sig: &'a DefSig,
    is_plant: bool,
    loop_vars: Vec<(String, Span)>,
    settings: Settings,
    declared: HashMap<String, Span>,
    /// Equations per state name (scalar states only; array elements are checked when
    /// lowering), with the first equation's keyword span and kind.
    equations: HashMap<String, (Span, EquationKind)>,
    diags: Vec<Diagnostic>,
    used_items: HashSet<String>,
}

impl<'a, 'db> DefChecker<'a, 'db> {
    fn new(
        db: &'db dyn Db,
        ws: Workspace,
        file: SourceFile,
        provider: &'a mut SigProvider<'db>,
        sig: &'a DefSig,
        is_plant: bool,
    ) -> Self {
        DefChecker {
            db,
            path: file.path(db).clone(),
            text: file.text(db),
            units: unit_table(db, ws, file),
            items: file_scope(db, ws, file),
            provider,
            sig,
            is_plant,
            loop_vars: Vec::new(),
            settings: Settings::default(),
            declared: HashMap::default(),
            equations: HashMap::default(),
            diags: Vec::new(),
            used_items: HashSet::default(),
        }
    }

    /// Run `f` with an inference engine for this definition's scope.
    fn with_infer<R>(&mut self, f: impl FnOnce(&mut Infer<'_, 'db>) -> R) -> R {
        let scope = Scope {
            def: self.sig,
            loop_vars: self.loop_vars.clone(),
        };
        let mut infer = Infer::new(
            &self.path,
            self.text,
            self.units,
            self.items,
            self.provider,
            scope,
            true,
        );
        let r = f(&mut infer);
        self.diags.append(&mut infer.diags);
        self.used_items.extend(infer.used_items.drain());
        r
    }

    fn infer(&mut self, e: &Expr) -> Inferred {
        self.with_infer(|i| i.expr(e))
    }

    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Resolve a declared type, reporting unknown units.
    fn ty(&mut self, ty: &Ty) -> (VType, Option<String>) {
        if let TyKind::Quantity(u) = &ty.kind {
            self.with_infer(|i| i.note_units_used(u));
            if let Err(e) = self.units.eval(u) {
                if !self.units.already_reported(&e) {
                    let names = self.units.user_names();
                    let d = unit_error_diagnostic(&e, &self.path, &names);
                    self.err(d);
                }
                return (VType::Error, None);
            }
        }
        let (vt, du) = resolve_ty(ty, self.units, self.text);
        (vt, du.map(|d| d.text))
    }

    fn declare(&mut self, name: &ast::Ident, what: &str) {
        if let Some(first) = self.declared.get(&name.name) {
            let d = Diagnostic::error(
                codes::DUPLICATE_MEMBER,
                format!("`{}` is declared more than once", name.name),
                &self.path,
                name.span,
                format!("{what} declared again here"),
            )
            .with_secondary(&self.path, *first, "first declared here")
            .with_help("rename one of them");
            self.err(d);
        } else {
            self.declared.insert(name.name.clone(), name.span);
        }
    }

    fn misplaced(&mut self, m: &Member, why: &str) {
        let d = Diagnostic::error(
            codes::MISPLACED_MEMBER,
            format!("{} is not allowed here", member_word(&m.kind)),
            &self.path,
            m.span,
            why.to_string(),
        );
        self.err(d);
    }

    fn check_members(&mut self, members: &[Member], ctx: Context) {
        for m in members {
            self.check_member(m, ctx);
        }
    }

    fn check_member(&mut self, m: &Member, ctx: Context) {
        // Placement rules first.
        let plant_only = matches!(
            m.kind,
            MemberKind::Dt(_)
                | MemberKind::DecideEvery(_)
                | MemberKind::DecideWhen(_)
                | MemberKind::Integrator(_)
                | MemberKind::Action(_)
                | MemberKind::Observe(_)
                | MemberKind::Reward(_)
                | MemberKind::Agent(_)
                | MemberKind::Terminate(_)
                | MemberKind::Truncate(_)
        );
        if plant_only && !self.is_plant {
            return self.misplaced(m, "this belongs in a `plant`, not a `node`");
        }
        if matches!(m.kind, MemberKind::Port(_)) && self.is_plant {
            return self.misplaced(
                m,
                "a plant has no ports; use an action to drive an input, or `let` for a value",
            );
        }
        if ctx == Context::Agent
            && !matches!(
                m.kind,
                MemberKind::Action(_) | MemberKind::Observe(_) | MemberKind::Reward(_)
            )
        {
            return self.misplaced(m, "an agent holds only actions, observations and a reward");
        }
        if ctx == Context::For
            && !matches!(
                m.kind,
                MemberKind::Equation(_) | MemberKind::Bond(_) | MemberKind::For(_)
            )
        {
            return self.misplaced(
                m,
                "a `for` block holds `der`/`next` equations and bonds; declare arrays with `name[N]`",
            );
        }
        match &m.kind {
            MemberKind::Param(d) => {
                self.declare(&d.name, "a parameter");
                self.array_size(d.array.as_ref());
                let (want, text) = match &d.ty {
                    Some(t) => self.ty(t),
                    None => (VType::DIMENSIONLESS, None),
                };
                let is_int = matches!(d.ty.as_ref().map(|t| &t.kind), Some(TyKind::Int));
                let decl_span = d.ty.as_ref().map(|t| t.span);
                if d.default.is_none() && self.is_plant {
                    let dd = Diagnostic::error(codes::MISSING_ARG, format!("plant parameter `{}` has no value", d.name.name), &self.path, d.name.span, "no default")
                        .with_help("a plant is never instantiated, so its parameters need defaults (they can be overridden at reset)");
                    self.err(dd);
                }
                let mut konst = None;
                if let Some(def) = &d.default {
                    let got = self.infer(def);
                    self.expect(
                        &got,
                        def.span,
                        want,
                        text.as_deref(),
                        codes::DECLARED_UNIT_MISMATCH,
                        &format!("parameter `{}`", d.name.name),
                        decl_span,
                    );
                    self.at_reset(
                        &got,
                        def.span,
                        &format!("the default of parameter `{}`", d.name.name),
                    );
                    konst = got.konst;
                    if is_int {
                        self.whole(
                            konst,
                            def.span,
                            &format!("`{}` is an `int` parameter", d.name.name),
                        );
                    }
                }
                if let Some(b) = &d.bounds
                    && let Some((lo, hi)) =
                        self.bounds(b, want, text.as_deref(), "the parameter", false)
                    && let Some(v) = konst
                    && (v < lo || v > hi)
                {
                    let def = d.default.as_ref().map(|e| e.span).unwrap_or(d.name.span);
                    let dd = Diagnostic::error(
                        codes::PARAM_OUT_OF_BOUNDS,
                        format!("the default of `{}` is outside its bounds", d.name.name),
                        &self.path,
                        def,
                        "outside the bounds",
                    )
                    .with_secondary(&self.path, b.span, "bounds declared here")
                    .with_help("change the default, or widen the bounds");
                    self.err(dd);
                }
            }
            MemberKind::Port(d) => {
                self.declare(&d.name, "a port");
                self.array_size(d.array.as_ref());
                let (want, text) = self.ty(&d.ty);
                if let (Some(sum), Some(v)) = (d.sum, &d.value) {
                    let dd = Diagnostic::error(
                        codes::SUM_DEFAULT,
                        format!("summing port `{}` cannot have a default", d.name.name),
                        &self.path,
                        v.span,
                        "a default value",
                    )
                    .with_secondary(&self.path, sum, "declared as a summing junction here")
                    .with_help("a summing port starts from zero: remove the default or the `sum`");
                    self.err(dd);
                }
                if let Some(v) = &d.value {
                    let got = self.infer(v);
                    self.expect(
                        &got,
                        v.span,
                        want,
                        text.as_deref(),
                        codes::DECLARED_UNIT_MISMATCH,
                        &format!("port `{}`", d.name.name),
                        Some(d.ty.span),
                    );
                    self.no_random(&got, v.span);
                    if d.dir == PortDir::In {
                        self.at_reset(
                            &got,
                            v.span,
                            &format!("the default of in port `{}`", d.name.name),
                        );
                    }
                }
            }
            MemberKind::State(d) => {
                self.declare(&d.name, "a state");
                self.array_size(d.array.as_ref());
                let (want, text) = self.ty(&d.ty);
                let got = self.infer(&d.init);
                self.expect(
                    &got,
                    d.init.span,
                    want,
                    text.as_deref(),
                    codes::DECLARED_UNIT_MISMATCH,
                    &format!("state `{}`", d.name.name),
                    Some(d.ty.span),
                );
                self.at_reset(
                    &got,
                    d.init.span,
                    &format!("the initial value of state `{}`", d.name.name),
                );
            }
            MemberKind::Let(d) => {
                self.declare(&d.name, "a definition");
                self.array_size(d.array.as_ref());
                let got = self.infer(&d.value);
                self.no_random(&got, d.value.span);
                if let Some(t) = &d.ty {
                    let (want, text) = self.ty(t);
                    self.expect(
                        &got,
                        d.value.span,
                        want,
                        text.as_deref(),
                        codes::DECLARED_UNIT_MISMATCH,
                        &format!("`{}`", d.name.name),
                        Some(t.span),
                    );
                }
            }
            MemberKind::Equation(eq) => self.equation(eq),
            MemberKind::Instance(d) => self.instance(d),
            MemberKind::Bond(b) => self.bond(b),
            MemberKind::For(f) => {
                let lo = self.infer(&f.lo);
                let hi = self.infer(&f.hi);
                // Bounds are constants or read `int` parameters (checked again when lowering).
                let ok = |x: &Inferred| {
                    x.ty == VType::DIMENSIONLESS
                        && x.dynamic.is_none()
                        && !x.random
                        && x.konst.is_none_or(|v| v.fract() == 0.0)
                };
                if lo.ty != VType::Error && hi.ty != VType::Error {
                    let reversed = matches!((lo.konst, hi.konst), (Some(a), Some(b)) if a > b);
                    if !ok(&lo) || !ok(&hi) || reversed {
                        let dd = Diagnostic::error(
                            codes::BAD_RANGE,
                            "a `for` range needs constant whole-number bounds with lo <= hi",
                            &self.path,
                            f.lo.span.to(f.hi.span),
                            "invalid range",
                        )
                        .with_help("write a range like `0 .. 32` (the upper bound is excluded)");
                        self.err(dd);
                    }
                }
                if self.declared.contains_key(&f.var.name) || self.sig.member(&f.var.name).is_some()
                {
                    let dd = Diagnostic::error(
                        codes::DUPLICATE_MEMBER,
                        format!(
                            "loop variable `{}` hides a member of the same name",
                            f.var.name
                        ),
                        &self.path,
                        f.var.span,
                        "choose another name",
                    );
                    self.err(dd);
                }
                self.loop_vars.push((f.var.name.clone(), f.var.span));
                self.check_members(&f.members, Context::For);
                self.loop_vars.pop();
            }
            MemberKind::Dt(e) => {
                let v = self.time(e, "`dt`");
                if let Some(prev) = self.settings.dt {
                    self.dup_setting(m.span, prev.0, "dt");
                } else {
                    self.settings.dt = Some((m.span, v));
                }
            }
            MemberKind::DecideEvery(e) => {
                let v = self.time(e, "`decide every`");
                if let Some(prev) = self.settings.decide_every {
                    self.dup_setting(m.span, prev.0, "decide every");
                } else {
                    self.settings.decide_every = Some((m.span, v));
                }
            }
            MemberKind::DecideWhen(e) => {
                let got = self.infer(e);
                self.with_infer(|i| i.expect_bool(&got, e.span, "a `decide when` condition"));
                self.no_random(&got, e.span);
                if let Some(prev) = self.settings.decide_when {
                    self.dup_setting(m.span, prev, "decide when");
                } else {
                    self.settings.decide_when = Some(m.span);
                }
            }
            MemberKind::Integrator(d) => {
                if let Some(prev) = self.settings.integrator {
                    self.dup_setting(m.span, prev, "integrator");
                } else {
                    self.settings.integrator = Some(m.span);
                }
                self.integrator(d);
            }
            MemberKind::Action(a) => {
                self.declare(&a.name, "an action");
                self.rl_member(m, ctx);
                self.action(a);
            }
            MemberKind::Observe(o) => {
                if let Some(n) = &o.name {
                    self.declare(n, "an observation");
                }
                self.rl_member(m, ctx);
                let got = self.infer(&o.value);
                self.no_random(&got, o.value.span);
                if let Some(b) = &o.bounds {
                    self.bounds(
                        b,
                        got.ty,
                        got.spelled.as_deref(),
                        "the observed value",
                        true,
                    );
                }
                if let Some(n) = &o.noise {
                    let noise = self.infer(n);
                    let ok = self.expect(
                        &noise,
                        n.span,
                        got.ty,
                        got.spelled.as_deref(),
                        codes::NOISE_UNIT,
                        "the observed value",
                        None,
                    );
                    if !ok && let Some(d) = self.diags.last_mut() {
                        d.secondary.push(crate::diagnostics::Label::new(
                            &self.path,
                            o.value.span,
                            format!(
                                "observed in {}",
                                describe_with_spelling(got.ty, got.spelled.as_deref())
                            ),
                        ));
                    }
                }
            }
            MemberKind::Reward(e) => {
                self.rl_member(m, ctx);
                let key = if ctx == Context::Agent {
                    "agent".to_string()
                } else {
                    String::new()
                };
                let _ = key;
                let got = self.infer(e);
                self.no_random(&got, e.span);
                match got.ty {
                    VType::Num(d) if !d.is_dimensionless() && got.bare == Bare::No => {
                        let dd = Diagnostic::error(
                            codes::REWARD_UNIT,
                            format!(
                                "a reward must be dimensionless, but this is in {}",
                                describe_with_spelling(got.ty, got.spelled.as_deref())
                            ),
                            &self.path,
                            e.span,
                            "has a unit",
                        )
                        .with_help(format!(
                            "divide by a reference value, e.g. `({}) / 1 {}`",
                            slice(self.text, e.span).trim(),
                            got.spelled.clone().unwrap_or_else(|| d.to_string())
                        ));
                        self.err(dd);
                    }
                    VType::Bool => {
                        self.with_infer(|i| {
                            i.expect_dim(
                                &got,
                                e.span,
                                VType::DIMENSIONLESS,
                                None,
                                codes::REWARD_UNIT,
                                "a reward",
                                None,
                            )
                        });
                    }
                    _ => {}
                }
            }
            MemberKind::Agent(a) => {
                self.declare(&a.name, "an agent");
                if self.settings.agent.is_none() {
                    self.settings.agent = Some(a.name.span);
                }
                if let Some(top) = self.settings.top_rl {
                    self.mixed_agents(top, a.name.span);
                }
                let mut saved = std::mem::take(&mut self.settings.rewards);
                self.check_members(&a.members, Context::Agent);
                std::mem::swap(&mut saved, &mut self.settings.rewards);
                // An agent's reward is keyed by the agent; collected rewards are local to it.
            }
            MemberKind::Terminate(e) => {
                let got = self.infer(e);
                self.with_infer(|i| i.expect_bool(&got, e.span, "a `terminate when` condition"));
                self.no_random(&got, e.span);
                let _ = self.settings.terminate.get_or_insert(m.span);
            }
            MemberKind::Truncate(t) => {
                if let Some(prev) = self.settings.truncate {
                    self.dup_setting(m.span, prev, "truncate after");
                } else {
                    self.settings.truncate = Some(m.span);
                }
                if t.steps.is_some() {
                    let got = self.infer(&t.value);
                    let ok = got.ty == VType::DIMENSIONLESS
                        && got
                            .konst
                            .is_some_and(|v| v >= 1.0 && v.fract() == 0.0 && v < 9.0e15);
                    if got.ty != VType::Error && !ok {
                        let dd = Diagnostic::error(
                            codes::BAD_TRUNCATE,
                            "`truncate after N steps` needs a constant whole number of at least 1",
                            &self.path,
                            t.value.span,
                            "not a positive whole number",
                        )
                        .with_help("write e.g. `truncate after 500 steps`");
                        self.err(dd);
                    }
                } else if let Some(v) = self.time(&t.value, "`truncate after`")
                    && v <= 0.0
                {
                    let dd = Diagnostic::error(
                        codes::BAD_TRUNCATE,
                        "`truncate after` needs a positive time",
                        &self.path,
                        t.value.span,
                        "not positive",
                    );
                    self.err(dd);
                }
            }
            MemberKind::When(ev) => {
                let got = self.infer(&ev.cond);
                self.with_infer(|i| i.expect_bool(&got, ev.cond.span, "a `when` condition"));
                self.no_random(&got, ev.cond.span);
                self.assigns(&ev.body);
            }
            MemberKind::OnDecide(body) => {
                if !self.is_plant {
                    // Nodes may react to decisions too: allowed.
                }
                self.assigns(body);
            }
        }
    }

    fn rl_member(&mut self, m: &Member, ctx: Context) {
        // A plant-level observation in a plant with agents is shared by every agent.
        let shared = matches!(m.kind, MemberKind::Observe(_));
        if ctx == Context::Def && !shared {
            if self.settings.top_rl.is_none() {
                self.settings.top_rl = Some(m.span);
            }
            if let Some(agent) = self.settings.agent {
                self.mixed_agents(m.span, agent);
            }
        }
        if let MemberKind::Reward(_) = m.kind {
            if let Some(prev) = self.settings.rewards.get("") {
                let prev = *prev;
                self.dup_setting(m.span, prev, "reward");
            } else {
                self.settings.rewards.insert(String::new(), m.span);
            }
        }
    }

    fn mixed_agents(&mut self, top: Span, agent: Span) {
        let d = Diagnostic::error(
            codes::MIXED_AGENTS,
            "this plant has agents, so every action and reward must belong to one",
            &self.path,
            top,
            "outside any agent",
        )
        .with_secondary(&self.path, agent, "agent declared here")
        .with_help("move this into an `agent` block");
        self.err(d);
    }

    fn dup_setting(&mut self, span: Span, prev: Span, what: &str) {
        let d = Diagnostic::error(
            codes::DUPLICATE_SETTING,
            format!("`{what}` is given more than once"),
            &self.path,
            span,
            "given again here",
        )
        .with_secondary(&self.path, prev, "first given here")
        .with_help("keep one of them");
        self.err(d);
    }

    #[allow(clippy::too_many_arguments)]
    fn expect(
        &mut self,
        got: &Inferred,
        span: Span,
        want: VType,
        want_text: Option<&str>,
        code: &'static str,
        what: &str,
        decl: Option<Span>,
    ) -> bool {
        self.with_infer(|i| i.expect_dim(got, span, want, want_text, code, what, decl))
    }

    fn no_random(&mut self, got: &Inferred, span: Span) {
        if got.random {
            let d = Diagnostic::error(codes::RANDOM_NOT_ALLOWED, "random draws are not allowed here", &self.path, span, "contains `uniform` or `normal`")
                .with_help("draw the value into a `param` (drawn at reset) and use the parameter here, or use observation `noise`");
            self.err(d);
        }
    }

    fn at_reset(&mut self, got: &Inferred, span: Span, what: &str) {
        if let Some((at, why)) = &got.dynamic {
            let d = Diagnostic::error(
                codes::NOT_AT_RESET,
                format!("{what} must be known at reset, but it uses a changing value"),
                &self.path,
                *at,
                why.clone(),
            )
            .with_help("use only constants, parameters and random draws here");
            let d = if span == *at {
                d
            } else {
                d.with_secondary(&self.path, span, "computed once, at reset")
            };
            self.err(d);
        }
    }

    fn whole(&mut self, konst: Option<f64>, span: Span, what: &str) {
        if let Some(v) = konst
            && v.fract() != 0.0
        {
            let shown = crate::ir::fmt_f64;
            let d = Diagnostic::error(
                codes::NOT_INTEGER,
                format!("{what}, but {v} is not a whole number"),
                &self.path,
                span,
                "not a whole number",
            )
            .with_help(format!(
                "pass a whole number, such as {} or {}",
                shown(v.floor()),
                shown(v.ceil())
            ));
            self.err(d);
        }
    }

    fn array_size(&mut self, size: Option<&Expr>) {
        let Some(e) = size else { return };
        match sig::array_len(e) {
            sig::ArrayLen::Const(_) => {}
            sig::ArrayLen::Param(name) => match self.sig.member(&name).map(|m| &m.kind) {
                Some(MemberSigKind::Param { int: true, .. }) => {}
                Some(_) | None => {
                    let got = self.infer(e);
                    if got.ty != VType::Error {
                        let d = Diagnostic::error(codes::BAD_ARRAY_SIZE, format!("an array size must be a whole-number constant or an `int` parameter, and `{name}` is not"), &self.path, e.span, "invalid array size")
                            .with_help(format!("declare it as `param {name}: int = ...`"));
                        self.err(d);
                    }
                }
            },
            sig::ArrayLen::Invalid => {
                let d = Diagnostic::error(
                    codes::BAD_ARRAY_SIZE,
                    "an array size must be a whole number of at least 1, or an `int` parameter",
                    &self.path,
                    e.span,
                    "invalid array size",
                )
                .with_help("write e.g. `state x[32]: 1 = 0`");
                self.err(d);
            }
        }
    }

    /// Check `lo .. hi` against the bounded value's type; the constant bounds in SI.
    fn bounds(
        &mut self,
        b: &Bounds,
        want: VType,
        want_text: Option<&str>,
        what: &str,
        allow_equal: bool,
    ) -> Option<(f64, f64)> {
        let lo = self.infer(&b.lo);
        let hi = self.infer(&b.hi);
        let a = self.expect(
            &lo,
            b.lo.span,
            want,
            want_text,
            codes::BOUNDS_UNIT,
            what,
            None,
        );
        // Both bounds in the same wrong unit: one diagnostic is enough.
        let c = if !a && lo.ty == hi.ty && lo.bare == hi.bare {
            false
        } else {
            self.expect(
                &hi,
                b.hi.span,
                want,
                want_text,
                codes::BOUNDS_UNIT,
                what,
                None,
            )
        };
        if !(a && c) || lo.ty == VType::Error || hi.ty == VType::Error {
            return None;
        }
        match (lo.konst, hi.konst) {
            (Some(l), Some(h)) => {
                if l > h || (!allow_equal && l == h) {
                    let d = Diagnostic::error(
                        codes::EMPTY_BOUNDS,
                        "the bounds are empty: the lower bound is not below the upper bound",
                        &self.path,
                        b.span,
                        "empty range",
                    )
                    .with_help("write the lower bound first: `lo .. hi`");
                    self.err(d);
                    return None;
                }
                Some((l, h))
            }
            _ => {
                let d = Diagnostic::error(
                    codes::EMPTY_BOUNDS,
                    "bounds must be constants",
                    &self.path,
                    b.span,
                    "not constant",
                )
                .with_help("write the bounds as numbers with units, like `0 m .. 2 m`");
                self.err(d);
                None
            }
        }
    }

    /// Check a time value (`dt`, `decide every`); its constant value in seconds.
    fn time(&mut self, e: &Expr, what: &str) -> Option<f64> {
        let got = self.infer(e);
        match got.ty {
            VType::Error => None,
            VType::Num(d) if d == Dim::TIME => match got.konst {
                Some(v) if v > 0.0 && v.is_finite() => Some(v),
                Some(_) => {
                    let d = Diagnostic::error(
                        codes::DT_NOT_TIME,
                        format!("{what} must be a positive time"),
                        &self.path,
                        e.span,
                        "not positive",
                    );
                    self.err(d);
                    None
                }
                None => {
                    let d = Diagnostic::error(
                        codes::DT_NOT_TIME,
                        format!("{what} must be a constant time"),
                        &self.path,
                        e.span,
                        "not a constant",
                    )
                    .with_help("write a number with a time unit, like `0.1 s`");
                    self.err(d);
                    None
                }
            },
            _ => {
                let written = slice(self.text, e.span).trim();
                let help = if got.bare != Bare::No {
                    format!("write a unit of time: `{written} s`")
                } else {
                    "use a unit of time such as `s`, `ms`, `min` or `h`".to_string()
                };
                let is = if got.bare != Bare::No {
                    format!("`{written}` has no unit")
                } else {
                    format!(
                        "this is in {}",
                        describe_with_spelling(got.ty, got.spelled.as_deref())
                    )
                };
                let d = Diagnostic::error(
                    codes::DT_NOT_TIME,
                    format!("{what} must be a time, but {is}"),
                    &self.path,
                    e.span,
                    "not a time",
                )
                .with_help(help);
                self.err(d);
                None
            }
        }
    }

    fn integrator(&mut self, d: &ast::IntegratorDecl) {
        const NAMES: [&str; 3] = ["euler", "rk4", "rk45"];
        if !NAMES.contains(&d.name.name.as_str()) {
            let mut dd = Diagnostic::error(
                codes::UNKNOWN_INTEGRATOR,
                format!("unknown integrator `{}`", d.name.name),
                &self.path,
                d.name.span,
                "not an integrator",
            );
            dd = match units::closest(&d.name.name, NAMES) {
                Some(s) => dd.with_help(format!("did you mean `{s}`?")),
                None => dd.with_help("the integrators are `euler`, `rk4` and `rk45`"),
            };
            self.err(dd);
        }
        for opt in &d.options {
            let known = d.name.name == "rk45"
                && ["rtol", "atol", "max_steps"].contains(&opt.name.name.as_str());
            let got = self.infer(&opt.value);
            let ok = got.ty == VType::DIMENSIONLESS
                && got.bare != Bare::No
                && got.konst.is_some_and(|v| v > 0.0 && v.is_finite());
            if !known || (!ok && got.ty != VType::Error) {
                let msg = if known {
                    format!("option `{}` needs a positive plain number", opt.name.name)
                } else if d.name.name == "rk45" {
                    format!("unknown option `{}` for `rk45`", opt.name.name)
                } else {
                    format!("`{}` takes no options", d.name.name)
                };
                let dd = Diagnostic::error(codes::OPTION_UNKNOWN, msg, &self.path, opt.span, "invalid option")
                    .with_help("`rk45` takes `rtol`, `atol` (positive numbers) and `max_steps` (a whole number)");
                self.err(dd);
            }
        }
    }

    fn equation(&mut self, eq: &ast::Equation) {
        let target = &eq.target;
        let resolved = self.with_infer(|i| i.resolve_path(target));
        let value = self.infer(&eq.value);
        self.no_random(&value, eq.value.span);
        let Some(info) = resolved else { return };
        let is_own_state =
            info.depth == 0 && matches!(info.kind, PathKind::Member(MemberSigKind::State));
        if !is_own_state {
            let what = match &info.kind {
                PathKind::Member(k) if info.depth == 0 => {
                    format!("`{}` is {}", target.dotted(), with_article(k.describe()))
                }
                PathKind::Member(MemberSigKind::State) => {
                    format!("`{}` is a state of another instance", target.dotted())
                }
                PathKind::Member(k) => format!(
                    "`{}` is {} of another instance",
                    target.dotted(),
                    with_article(k.describe())
                ),
                PathKind::LoopVar => format!("`{}` is a loop variable", target.dotted()),
            };
            let kw = if eq.kind == EquationKind::Der {
                "der"
            } else {
                "next"
            };
            let d = Diagnostic::error(codes::EQUATION_TARGET, format!("`{kw}` needs a state of this {}, but {what}", if self.is_plant { "plant" } else { "node" }), &self.path, target.span, "not a state here")
                .with_help("equations define this definition's own states; declare one with `state name: unit = initial`");
            self.err(d);
            return;
        }
        let name = target.segments[0].name.name.clone();
        let state = self.sig.member(&name).cloned();
        if target.segments[0].index.is_none() {
            if let Some((prev, kind)) = self.equations.get(&name).copied() {
                let (code, msg) = if kind == eq.kind {
                    (
                        codes::DUPLICATE_EQUATION,
                        format!("state `{name}` has two equations"),
                    )
                } else {
                    (
                        codes::STATE_BOTH,
                        format!("state `{name}` has both a `der` and a `next` equation"),
                    )
                };
                let d = Diagnostic::error(
                    code,
                    msg,
                    &self.path,
                    eq.keyword.to(target.span),
                    "second equation",
                )
                .with_secondary(&self.path, prev, "first equation here")
                .with_help("a state is continuous (`der`) or discrete (`next`), with one equation");
                self.err(d);
            } else {
                self.equations
                    .insert(name.clone(), (eq.keyword.to(target.span), eq.kind));
            }
        }
        let Some(state) = state else { return };
        let unit_text = state.unit.as_ref().map(|u| u.text.clone());
        match eq.kind {
            EquationKind::Der => {
                let want = match state.ty {
                    VType::Num(d) => d.div(Dim::TIME).map(VType::Num).unwrap_or(VType::Error),
                    VType::Bool => {
                        let d = Diagnostic::error(
                            codes::DER_UNIT_MISMATCH,
                            format!("boolean state `{name}` cannot have a derivative"),
                            &self.path,
                            eq.keyword,
                            "`der` of a boolean",
                        )
                        .with_help("use `next` for discrete states");
                        self.err(d);
                        return;
                    }
                    VType::Error => VType::Error,
                };
                let want_text = unit_text.as_ref().map(|t| {
                    if t.contains(['/', '*']) {
                        format!("({t})/s")
                    } else {
                        format!("{t}/s")
                    }
                });
                let ok = self.expect(
                    &value,
                    eq.value.span,
                    want,
                    want_text.as_deref(),
                    codes::DER_UNIT_MISMATCH,
                    &format!("`der {name}`"),
                    None,
                );
                if !ok && let Some(d) = self.diags.last_mut() {
                    let unit = describe_with_spelling(state.ty, unit_text.as_deref());
                    d.secondary.push(crate::diagnostics::Label::new(
                        &self.path,
                        state.span,
                        format!("`{name}` is in {unit}"),
                    ));
                }
            }
            EquationKind::Next => {
                self.expect(
                    &value,
                    eq.value.span,
                    state.ty,
                    unit_text.as_deref(),
                    codes::NEXT_UNIT_MISMATCH,
                    &format!("`next {name}`"),
                    Some(state.span),
                );
            }
        }
    }

    fn instance(&mut self, d: &ast::InstanceDecl) {
        self.declare(&d.name, "an instance");
        self.array_size(d.array.as_ref());
        self.used_items.insert(d.node.name.clone());
        let Some(r) = self.items.get(&d.node.name) else {
            if self.items.failed_imports.contains(&d.node.name) {
                // The `use` that should have brought it in was reported.
                for a in &d.args {
                    self.infer(&a.value);
                }
                return;
            }
            let mut dd = Diagnostic::error(
                codes::UNKNOWN_NODE,
                format!("unknown node `{}`", d.node.name),
                &self.path,
                d.node.span,
                "not defined or imported",
            );
            let nodes: Vec<&str> = self
                .items
                .items
                .iter()
                .filter(|(_, r)| r.kind == ItemKind::Node)
                .map(|(n, _)| n.as_str())
                .collect();
            if let Some(s) = units::closest(&d.node.name, nodes.iter().copied()) {
                dd = dd.with_help(format!("did you mean `{s}`?"));
            } else if let Some(module) = crate::stdlib::module_defining(&d.node.name) {
                dd = dd.with_help(format!(
                    "it is in the stdlib: add `use std::{module}::{}`",
                    d.node.name
                ));
            }
            self.err(dd);
            for a in &d.args {
                self.infer(&a.value);
            }
            return;
        };
        if r.kind != ItemKind::Node {
            let code = if r.kind == ItemKind::Plant {
                codes::PLANT_INSTANCE
            } else {
                codes::NOT_A_NODE
            };
            let dd = Diagnostic::error(
                code,
                format!("`{}` is a {}, not a node", d.node.name, r.kind.describe()),
                &self.path,
                d.node.span,
                format!("a {}", r.kind.describe()),
            )
            .with_help(if r.kind == ItemKind::Plant {
                "only nodes can be instantiated; turn it into a `node`".to_string()
            } else {
                format!(
                    "only nodes can be instantiated; a unit is written after a number, like `1 {}`",
                    d.node.name
                )
            });
            self.err(dd);
            return;
        }
        let Some(node) = self.provider.get(r) else {
            // Recursion: reported by check_recursion.
            return;
        };
        let mut given: HashMap<&str, Span> = HashMap::default();
        for a in &d.args {
            self.arg(a, &d.name.name, &node, &mut given);
        }
        let missing: Vec<&str> = node
            .members
            .iter()
            .filter(|m| {
                matches!(
                    m.kind,
                    MemberSigKind::Param {
                        has_default: false,
                        ..
                    }
                ) && !given.contains_key(m.name.as_str())
            })
            .map(|m| m.name.as_str())
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let example = missing
                .iter()
                .map(|m| format!("{m}: ..."))
                .collect::<Vec<_>>()
                .join(", ");
            let dd = Diagnostic::error(
                codes::MISSING_ARG,
                format!(
                    "missing parameter{} {list} for node `{}`",
                    if missing.len() > 1 { "s" } else { "" },
                    node.name
                ),
                &self.path,
                d.call_span,
                format!("{list} not given"),
            )
            .with_help(format!(
                "pass {}: `{}({example})`",
                if missing.len() > 1 { "them" } else { "it" },
                node.name
            ));
            self.err(dd);
        }
    }

    fn arg<'n>(
        &mut self,
        a: &Arg,
        instance: &str,
        node: &'n DefSig,
        given: &mut HashMap<&'n str, Span>,
    ) {
        let got = self.infer(&a.value);
        if node.reported.contains(&a.name.name) {
            return; // its declaration in the node was reported
        }
        let Some(m) = node.member(&a.name.name) else {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_ARG,
                format!("node `{}` has no parameter `{}`", node.name, a.name.name),
                &self.path,
                a.name.span,
                "unknown parameter",
            );
            let params: Vec<&str> = node
                .members
                .iter()
                .filter(|m| matches!(m.kind, MemberSigKind::Param { .. }))
                .map(|m| m.name.as_str())
                .collect();
            if let Some(s) = units::closest(&a.name.name, params.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else if !params.is_empty() {
                d = d.with_note(format!("its parameters are {}", params.join(", ")));
            }
            self.err(d);
            return;
        };
        let MemberSigKind::Param { int, bounds, .. } = m.kind else {
            let d = Diagnostic::error(
                codes::UNKNOWN_ARG,
                format!(
                    "`{}` is {} of `{}`, not a parameter",
                    a.name.name,
                    with_article(m.kind.describe()),
                    node.name
                ),
                &self.path,
                a.name.span,
                "not a parameter",
            )
            .with_help(if matches!(m.kind, MemberSigKind::InPort { .. }) {
                format!(
                    "drive an in port with a bond: `bond {} -> {instance}.{}`",
                    slice(self.text, a.value.span).trim(),
                    a.name.name
                )
            } else {
                "only parameters are passed at instantiation".to_string()
            });
            self.err(d);
            return;
        };
        if let Some(prev) = given.get(m.name.as_str()) {
            let d = Diagnostic::error(
                codes::DUPLICATE_ARG,
                format!("parameter `{}` is given twice", a.name.name),
                &self.path,
                a.span,
                "given again",
            )
            .with_secondary(&self.path, *prev, "first given here");
            self.err(d);
        } else {
            given.insert(&m.name, a.span);
        }
        let unit_text = m.unit.as_ref().map(|u| u.text.clone());
        self.expect(
            &got,
            a.value.span,
            m.ty,
            unit_text.as_deref(),
            codes::INSTANCE_ARG_UNIT,
            &format!("parameter `{}` of `{}`", m.name, node.name),
            None,
        );
        self.at_reset(&got, a.value.span, &format!("the argument `{}`", m.name));
        if int {
            self.whole(
                got.konst,
                a.value.span,
                &format!("`{}` is an `int` parameter", m.name),
            );
        }
        if let (Some((lo, hi)), Some(v)) = (bounds, got.konst)
            && (v < lo || v > hi)
        {
            let shown = |x: f64| crate::ir::fmt_f64(x);
            let unit = m.unit.as_ref().map(|u| u.unit).filter(|u| u.scale != 1.0);
            let range = match unit {
                Some(u) => format!(
                    "{} .. {} {}",
                    shown(lo / u.scale),
                    shown(hi / u.scale),
                    m.unit.as_ref().map(|u| u.text.as_str()).unwrap_or("")
                ),
                None => format!("{} .. {}", shown(lo), shown(hi)),
            };
            let d = Diagnostic::error(
                codes::PARAM_OUT_OF_BOUNDS,
                format!("`{}` of `{}` must be within {range}", m.name, node.name),
                &self.path,
                a.value.span,
                "outside the declared bounds",
            )
            .with_help(format!("pass a value within {range}"));
            self.err(d);
        }
    }

    fn bond(&mut self, b: &ast::BondDecl) {
        if let ast::ExprKind::Path(p) = &b.source.kind
            && let Some(PathInfo {
                kind: PathKind::Member(MemberSigKind::Instance(_)),
                ..
            }) = self.resolve_quietly(p)
        {
            let d = Diagnostic::error(
                codes::BOND_SOURCE,
                format!("`{}` is an instance, not a value to bond", p.dotted()),
                &self.path,
                b.source.span,
                "an instance",
            )
            .with_help(format!(
                "bond one of its out ports, like `bond {}.<port> -> {}`",
                p.dotted(),
                b.target.dotted()
            ));
            self.err(d);
            return;
        }
        let src = self.infer(&b.source);
        self.no_random(&src, b.source.span);
        let Some(info) = self.with_infer(|i| i.resolve_path(&b.target)) else {
            return;
        };
        let ok_target =
            info.depth >= 1 && matches!(info.kind, PathKind::Member(MemberSigKind::InPort { .. }));
        if !ok_target {
            let what = match &info.kind {
                PathKind::Member(MemberSigKind::InPort { .. }) => {
                    "an in port of this definition itself; it is driven from outside".to_string()
                }
                PathKind::Member(k) => with_article(k.describe()),
                PathKind::LoopVar => "a loop variable".to_string(),
            };
            let mut d = Diagnostic::error(
                codes::BOND_TARGET,
                format!(
                    "a bond must end at an in port of an instance, but `{}` is {what}",
                    b.target.dotted()
                ),
                &self.path,
                b.target.span,
                "not an in port of an instance",
            );
            let reversed = matches!(&b.source.kind, ast::ExprKind::Path(p) if self.is_in_port(p));
            if reversed {
                d = d.with_help(format!(
                    "bonds go from source to target: write `bond {} -> {}`",
                    b.target.dotted(),
                    slice(self.text, b.source.span).trim()
                ));
            } else if matches!(info.kind, PathKind::Member(MemberSigKind::OutPort)) {
                d = d.with_help(
                    "an out port is computed by its own node; bond it to an in port instead",
                );
            }
            self.err(d);
            return;
        }
        if src.ty == VType::Error || info.ty == VType::Error {
            return;
        }
        match (src.ty, info.ty) {
            (VType::Num(a), VType::Num(t)) if a != t && src.bare != Bare::Zero => {
                if src.bare == Bare::Number {
                    let unit = info.spelled.clone().unwrap_or_else(|| t.to_string());
                    let d = Diagnostic::error(
                        codes::MISSING_UNIT,
                        format!(
                            "the constant source has no unit, but `{}` is in {}",
                            b.target.dotted(),
                            describe_with_spelling(info.ty, info.spelled.as_deref())
                        ),
                        &self.path,
                        b.source.span,
                        "a plain number",
                    )
                    .with_help(format!(
                        "write the unit: `bond {} {unit} -> {}`",
                        slice(self.text, b.source.span).trim(),
                        b.target.dotted()
                    ));
                    self.err(d);
                } else {
                    let d = Diagnostic::error(
                        codes::BOND_UNIT,
                        format!(
                            "bond connects {} to {}",
                            describe_with_spelling(src.ty, src.spelled.as_deref()),
                            describe_with_spelling(info.ty, info.spelled.as_deref())
                        ),
                        &self.path,
                        b.source.span,
                        format!(
                            "source in {}",
                            describe_with_spelling(src.ty, src.spelled.as_deref())
                        ),
                    )
                    .with_secondary(
                        &self.path,
                        b.target.span,
                        format!(
                            "target in {}",
                            describe_with_spelling(info.ty, info.spelled.as_deref())
                        ),
                    )
                    .with_help("both ends of a bond need the same dimension");
                    self.err(d);
                }
            }
            (VType::Bool, VType::Num(_)) | (VType::Num(_), VType::Bool) => {
                let describe = |ty: VType, spelled: Option<&str>| match ty {
                    VType::Bool => "a boolean".to_string(),
                    t => format!("a number in {}", describe_with_spelling(t, spelled)),
                };
                let help = if src.ty == VType::Bool {
                    "turn the boolean into a number with `if c then 1 else 0`"
                } else {
                    "turn the number into a boolean with a comparison, like `x > 0`"
                };
                let d = Diagnostic::error(
                    codes::BOND_UNIT,
                    "bond connects a boolean and a number",
                    &self.path,
                    b.source.span,
                    format!("source is {}", describe(src.ty, src.spelled.as_deref())),
                )
                .with_secondary(
                    &self.path,
                    b.target.span,
                    format!("target is {}", describe(info.ty, info.spelled.as_deref())),
                )
                .with_help(help);
                self.err(d);
            }
            _ => {}
        }
    }

    /// Resolve a path without reporting anything (its problems are reported where the
    /// path is checked as a value).
    fn resolve_quietly(&mut self, p: &Path) -> Option<PathInfo> {
        let saved = self.diags.len();
        let info = self.with_infer(|i| i.resolve_path(p));
        self.diags.truncate(saved);
        info
    }

    fn is_in_port(&mut self, p: &Path) -> bool {
        matches!(
            self.resolve_quietly(p).map(|i| i.kind),
            Some(PathKind::Member(MemberSigKind::InPort { .. }))
        )
    }

    fn action(&mut self, a: &ast::ActionDecl) {
        let (ty, text) = match &a.kind {
            ActionKind::Continuous { ty, bounds, .. } => {
                let (vt, text) = self.ty(ty);
                self.bounds(
                    bounds,
                    vt,
                    text.as_deref(),
                    &format!("action `{}`", a.name.name),
                    false,
                );
                (vt, text)
            }
            ActionKind::Bool(_) => (VType::Bool, None),
            ActionKind::Choice { count, masks, span } => {
                let n = self.infer(count);
                let valid = n.ty == VType::DIMENSIONLESS
                    && n.bare != Bare::No
                    && n.konst
                        .is_some_and(|v| v >= 1.0 && v.fract() == 0.0 && v <= 1.0e6);
                if n.ty != VType::Error && !valid {
                    let d = Diagnostic::error(
                        codes::BAD_CHOICE,
                        "`choice N` needs a constant whole number N of at least 1",
                        &self.path,
                        count.span,
                        "invalid choice count",
                    )
                    .with_help("write e.g. `choice 2`");
                    self.err(d);
                }
                if let Some(masks) = masks {
                    for m in masks {
                        let got = self.infer(m);
                        self.with_infer(|i| i.expect_bool(&got, m.span, "a mask"));
                        self.no_random(&got, m.span);
                    }
                    if valid && n.konst != Some(masks.len() as f64) {
                        let count = n.konst.unwrap_or(0.0);
                        let d = Diagnostic::error(
                            codes::MASK_COUNT,
                            format!(
                                "`choice {count}` needs {count} masks, but {} {} given",
                                masks.len(),
                                if masks.len() == 1 { "is" } else { "are" }
                            ),
                            &self.path,
                            *span,
                            "wrong number of masks",
                        )
                        .with_help("give one condition per choice, in choice order");
                        self.err(d);
                    }
                }
                (VType::DIMENSIONLESS, None)
            }
        };
        let Some(target) = &a.target else { return };
        let Some(info) = self.with_infer(|i| i.resolve_path(target)) else {
            return;
        };
        if !(info.depth >= 1 && matches!(info.kind, PathKind::Member(MemberSigKind::InPort { .. })))
        {
            let what = match &info.kind {
                PathKind::Member(k) => with_article(k.describe()),
                PathKind::LoopVar => "a loop variable".to_string(),
            };
            let d = Diagnostic::error(
                codes::ACTION_TARGET,
                format!(
                    "an action drives an in port of an instance, but `{}` is {what}",
                    target.dotted()
                ),
                &self.path,
                target.span,
                "not an in port of an instance",
            )
            .with_help(match &info.kind {
                PathKind::Member(MemberSigKind::OutPort) => {
                    "an out port is computed by its own node; drive one of its in ports instead"
                }
                _ => "point the action at an in port of an instance, like `-> tank.inflow`",
            });
            self.err(d);
            return;
        }
        match (ty, info.ty) {
            (VType::Error, _) | (_, VType::Error) => {}
            (VType::Bool, VType::Bool) => {}
            (VType::Num(a1), VType::Num(t)) if a1 == t => {}
            (VType::Num(_), VType::Num(_)) => {
                let d = Diagnostic::error(
                    codes::ACTION_UNIT,
                    format!(
                        "action `{}` is in {}, but `{}` is in {}",
                        a.name.name,
                        describe_with_spelling(ty, text.as_deref()),
                        target.dotted(),
                        describe_with_spelling(info.ty, info.spelled.as_deref())
                    ),
                    &self.path,
                    target.span,
                    format!(
                        "in {}",
                        describe_with_spelling(info.ty, info.spelled.as_deref())
                    ),
                )
                .with_secondary(
                    &self.path,
                    a.name.span,
                    format!("in {}", describe_with_spelling(ty, text.as_deref())),
                )
                .with_help("declare the action in a unit of the port's dimension");
                self.err(d);
            }
            _ => {
                let d = Diagnostic::error(codes::ACTION_KIND, format!("action `{}` is {}, but `{}` is {}", a.name.name, kind_word(ty), target.dotted(), kind_word(info.ty)), &self.path, target.span, format!("{} port", kind_word(info.ty)))
                    .with_secondary(&self.path, a.name.span, format!("{} action", kind_word(ty)))
                    .with_help("a `bool` action drives a `bool` port; continuous and choice actions drive numeric ports");
                self.err(d);
            }
        }
    }

    fn assigns(&mut self, body: &[Assign]) {
        for a in body {
            let value = self.infer(&a.value);
            let Some(info) = self.with_infer(|i| i.resolve_path(&a.target)) else {
                continue;
            };
            if !matches!(info.kind, PathKind::Member(MemberSigKind::State)) {
                let what = match &info.kind {
                    PathKind::Member(k) => with_article(k.describe()),
                    PathKind::LoopVar => "a loop variable".to_string(),
                };
                let d = Diagnostic::error(
                    codes::ASSIGN_TARGET,
                    format!(
                        "events can only change states, but `{}` is {what}",
                        a.target.dotted()
                    ),
                    &self.path,
                    a.target.span,
                    "not a state",
                )
                .with_help("assign to a state; ports and definitions follow from the states");
                self.err(d);
                continue;
            }
            self.expect(
                &value,
                a.value.span,
                info.ty,
                info.spelled.as_deref(),
                codes::EVENT_UNIT,
                &format!("`{}`", a.target.dotted()),
                None,
            );
        }
    }

    fn check_plant(&mut self, _members: &[Member], name: &ast::Ident) {
        let Some((dt_span, dt)) = self.settings.dt else {
            let d = Diagnostic::error(
                codes::MISSING_DT,
                format!("plant `{}` has no time step", name.name),
                &self.path,
                name.span,
                "no `dt`",
            )
            .with_help("add the integration tick, e.g. `dt 0.1 s`");
            self.err(d);
            return;
        };
        if let (Some((every_span, every)), Some(when)) =
            (self.settings.decide_every, self.settings.decide_when)
        {
            let d = Diagnostic::error(
                codes::NO_DECISION,
                "a plant decides either `every` interval or `when` a condition holds, not both",
                &self.path,
                when,
                "second decision rule",
            )
            .with_secondary(&self.path, every_span, "first decision rule")
            .with_help("keep either `decide every` or `decide when`");
            self.err(d);
            let _ = every;
        }
        if let (Some(dt), Some((every_span, Some(every)))) = (dt, self.settings.decide_every) {
            let ratio = every / dt;
            if (ratio - ratio.round()).abs() > 1e-9 * ratio.max(1.0) || ratio.round() < 1.0 {
                let d = Diagnostic::error(
                    codes::DECIDE_NOT_MULTIPLE,
                    format!(
                        "`decide every` ({every} s) is not a whole number of ticks of `dt` ({dt} s)"
                    ),
                    &self.path,
                    every_span,
                    format!("{ratio:.4} ticks"),
                )
                .with_secondary(&self.path, dt_span, "tick length")
                .with_help("make the decision interval a multiple of `dt`");
                self.err(d);
            }
        }
    }

    /// A node that contains itself (directly or through other nodes) is infinite.
    fn check_recursion(&mut self, name: &ast::Ident) {
        let start = self.sig.item;
        let mut chain: Vec<(String, Span, crate::resolve::ItemRef)> = Vec::new();
        let mut seen: HashSet<crate::resolve::ItemRef> = HashSet::default();
        if let Some(cycle) = self.find_cycle(start, start, &mut chain, &mut seen, 0) {
            // Report a cycle once, at the node of this file that comes first in it.
            if cycle
                .iter()
                .any(|(_, _, r)| r.file == start.file && r.index < start.index)
            {
                return;
            }
            let names: Vec<String> = std::iter::once(name.name.clone())
                .chain(cycle.iter().map(|(n, _, _)| n.clone()))
                .collect();
            let first = cycle[0].1;
            let d = Diagnostic::error(
                codes::RECURSIVE_NODE,
                format!(
                    "node `{}` contains itself: {}",
                    name.name,
                    names.join(" -> ")
                ),
                &self.path,
                first,
                "this instance leads back to the node",
            )
            .with_help(
                "a node cannot contain an instance of itself, directly or through other nodes",
            );
            self.err(d);
        }
    }

    fn find_cycle(
        &mut self,
        target: crate::resolve::ItemRef,
        at: crate::resolve::ItemRef,
        chain: &mut Vec<(String, Span, crate::resolve::ItemRef)>,
        seen: &mut HashSet<crate::resolve::ItemRef>,
        depth: usize,
    ) -> Option<Vec<(String, Span, crate::resolve::ItemRef)>> {
        if depth > 64 || !seen.insert(at) && at != target {
            return None;
        }
        let sig = if at == target {
            std::sync::Arc::new(self.sig.clone())
        } else {
            self.provider.get(at)?
        };
        for m in &sig.members {
            let MemberSigKind::Instance(Some(r)) = m.kind else {
                continue;
            };
            // Only the first hop's span is in this file; later hops name nodes.
            chain.push((self.node_name(r), m.span, r));
            if r == target {
                return Some(chain.clone());
            }
            if let Some(found) = self.find_cycle(target, r, chain, seen, depth + 1) {
                return Some(found);
            }
            chain.pop();
        }
        None
    }

    fn node_name(&self, r: crate::resolve::ItemRef) -> String {
        parse(self.db, r.file)
            .file
            .items
            .get(r.index)
            .and_then(|i| i.name())
            .map(|n| n.name.clone())
            .unwrap_or_default()
    }
}

fn slice(text: &str, span: Span) -> &str {
    sig::slice(text, span)
}

fn with_article(word: &str) -> String {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {word}"),
        _ => format!("a {word}"),
    }
}

fn kind_word(t: VType) -> &'static str {
    match t {
        VType::Bool => "boolean",
        _ => "numeric",
    }
}

fn member_word(k: &MemberKind) -> &'static str {
    match k {
        MemberKind::Param(_) => "a parameter",
        MemberKind::Port(_) => "a port",
        MemberKind::State(_) => "a state",
        MemberKind::Let(_) => "a definition",
        MemberKind::Equation(_) => "an equation",
        MemberKind::Instance(_) => "an instance",
        MemberKind::Bond(_) => "a bond",
        MemberKind::For(_) => "a `for` block",
        MemberKind::Dt(_) => "`dt`",
        MemberKind::DecideEvery(_) | MemberKind::DecideWhen(_) => "`decide`",
        MemberKind::Integrator(_) => "`integrator`",
        MemberKind::Action(_) => "an action",
        MemberKind::Observe(_) => "an observation",
        MemberKind::Reward(_) => "a reward",
        MemberKind::Agent(_) => "an agent",
        MemberKind::Terminate(_) => "`terminate`",
        MemberKind::Truncate(_) => "`truncate`",
        MemberKind::When(_) => "a `when` event",
        MemberKind::OnDecide(_) => "an `on decide` event",
    }
}
