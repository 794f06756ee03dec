//! What the code generator needs to know about a model before emitting anything: which
//! algebraic values depend (transitively) on which states, which sets of algebraic
//! values each phase of a tick needs, and whether the model is well-formed enough to
//! compile (variables in range, assignments to states only, no draws where values must
//! be deterministic, functions with the right number of arguments).
//!
//! Every check here turns bad input into a [`CodegenError`] instead of a panic later.

use crate::ir::{ActionSpace, Decide, Expr, Func, Model, StateUpdate};
use crate::layout::Plan;

use super::CodegenError;

const NONE: u32 = u32::MAX;

/// Dependency facts of one model, indexed by algebraic index (position in
/// `Model::algebraic`) and state index (position in `Model::states`).
pub(super) struct Analysis {
    /// For each variable: its algebraic index, or `NONE`.
    alg_of: Vec<u32>,
    /// For each variable: its state index, or `NONE`.
    state_of: Vec<u32>,
    /// For each algebraic value: the algebraic values it reads directly.
    pub alg_reads: Vec<Vec<u32>>,
    /// For each state: the algebraic values that depend on it, directly or not.
    pub state_dependents: Vec<Vec<u32>>,
    /// For each algebraic value: whether it depends on a state a tick can change.
    pub alg_variant: Vec<bool>,
    /// For each algebraic value: whether it depends on a continuous state.
    pub alg_cont: Vec<bool>,
    /// For each algebraic value: whether it reads only parameters, states and other such
    /// values (no action, no input), so that the value memory holds between calls is the
    /// value of the current states (docs/language.md, "Memory after each call").
    pub alg_stable: Vec<bool>,
    /// State indices of the continuous (`der`) states, in `Model::states` order.
    pub continuous: Vec<usize>,
    /// For each state index: its position in `continuous`, or `NONE`.
    cont_pos: Vec<u32>,
    /// Algebraic values the `der` and `next` equations need (closed under
    /// dependencies, ascending).
    pub tick_start: Vec<u32>,
    /// Algebraic values the `der` equations need (closed, ascending).
    pub der_needed: Vec<u32>,
    /// For each state: whether a tick can change it (`der`, `next`, or an event).
    pub tick_changes: Vec<bool>,
    /// For each state: whether a step can change it (a tick, or `on decide`).
    pub step_changes: Vec<bool>,
}

impl Analysis {
    pub fn alg(&self, var: usize) -> Option<usize> {
        self.alg_of
            .get(var)
            .filter(|&&a| a != NONE)
            .map(|&a| a as usize)
    }
    pub fn state(&self, var: usize) -> Option<usize> {
        self.state_of
            .get(var)
            .filter(|&&s| s != NONE)
            .map(|&s| s as usize)
    }
    /// Position among the continuous states of state index `s`.
    pub fn cont(&self, s: usize) -> Option<usize> {
        self.cont_pos
            .get(s)
            .filter(|&&c| c != NONE)
            .map(|&c| c as usize)
    }

    /// The algebraic values `exprs` read, closed under dependencies, ascending.
    fn closure<'e>(&self, exprs: impl Iterator<Item = &'e Expr>) -> Vec<u32> {
        let mut mark = vec![false; self.alg_reads.len()];
        let mut stack = Vec::new();
        let mut reads = Vec::new();
        for e in exprs {
            reads.clear();
            e.vars(&mut reads);
            for v in &reads {
                if let Some(a) = self.alg(v.index())
                    && !mark[a]
                {
                    mark[a] = true;
                    stack.push(a as u32);
                }
            }
        }
        let mut out = Vec::new();
        while let Some(a) = stack.pop() {
            out.push(a);
            for &d in &self.alg_reads[a as usize] {
                if !mark[d as usize] {
                    mark[d as usize] = true;
                    stack.push(d);
                }
            }
        }
        out.sort_unstable();
        out
    }
}

