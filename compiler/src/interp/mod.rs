//! The reference interpreter: the execution semantics of docs/language.md section 12,
//! written as plainly as possible over the IR. It is the oracle the native code is tested
//! against (bit-identical memory after every reset and step), and a fallback kernel.
//!
//! It implements [`plant_runtime::Kernel`] over the memory layout of [`crate::layout`].
//! Algebraic values are recomputed wholesale whenever the semantics say an expression
//! sees them; that is slow but obviously right, and gives the same bits as recomputing
//! only what changed.

use std::sync::Arc;

use plant_runtime::{Kernel, Rng, Status};

use crate::ir::{ActionSpace, BinOp, Decide, Expr, Func, Integrator, Model, StateUpdate};
use crate::layout::{MAX_TICKS_PER_STEP, Plan};
use crate::numerics::{DOPRI_A, DOPRI_E, dopri_factor, max, min, sign};

/// The interpreter kernel of one model.
pub struct Interp {
    model: Arc<Model>,
    plan: Plan,
    /// Continuous states: (slot, index in `model.states`).
    continuous: Vec<(usize, usize)>,
}

impl Interp {
    pub fn new(model: Arc<Model>, plan: Plan) -> Interp {
        let continuous = model
            .states
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.update, StateUpdate::Der(_)))
            .map(|(i, s)| (s.var.index(), i))
            .collect();
        Interp {
            model,
            plan,
            continuous,
        }
    }

    fn eval(&self, e: &Expr, mem: &[f64], rng: &mut Rng) -> f64 {
        let b = |v: bool| if v { 1.0 } else { 0.0 };
        match e {
            Expr::Const(v) => *v,
            Expr::Var(v) => mem[v.index()],
            Expr::Neg(a) => -self.eval(a, mem, rng),
            Expr::Not(a) => b(self.eval(a, mem, rng) == 0.0),
            Expr::Bin(BinOp::Pow, x, y) if matches!(**y, Expr::Const(c) if c == 2.0) => {
                let x = self.eval(x, mem, rng);
                x * x
            }
            Expr::Bin(op, x, y) => {
                let x = self.eval(x, mem, rng);
                let y = self.eval(y, mem, rng);
                match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    BinOp::Pow => x.powf(y),
                    BinOp::Eq => b(x == y),
                    BinOp::Ne => b(x != y),
                    BinOp::Lt => b(x < y),
                    BinOp::Le => b(x <= y),
                    BinOp::Gt => b(x > y),
                    BinOp::Ge => b(x >= y),
                    BinOp::And => b((x != 0.0) & (y != 0.0)),
                    BinOp::Or => b((x != 0.0) | (y != 0.0)),
                }
            }
            Expr::If(c, x, y) => {
                if self.eval(c, mem, rng) != 0.0 {
                    self.eval(x, mem, rng)
                } else {
                    self.eval(y, mem, rng)
                }
            }
            Expr::Call(f, args) => {
                let mut v = [0.0f64; 3];
                for (slot, a) in v.iter_mut().zip(args) {
                    *slot = self.eval(a, mem, rng);
                }
                let [a, b2, c] = v;
                match f {
                    Func::Min => min(a, b2),
                    Func::Max => max(a, b2),
                    Func::Clamp => min(max(a, b2), c),
                    Func::Abs => a.abs(),
                    Func::Floor => a.floor(),
                    Func::Ceil => a.ceil(),
                    Func::Round => a.round(),
                    Func::Sign => sign(a),
                    Func::Sqrt => a.sqrt(),
                    Func::Exp => a.exp(),
                    Func::Log => a.ln(),
                    Func::Log10 => a.log10(),
                    Func::Sin => a.sin(),
                    Func::Cos => a.cos(),
                    Func::Tan => a.tan(),
                    Func::Asin => a.asin(),
                    Func::Acos => a.acos(),
                    Func::Atan => a.atan(),
                    Func::Sinh => a.sinh(),
                    Func::Cosh => a.cosh(),
                    Func::Tanh => a.tanh(),
                    Func::Pow => a.powf(b2),
                    Func::Atan2 => a.atan2(b2),
                }
            }
            Expr::Uniform(lo, hi) => {
                let lo = self.eval(lo, mem, rng);
                let hi = self.eval(hi, mem, rng);
                rng.uniform(lo, hi)
            }
            Expr::Normal(m, s) => {
                let m = self.eval(m, mem, rng);
                let s = self.eval(s, mem, rng);
                rng.normal(m, s)
            }
        }
    }

    fn truth(&self, e: &Expr, mem: &[f64], rng: &mut Rng) -> bool {
        self.eval(e, mem, rng) != 0.0
    }

    /// Recompute every algebraic value, in order, from the current states.
    fn algebraic(&self, mem: &mut [f64], rng: &mut Rng) {
        for a in &self.model.algebraic {
            mem[a.var.index()] = self.eval(&a.value, mem, rng);
        }
    }

    /// Recompute the algebraic values when a state changed since they were computed
    /// (recomputing unchanged inputs would give the same bits).
    fn refresh(&self, stale: &mut bool, mem: &mut [f64], rng: &mut Rng) {
        if *stale {
            self.algebraic(mem, rng);
            *stale = false;
        }
    }

    /// Run assignments in order; each value sees the algebraic values of the states as
    /// they are at that moment.
    fn assign(
        &self,
        assigns: &[crate::ir::Assignment],
        stale: &mut bool,
        mem: &mut [f64],
        rng: &mut Rng,
    ) {
        for a in assigns {
            self.refresh(stale, mem, rng);
            mem[a.var.index()] = self.eval(&a.value, mem, rng);
            *stale = true;
        }
    }

    /// The derivatives of the continuous states at the states in `scratch` (algebraic
    /// values recomputed there first).
    fn derivatives(&self, scratch: &mut [f64], rng: &mut Rng, out: &mut [f64]) {
        self.algebraic(scratch, rng);
        for (k, &(_, si)) in self.continuous.iter().enumerate() {
            if let StateUpdate::Der(e) = &self.model.states[si].update {
                out[k] = self.eval(e, scratch, rng);
            }
        }
    }

    /// Set the continuous states of `scratch` to `x`.
    fn set_states(&self, scratch: &mut [f64], x: &[f64]) {
        for (k, &(slot, _)) in self.continuous.iter().enumerate() {
            scratch[slot] = x[k];
        }
    }

    /// Advance the continuous states over one tick; `Err` when rk45 runs out of steps.
    fn integrate(&self, mem: &mut [f64], rng: &mut Rng) -> Result<Vec<f64>, Status> {
        let n = self.continuous.len();
        let dt = self.model.dt;
        let x: Vec<f64> = self.continuous.iter().map(|&(s, _)| mem[s]).collect();
        if n == 0 {
            return Ok(x);
        }
        let mut scratch = mem.to_vec();
        let mut k1 = vec![0.0; n];
        self.derivatives(&mut scratch, rng, &mut k1);
        match self.model.integrator {
            Integrator::Euler => Ok((0..n).map(|i| x[i] + dt * k1[i]).collect()),
            Integrator::Rk4 => {
                let h2 = dt * 0.5;
                let mut stage = |ks: &[f64], h: f64, out: &mut Vec<f64>| {
                    let y: Vec<f64> = (0..n).map(|i| x[i] + h * ks[i]).collect();
                    self.set_states(&mut scratch, &y);
                    self.derivatives(&mut scratch, rng, out);
                };
                let mut k2 = vec![0.0; n];
                stage(&k1, h2, &mut k2);
                let mut k3 = vec![0.0; n];
                stage(&k2, h2, &mut k3);
                let mut k4 = vec![0.0; n];
                stage(&k3, dt, &mut k4);
                let h6 = dt / 6.0;
                Ok((0..n)
                    .map(|i| x[i] + h6 * (((k1[i] + 2.0 * k2[i]) + 2.0 * k3[i]) + k4[i]))
                    .collect())
            }
            Integrator::Rk45 {
                rtol,
                atol,
                max_steps,
            } => {
                let mut x = x;
                let mut h = mem[self.plan.h];
                let mut left = dt;
                let mut attempts = 0u64;
                let mut k = vec![vec![0.0; n]; 7];
                k[0] = k1;
                loop {
                    if attempts >= max_steps {
                        return Err(Status::IntegratorMaxSteps);
                    }
                    attempts += 1;
                    let last = h >= left;
                    let hh = if last { left } else { h };
                    for (s, row) in DOPRI_A.iter().enumerate() {
                        let y: Vec<f64> = (0..n)
                            .map(|i| {
                                let mut acc: Option<f64> = None;
                                for (j, &a) in row.iter().enumerate().take(s + 1) {
                                    if a != 0.0 {
                                        let t = a * k[j][i];
                                        acc = Some(match acc {
                                            None => t,
                                            Some(v) => v + t,
                                        });
                                    }
                                }
                                x[i] + hh * acc.unwrap_or(0.0)
                            })
                            .collect();
                        self.set_states(&mut scratch, &y);
                        let mut out = vec![0.0; n];
                        self.derivatives(&mut scratch, rng, &mut out);
                        k[s + 1] = out;
                        if s == DOPRI_A.len() - 1 {
                            // Stage 7 is evaluated at the fifth-order solution.
                            let x5 = y;
                            let mut sum = 0.0;
                            for i in 0..n {
                                let mut acc: Option<f64> = None;
                                for (j, &e) in DOPRI_E.iter().enumerate() {
                                    if e != 0.0 {
                                        let t = e * k[j][i];
                                        acc = Some(match acc {
                                            None => t,
                                            Some(v) => v + t,
                                        });
                                    }
                                }
                                let err = hh * acc.unwrap_or(0.0);
                                let sc = atol + rtol * max(x[i].abs(), x5[i].abs());
                                let q = err / sc;
                                sum += q * q;
                            }
                            let norm = (sum / n as f64).sqrt();
                            let fac = dopri_factor(norm);
                            if norm > 1.0 {
                                // Rejected: x is unchanged, so k1 still holds.
                                h = hh * fac;
                            } else {
                                x = x5;
                                left -= hh;
                                if last {
                                    mem[self.plan.h] = max(h, hh * fac);
                                    return Ok(x);
                                }
                                h = hh * fac;
                                // First same as last: k7 is the derivative at the new x.
                                k[0] = k[6].clone();
                            }
                        }
                    }
                }
            }
        }
    }

    /// One tick (docs/language.md, "The tick").
    fn run_tick(&self, mem: &mut [f64], rng: &mut Rng) -> Status {
        let m = &*self.model;
        let l = &self.plan.info.layout;
        // 1. Algebraic values at t (the `next` equations read them).
        self.algebraic(mem, rng);
        // 3. Discrete updates from the values at t.
        let nexts: Vec<(usize, f64)> = m
            .states
            .iter()
            .filter_map(|s| match &s.update {
                StateUpdate::Next(e) => Some((s.var.index(), self.eval(e, mem, rng))),
                _ => None,
            })
            .collect();
        // 2. Continuous states over [t, t + dt].
        let x1 = match self.integrate(mem, rng) {
            Ok(x) => x,
            Err(st) => return st,
        };
        // 4. Commit, keeping the states from before the tick.
        for (k, s) in m.states.iter().enumerate() {
            mem[l.prev_states + k] = mem[s.var.index()];
        }
        for (k, &(slot, _)) in self.continuous.iter().enumerate() {
            mem[slot] = x1[k];
        }
        for (slot, v) in nexts {
            mem[slot] = v;
        }
        // 5. Events, in event order.
        let mut stale = true;
        for ev in &m.events {
            self.refresh(&mut stale, mem, rng);
            if self.truth(&ev.cond, mem, rng) {
                self.assign(&ev.assigns, &mut stale, mem, rng);
            }
        }
        // 6. Time.
        mem[l.ticks] += 1.0;
        mem[l.time] = mem[l.ticks] * m.dt;
        if m.states.iter().any(|s| !mem[s.var.index()].is_finite()) {
            return Status::NonFinite;
        }
        Status::Ok
    }

    /// Algebraic values, observations and masks from the current states.
    fn outputs(&self, mem: &mut [f64], rng: &mut Rng) {
        let m = &*self.model;
        let l = &self.plan.info.layout;
        self.algebraic(mem, rng);
        for (i, o) in m.observations.iter().enumerate() {
            let mut v = self.eval(&o.value, mem, rng);
            if let Some(noise) = &o.noise {
                v += self.eval(noise, mem, rng);
            }
            let scale = self.plan.obs_scale[i];
            if scale != 1.0 {
                v /= scale;
            }
            mem[l.obs + i] = v;
        }
        for (a, slot) in m.actions.iter().zip(&self.plan.mask_slots) {
            if let (ActionSpace::Choice { masks, .. }, Some(slot)) = (&a.space, slot) {
                for (k, mask) in masks.iter().enumerate() {
                    mem[slot + k] = if self.truth(mask, mem, rng) { 1.0 } else { 0.0 };
                }
            }
        }
    }
}