fn unsupported(msg: impl Into<String>) -> CodegenError {
    CodegenError::Unsupported(msg.into())
}

/// Validate `model` against `plan` and compute its dependency facts.
pub(super) fn analyse(model: &Model, plan: &Plan) -> Result<Analysis, CodegenError> {
    let nv = model.vars.len();
    let l = &plan.info.layout;
    if plan.info.vars.len() != nv || l.slots < nv {
        return Err(unsupported("the layout does not belong to this model"));
    }
    if l.slots.saturating_mul(8) > i32::MAX as usize {
        return Err(unsupported(format!(
            "the model needs {} memory slots per instance; at most {} are supported",
            l.slots,
            i32::MAX as usize / 8
        )));
    }
    if plan.obs_scale.len() != model.observations.len()
        || plan.mask_slots.len() != model.actions.len()
        || l.prev_states + model.states.len() > l.slots
        || plan.h >= l.slots
    {
        return Err(unsupported("the layout does not belong to this model"));
    }

    // Each variable plays one role: parameter, state or algebraic value.
    let mut role = vec![0u8; nv];
    let mut claim = |v: usize, r: u8, what: &str| -> Result<(), CodegenError> {
        if v >= nv {
            return Err(unsupported(format!(
                "{what} refers to variable #{v}, which does not exist"
            )));
        }
        if role[v] != 0 && !(role[v] == 1 && r == 1) {
            return Err(unsupported(format!(
                "`{}` is given two roles (parameter, state or algebraic value)",
                model.vars[v].name
            )));
        }
        role[v] = r;
        Ok(())
    };
    for p in &model.params {
        claim(p.var.index(), 1, "a parameter")?;
    }
    let mut state_of = vec![NONE; nv];
    for (k, s) in model.states.iter().enumerate() {
        claim(s.var.index(), 2, "a state")?;
        state_of[s.var.index()] = k as u32;
    }
    let mut alg_of = vec![NONE; nv];
    for (k, a) in model.algebraic.iter().enumerate() {
        claim(a.var.index(), 3, "an algebraic value")?;
        alg_of[a.var.index()] = k as u32;
    }
    for a in &model.actions {
        if a.var.index() >= nv {
            return Err(unsupported(format!("action `{}` has no variable", a.name)));
        }
        if role[a.var.index()] != 0 {
            return Err(unsupported(format!(
                "action `{}` drives a variable that is also computed",
                a.name
            )));
        }
    }

    // Expressions: variables in range, function arities, and draws only where allowed.
    let check = |e: &Expr, draws: bool, what: &str| -> Result<(), CodegenError> {
        check_expr(e, nv, draws).map_err(|why| unsupported(format!("{what}: {why}")))
    };
    let only_params_states = |e: &Expr, what: &str| -> Result<(), CodegenError> {
        let mut vs = Vec::new();
        e.vars(&mut vs);
        match vs.iter().find(|v| !matches!(role[v.index()], 1 | 2)) {
            Some(v) => Err(unsupported(format!(
                "{what} reads `{}`, which is not known at reset",
                model.vars[v.index()].name
            ))),
            None => Ok(()),
        }
    };
    for p in &model.params {
        let what = format!("parameter `{}`", model.vars[p.var.index()].name);
        check(&p.value, true, &what)?;
        only_params_states(&p.value, &what)?;
    }
    for s in &model.states {
        let name = &model.vars[s.var.index()].name;
        let what = format!("the initial value of `{name}`");
        check(&s.init, true, &what)?;
        only_params_states(&s.init, &what)?;
        match &s.update {
            StateUpdate::Der(e) => check(e, false, &format!("the derivative of `{name}`"))?,
            StateUpdate::Next(e) => check(e, false, &format!("the next value of `{name}`"))?,
            StateUpdate::Held => {}
        }
    }
    let mut alg_reads = Vec::with_capacity(model.algebraic.len());
    let mut reads = Vec::new();
    for (k, a) in model.algebraic.iter().enumerate() {
        let name = &model.vars[a.var.index()].name;
        check(&a.value, false, &format!("`{name}`"))?;
        reads.clear();
        a.value.vars(&mut reads);
        let mut direct = Vec::new();
        for v in &reads {
            if let Some(d) = alg_of.get(v.index()).copied().filter(|&d| d != NONE) {
                if d as usize >= k {
                    return Err(unsupported(format!(
                        "`{name}` reads `{}`, which is computed after it",
                        model.vars[v.index()].name
                    )));
                }
                direct.push(d);
            }
        }
        direct.sort_unstable();
        direct.dedup();
        alg_reads.push(direct);
    }
    let assigns = |list: &[crate::ir::Assignment], what: &str| -> Result<(), CodegenError> {
        for a in list {
            if a.var.index() >= nv || state_of[a.var.index()] == NONE {
                let name = model
                    .vars
                    .get(a.var.index())
                    .map_or("?", |v| v.name.as_str());
                return Err(unsupported(format!(
                    "{what} assigns `{name}`, which is not a state"
                )));
            }
            check(&a.value, true, what)?;
        }
        Ok(())
    };
    for ev in &model.events {
        check(&ev.cond, false, "an event condition")?;
        assigns(&ev.assigns, "an event")?;
    }
    assigns(&model.on_decide, "`on decide`")?;
    for (i, o) in model.observations.iter().enumerate() {
        check(&o.value, false, &format!("observation `{}`", o.name))?;
        if let Some(n) = &o.noise {
            check(n, true, &format!("the noise of observation `{}`", o.name))?;
        }
        if l.obs + i >= l.slots {
            return Err(unsupported("the layout does not belong to this model"));
        }
    }
    for (a, slot) in model.actions.iter().zip(&plan.mask_slots) {
        match (&a.space, slot) {
            (ActionSpace::Choice { n, masks }, Some(slot)) => {
                if masks.len() != *n as usize || slot + masks.len() > l.slots {
                    return Err(unsupported(format!(
                        "action `{}` has {} masks for {n} choices",
                        a.name,
                        masks.len()
                    )));
                }
                for m in masks {
                    check(m, false, &format!("a mask of action `{}`", a.name))?;
                }
            }
            (ActionSpace::Choice { masks, .. }, None) if masks.is_empty() => {}
            (ActionSpace::Box { .. } | ActionSpace::Bool, None) => {}
            _ => return Err(unsupported("the layout does not belong to this model")),
        }
    }
    if model.agents.len() + l.rewards > l.slots {
        return Err(unsupported("the layout does not belong to this model"));
    }
    for ag in &model.agents {
        if let Some(r) = &ag.reward {
            check(r, false, &format!("the reward of agent `{}`", ag.name))?;
        }
    }
    if let Some(t) = &model.terminate {
        check(t, false, "a termination condition")?;
    }
    if let Decide::When(c) = &model.decide {
        check(c, false, "the `decide when` condition")?;
    }
    if !(model.dt.is_finite() && model.dt > 0.0) {
        return Err(unsupported("dt must be a positive number"));
    }

    // Which states change, and where.
    let ns = model.states.len();
    let mut continuous = Vec::new();
    let mut cont_pos = vec![NONE; ns];
    let mut tick_changes = vec![false; ns];
    for (k, s) in model.states.iter().enumerate() {
        match s.update {
            StateUpdate::Der(_) => {
                cont_pos[k] = continuous.len() as u32;
                continuous.push(k);
                tick_changes[k] = true;
            }
            StateUpdate::Next(_) => tick_changes[k] = true,
            StateUpdate::Held => {}
        }
    }
    for ev in &model.events {
        for a in &ev.assigns {
            tick_changes[state_of[a.var.index()] as usize] = true;
        }
    }
    let mut step_changes = tick_changes.clone();
    for a in &model.on_decide {
        step_changes[state_of[a.var.index()] as usize] = true;
    }

    // Transitive state dependencies of each algebraic value.
    let mut deps: Vec<Vec<u32>> = Vec::with_capacity(model.algebraic.len());
    for (k, a) in model.algebraic.iter().enumerate() {
        reads.clear();
        a.value.vars(&mut reads);
        let mut d: Vec<u32> = reads
            .iter()
            .filter_map(|v| Some(state_of[v.index()]).filter(|&s| s != NONE))
            .collect();
        for &r in &alg_reads[k] {
            d.extend_from_slice(&deps[r as usize]);
        }
        d.sort_unstable();
        d.dedup();
        deps.push(d);
    }
    let mut state_dependents = vec![Vec::new(); ns];
    for (a, d) in deps.iter().enumerate() {
        for &s in d {
            state_dependents[s as usize].push(a as u32);
        }
    }
    let alg_variant = deps
        .iter()
        .map(|d| d.iter().any(|&s| tick_changes[s as usize]))
        .collect();
    let alg_cont = deps
        .iter()
        .map(|d| d.iter().any(|&s| cont_pos[s as usize] != NONE))
        .collect();
    let mut alg_stable: Vec<bool> = Vec::with_capacity(model.algebraic.len());
    for a in &model.algebraic {
        reads.clear();
        a.value.vars(&mut reads);
        let stable = reads.iter().all(|v| match role[v.index()] {
            1 | 2 => true,
            3 => alg_stable
                .get(alg_of[v.index()] as usize)
                .copied()
                .unwrap_or(false),
            _ => false,
        });
        alg_stable.push(stable);
    }

    let mut an = Analysis {
        alg_of,
        state_of,
        alg_reads,
        state_dependents,
        alg_variant,
        alg_cont,
        alg_stable,
        continuous,
        cont_pos,
        tick_start: Vec::new(),
        der_needed: Vec::new(),
        tick_changes,
        step_changes,
    };
    let der = || {
        model.states.iter().filter_map(|s| match &s.update {
            StateUpdate::Der(e) => Some(e),
            _ => None,
        })
    };
    let next = || {
        model.states.iter().filter_map(|s| match &s.update {
            StateUpdate::Next(e) => Some(e),
            _ => None,
        })
    };
    an.der_needed = an.closure(der());
    an.tick_start = an.closure(der().chain(next()));
    Ok(an)
}