impl Kernel for Interp {
    fn reset(&self, mem: &mut [f64], rng: &mut Rng, overrides: &[f64]) {
        let m = &*self.model;
        let l = &self.plan.info.layout;
        mem[l.time] = 0.0;
        mem[l.ticks] = 0.0;
        mem[l.steps] = 0.0;
        mem[self.plan.h] = m.dt;
        for p in &m.params {
            let v = self.eval(&p.value, mem, rng);
            let o = overrides[p.var.index()];
            mem[p.var.index()] = if o.is_nan() { v } else { o };
        }
        for s in &m.states {
            let v = self.eval(&s.init, mem, rng);
            let o = overrides[s.var.index()];
            mem[s.var.index()] = if o.is_nan() { v } else { o };
        }
        for (k, s) in m.states.iter().enumerate() {
            mem[l.prev_states + k] = mem[s.var.index()];
        }
        self.outputs(mem, rng);
        for r in 0..m.agents.len() {
            mem[l.rewards + r] = 0.0;
        }
        mem[l.terminated] = 0.0;
        mem[l.truncated] = 0.0;
    }

    fn step(&self, mem: &mut [f64], rng: &mut Rng) -> Status {
        let m = &*self.model;
        let l = &self.plan.info.layout;
        self.assign(&m.on_decide, &mut true, mem, rng);
        match &m.decide {
            Decide::Every { ticks } => {
                for _ in 0..*ticks {
                    let st = self.run_tick(mem, rng);
                    if st != Status::Ok {
                        return st;
                    }
                }
            }
            Decide::When(cond) => {
                // Ticks until the condition holds: none if it holds already.
                let mut k = 0u64;
                loop {
                    self.algebraic(mem, rng);
                    if self.truth(cond, mem, rng) {
                        break;
                    }
                    if self
                        .plan
                        .truncate_ticks
                        .is_some_and(|t| mem[l.ticks] >= t as f64)
                    {
                        break;
                    }
                    if k >= MAX_TICKS_PER_STEP {
                        return Status::TickLimit;
                    }
                    let st = self.run_tick(mem, rng);
                    if st != Status::Ok {
                        return st;
                    }
                    k += 1;
                }
            }
        }
        mem[l.steps] += 1.0;
        self.outputs(mem, rng);
        for (i, a) in m.agents.iter().enumerate() {
            mem[l.rewards + i] = match &a.reward {
                Some(r) => self.eval(r, mem, rng),
                None => 0.0,
            };
        }
        mem[l.terminated] = match &m.terminate {
            Some(c) if self.truth(c, mem, rng) => 1.0,
            _ => 0.0,
        };
        mem[l.truncated] = match (&m.truncate, self.plan.truncate_ticks) {
            (Some(crate::ir::Truncate::Steps(n)), _) if mem[l.steps] >= *n as f64 => 1.0,
            (Some(crate::ir::Truncate::Time(_)), Some(t)) if mem[l.ticks] >= t as f64 => 1.0,
            _ => 0.0,
        };
        Status::Ok
    }

    fn tick(&self, mem: &mut [f64], rng: &mut Rng) -> Status {
        self.run_tick(mem, rng)
    }

    fn observe(&self, mem: &mut [f64], rng: &mut Rng) {
        self.outputs(mem, rng);
    }

    fn name(&self) -> &str {
        "interp"
    }
}