/// Check one expression; the reason when it cannot be compiled.
fn check_expr(e: &Expr, nv: usize, draws: bool) -> Result<(), String> {
    match e {
        Expr::Const(_) => Ok(()),
        Expr::Var(v) => {
            if v.index() < nv {
                Ok(())
            } else {
                Err(format!("variable #{} does not exist", v.index()))
            }
        }
        Expr::Neg(a) | Expr::Not(a) => check_expr(a, nv, draws),
        Expr::Bin(_, a, b) => {
            check_expr(a, nv, draws)?;
            check_expr(b, nv, draws)
        }
        Expr::If(c, a, b) => {
            check_expr(c, nv, draws)?;
            check_expr(a, nv, draws)?;
            check_expr(b, nv, draws)
        }
        Expr::Call(f, args) => {
            if args.len() != arity(*f) {
                return Err(format!(
                    "`{}` takes {} arguments, not {}",
                    f.name(),
                    arity(*f),
                    args.len()
                ));
            }
            args.iter().try_for_each(|a| check_expr(a, nv, draws))
        }
        Expr::Uniform(a, b) | Expr::Normal(a, b) => {
            if !draws {
                return Err("random draws are not allowed here".into());
            }
            check_expr(a, nv, draws)?;
            check_expr(b, nv, draws)
        }
    }
}

/// The number of arguments of a built-in function.
pub(super) fn arity(f: Func) -> usize {
    match f {
        Func::Min | Func::Max | Func::Pow | Func::Atan2 => 2,
        Func::Clamp => 3,
        _ => 1,
    }
}
