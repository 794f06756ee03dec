//! Emitting the Cranelift IR of a model's functions (docs/language.md, section 12).
//!
//! One [`Fx`] builds one function. Inside it, values live in SSA:
//!
//! - parameters and actions (and, in `observe`/`reset`, states) are loaded once, in the
//!   entry block, the first time something reads them (`entry_load`);
//! - in `step` and `tick`, each state is a cranelift-frontend [`Variable`] loaded at entry
//!   and stored only on the way out, like the tick count and `h`; `prev_states` is stored
//!   by each tick (a variable would be carried around the tick loop for nothing);
//! - each algebraic value is a [`Variable`] with a compile-time *valid* flag. A phase
//!   that reads algebraic values first computes the ones that are not valid (in
//!   evaluation order); assigning a state clears the flag of every algebraic value that
//!   depends on it, directly or not. Recomputing only those gives the same bits as
//!   recomputing everything, as the reference interpreter does. Algebraic values are
//!   stored to memory only by the output evaluation (end of step, `observe`, `reset`);
//! - pure calls (`sin(theta)`) are memoised per dominating scope, so an expression
//!   repeated across algebraic values is computed once.

use std::collections::HashMap;

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    Block, BlockArg, FuncRef, Inst, InstBuilder, MemFlagsData, Type, Value, types,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Module};

use crate::ir::{
    ActionSpace, Assignment, BinOp, Decide, EventDef, Expr, Func, Integrator, Model, StateUpdate,
    Truncate,
};
use crate::layout::{MAX_TICKS_PER_STEP, Plan};
use crate::numerics::{DOPRI_A, DOPRI_E};

use super::CodegenError;
use super::analysis::Analysis;
use super::shims;

type R<T> = Result<T, CodegenError>;

const F64: Type = types::F64;

fn internal(msg: &str) -> CodegenError {
    CodegenError::Backend(format!("internal code generator error: {msg}"))
}

/// The symbols of one module: imported helpers by name, and the module's own `step`.
pub(super) struct Symbols {
    pub by_name: HashMap<&'static str, FuncId>,
    pub step: Option<FuncId>,
}

/// Values of one derivative evaluation at intermediate states (a Runge-Kutta stage).
struct Stage {
    /// The continuous states, by position in `Analysis::continuous`.
    x: Vec<Value>,
    /// Algebraic values that depend on a continuous state, computed for this stage.
    alg: HashMap<u32, Value>,
}

type MemoKey = (Func, Value, Option<Value>);

/// The builder of one function.
pub(super) struct Fx<'a, 'b> {
    pub b: FunctionBuilder<'b>,
    module: &'a mut JITModule,
    syms: &'a Symbols,
    imported: HashMap<&'static str, FuncRef>,
    m: &'a Model,
    plan: &'a Plan,
    an: &'a Analysis,
    /// The function's parameters: instance memory, generator, and the rest.
    pub params: Vec<Value>,
    mem: Value,
    rng: Value,
    /// The entry block's jump into the body: lazy loads are inserted before it.
    entry_jump: Inst,
    /// Values of variables that do not change in this function, by `VarId`.
    fixed: Vec<Option<Value>>,
    /// One variable per state (in `step` and `tick`).
    svar: Option<Vec<Variable>>,
    ticks: Option<Variable>,
    h: Option<Variable>,
    avar: Vec<Variable>,
    valid: Vec<bool>,
    /// Changes of `valid` inside an event's branch: (algebraic, value before).
    log: Option<Vec<(u32, bool)>>,
    mark: Vec<bool>,
    stage: Option<Stage>,
    memo: HashMap<MemoKey, Value>,
    scopes: Vec<Vec<MemoKey>>,
}

impl<'a, 'b> Fx<'a, 'b> {
    /// Start a function: an entry block holding the parameters and the lazy loads,
    /// jumping into the body, where the builder is left.
    pub fn new(
        mut b: FunctionBuilder<'b>,
        module: &'a mut JITModule,
        syms: &'a Symbols,
        m: &'a Model,
        plan: &'a Plan,
        an: &'a Analysis,
    ) -> Fx<'a, 'b> {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let params = b.block_params(entry).to_vec();
        let body = b.create_block();
        let entry_jump = b.ins().jump(body, &[]);
        b.switch_to_block(body);
        b.seal_block(body);
        let avar = (0..m.algebraic.len()).map(|_| b.declare_var(F64)).collect();
        let mem = params.first().copied().unwrap_or(Value::from_u32(0));
        let rng = params.get(1).copied().unwrap_or(mem);
        Fx {
            b,
            module,
            syms,
            imported: HashMap::new(),
            m,
            plan,
            an,
            params,
            mem,
            rng,
            entry_jump,
            fixed: vec![None; m.vars.len()],
            svar: None,
            ticks: None,
            h: None,
            avar,
            valid: vec![false; m.algebraic.len()],
            log: None,
            mark: vec![false; m.algebraic.len()],
            stage: None,
            memo: HashMap::new(),
            scopes: vec![Vec::new()],
        }
    }

    pub fn finish(self) {
        let config = self.module.target_config();
        let mut b = self.b;
        b.seal_all_blocks();
        b.finalize(config);
    }

    // ----- small helpers -------------------------------------------------------------

    fn f(&mut self, v: f64) -> Value {
        self.b.ins().f64const(v)
    }

    fn flags() -> MemFlagsData {
        MemFlagsData::trusted()
    }

    fn load(&mut self, base: Value, slot: usize) -> Value {
        self.b
            .ins()
            .load(F64, Self::flags(), base, (slot * 8) as i32)
    }

    fn store(&mut self, slot: usize, v: Value) {
        let mem = self.mem;
        self.b.ins().store(Self::flags(), v, mem, (slot * 8) as i32);
    }

    /// Load a slot in the entry block (so the value dominates the whole function).
    fn entry_load(&mut self, slot: usize) -> Value {
        let mem = self.mem;
        let mut cur = FuncCursor::new(self.b.func).at_inst(self.entry_jump);
        cur.ins().load(F64, Self::flags(), mem, (slot * 8) as i32)
    }

    fn bool_f64(&mut self, c: Value) -> Value {
        let one = self.f(1.0);
        let zero = self.f(0.0);
        self.b.ins().select(c, one, zero)
    }

    fn func_ref(&mut self, name: &'static str) -> R<FuncRef> {
        if let Some(r) = self.imported.get(name) {
            return Ok(*r);
        }
        let id = *self
            .syms
            .by_name
            .get(name)
            .ok_or_else(|| internal("symbol not declared"))?;
        let r = self.module.declare_func_in_func(id, self.b.func);
        self.imported.insert(name, r);
        Ok(r)
    }

    fn call1(&mut self, name: &'static str, args: &[Value]) -> R<Value> {
        let r = self.func_ref(name)?;
        let call = self.b.ins().call(r, args);
        self.b
            .inst_results(call)
            .first()
            .copied()
            .ok_or_else(|| internal("call without result"))
    }

    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    fn pop_scope(&mut self) {
        if let Some(keys) = self.scopes.pop() {
            for k in keys {
                self.memo.remove(&k);
            }
        }
    }

    fn memo_insert(&mut self, k: MemoKey, v: Value) {
        self.memo.insert(k, v);
        if let Some(s) = self.scopes.last_mut() {
            s.push(k);
        }
    }

    // ----- variables -----------------------------------------------------------------

    /// Make states `Variable`s loaded at entry (for `step` and `tick`), with the tick
    /// count and `h`.
    pub fn state_vars(&mut self) {
        let l = &self.plan.info.layout;
        let (ticks_at, h_at) = (l.ticks, self.plan.h);
        let mut sv = Vec::with_capacity(self.m.states.len());
        for s in &self.m.states {
            let x = self.entry_load(s.var.index());
            let v = self.b.declare_var(F64);
            self.b.def_var(v, x);
            sv.push(v);
        }
        self.svar = Some(sv);
        let t = self.entry_load(ticks_at);
        let tv = self.b.declare_var(F64);
        self.b.def_var(tv, t);
        self.ticks = Some(tv);
        if matches!(self.m.integrator, Integrator::Rk45 { .. }) {
            let h = self.entry_load(h_at);
            let hv = self.b.declare_var(F64);
            self.b.def_var(hv, h);
            self.h = Some(hv);
        }
    }

    fn read(&mut self, var: usize) -> R<Value> {
        let an = self.an;
        if let Some(st) = &self.stage {
            if let Some(c) = an.state(var).and_then(|s| an.cont(s)) {
                return Ok(st.x[c]);
            }
            if let Some(a) = an.alg(var)
                && an.alg_cont[a]
            {
                return st
                    .alg
                    .get(&(a as u32))
                    .copied()
                    .ok_or_else(|| internal("stage value read before computed"));
            }
        }
        if let Some(a) = an.alg(var) {
            if !self.valid[a] {
                return Err(internal("algebraic value read before computed"));
            }
            return Ok(self.b.use_var(self.avar[a]));
        }
        if let (Some(s), Some(sv)) = (an.state(var), &self.svar) {
            let v = sv[s];
            return Ok(self.b.use_var(v));
        }
        if let Some(x) = self.fixed[var] {
            return Ok(x);
        }
        let x = self.entry_load(var);
        self.fixed[var] = Some(x);
        Ok(x)
    }

    fn set_valid(&mut self, a: usize, v: bool) {
        if let Some(log) = &mut self.log {
            log.push((a as u32, self.valid[a]));
        }
        self.valid[a] = v;
    }

    fn compute_alg(&mut self, a: usize) -> R<()> {
        let m = self.m;
        let v = self.expr(&m.algebraic[a].value)?;
        self.b.def_var(self.avar[a], v);
        self.set_valid(a, true);
        Ok(())
    }

    /// Compute the algebraic values `e` reads that are not valid (and what they need).
    fn ensure_expr(&mut self, e: &Expr) -> R<()> {
        let mut vars = Vec::new();
        e.vars(&mut vars);
        let mut todo = Vec::new();
        let mut stack = Vec::new();
        for v in vars {
            if let Some(a) = self.an.alg(v.index())
                && !self.valid[a]
                && !self.mark[a]
            {
                self.mark[a] = true;
                stack.push(a as u32);
            }
        }
        while let Some(a) = stack.pop() {
            todo.push(a);
            for &d in &self.an.alg_reads[a as usize] {
                if !self.valid[d as usize] && !self.mark[d as usize] {
                    self.mark[d as usize] = true;
                    stack.push(d);
                }
            }
        }
        todo.sort_unstable();
        for &a in &todo {
            self.mark[a as usize] = false;
        }
        for a in todo {
            self.compute_alg(a as usize)?;
        }
        Ok(())
    }

    /// Compute the invalid members of a dependency-closed ascending list.
    fn ensure_list(&mut self, list: &[u32]) -> R<()> {
        for &a in list {
            if !self.valid[a as usize] {
                self.compute_alg(a as usize)?;
            }
        }
        Ok(())
    }

    fn ensure_all(&mut self) -> R<()> {
        for a in 0..self.valid.len() {
            if !self.valid[a] {
                self.compute_alg(a)?;
            }
        }
        Ok(())
    }

    /// State `s` got a new value: its dependents are stale.
    fn invalidate(&mut self, s: usize) {
        let an = self.an;
        for &a in &an.state_dependents[s] {
            if self.valid[a as usize] {
                self.set_valid(a as usize, false);
            }
        }
    }

    // ----- expressions ---------------------------------------------------------------

    /// Whether an `if` branch must be compiled as a branch: it draws (only the taken
    /// branch may draw) or calls a function (not worth computing when not taken).
    fn costly(e: &Expr) -> bool {
        match e {
            Expr::Const(_) | Expr::Var(_) => false,
            Expr::Uniform(..) | Expr::Normal(..) => true,
            Expr::Neg(a) | Expr::Not(a) => Self::costly(a),
            Expr::Bin(BinOp::Pow, a, b) => {
                !matches!(**b, Expr::Const(c) if c == 2.0) || Self::costly(a)
            }
            Expr::Bin(_, a, b) => Self::costly(a) || Self::costly(b),
            Expr::If(c, a, b) => Self::costly(c) || Self::costly(a) || Self::costly(b),
            Expr::Call(f, args) => {
                shims::math_symbol(*f).is_some() || args.iter().any(Self::costly)
            }
        }
    }

    pub fn expr(&mut self, e: &Expr) -> R<Value> {
        Ok(match e {
            Expr::Const(v) => self.f(*v),
            Expr::Var(v) => self.read(v.index())?,
            Expr::Neg(a) => {
                let x = self.expr(a)?;
                self.b.ins().fneg(x)
            }
            Expr::Not(_)
            | Expr::Bin(
                BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::And
                | BinOp::Or,
                _,
                _,
            ) => {
                let c = self.cond(e)?;
                self.bool_f64(c)
            }
            Expr::Bin(BinOp::Pow, x, y) if matches!(**y, Expr::Const(c) if c == 2.0) => {
                let x = self.expr(x)?;
                self.b.ins().fmul(x, x)
            }
            Expr::Bin(op, x, y) => {
                let x = self.expr(x)?;
                let y = self.expr(y)?;
                match op {
                    BinOp::Add => self.b.ins().fadd(x, y),
                    BinOp::Sub => self.b.ins().fsub(x, y),
                    BinOp::Mul => self.b.ins().fmul(x, y),
                    BinOp::Div => self.b.ins().fdiv(x, y),
                    _ => self.pure_call(Func::Pow, x, Some(y))?,
                }
            }
            Expr::If(c, x, y) => {
                if Self::costly(x) || Self::costly(y) {
                    self.if_branch(c, x, y)?
                } else {
                    let c = self.cond(c)?;
                    let x = self.expr(x)?;
                    let y = self.expr(y)?;
                    self.b.ins().select(c, x, y)
                }
            }
            Expr::Call(f, args) => self.call(*f, args)?,
            Expr::Uniform(lo, hi) => self.draw(shims::UNIFORM, lo, hi)?,
            Expr::Normal(mean, sd) => self.draw(shims::NORMAL, mean, sd)?,
        })
    }

    /// An expression's truth (`!= 0`) as an `i8`.
    pub fn cond(&mut self, e: &Expr) -> R<Value> {
        Ok(match e {
            Expr::Bin(
                op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge),
                x,
                y,
            ) => {
                let cc = match op {
                    BinOp::Eq => FloatCC::Equal,
                    BinOp::Ne => FloatCC::NotEqual,
                    BinOp::Lt => FloatCC::LessThan,
                    BinOp::Le => FloatCC::LessThanOrEqual,
                    BinOp::Gt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                let x = self.expr(x)?;
                let y = self.expr(y)?;
                self.b.ins().fcmp(cc, x, y)
            }
            Expr::Bin(BinOp::And, x, y) => {
                let x = self.cond(x)?;
                let y = self.cond(y)?;
                self.b.ins().band(x, y)
            }
            Expr::Bin(BinOp::Or, x, y) => {
                let x = self.cond(x)?;
                let y = self.cond(y)?;
                self.b.ins().bor(x, y)
            }
            Expr::Not(x) => {
                let x = self.cond(x)?;
                self.b.ins().bxor_imm_u(x, 1)
            }
            Expr::Const(v) => self.b.ins().iconst(types::I8, i64::from(*v != 0.0)),
            _ => {
                let v = self.expr(e)?;
                let zero = self.f(0.0);
                self.b.ins().fcmp(FloatCC::NotEqual, v, zero)
            }
        })
    }

    fn if_branch(&mut self, c: &Expr, x: &Expr, y: &Expr) -> R<Value> {
        let c = self.cond(c)?;
        let then_b = self.b.create_block();
        let else_b = self.b.create_block();
        let merge = self.b.create_block();
        let out = self.b.append_block_param(merge, F64);
        self.b.ins().brif(c, then_b, &[], else_b, &[]);
        self.b.seal_block(then_b);
        self.b.seal_block(else_b);
        for (block, e) in [(then_b, x), (else_b, y)] {
            self.b.switch_to_block(block);
            self.push_scope();
            let v = self.expr(e)?;
            self.pop_scope();
            self.b.ins().jump(merge, &[BlockArg::Value(v)]);
        }
        self.b.seal_block(merge);
        self.b.switch_to_block(merge);
        Ok(out)
    }

    fn draw(&mut self, name: &'static str, a: &Expr, b: &Expr) -> R<Value> {
        let a = self.expr(a)?;
        let b = self.expr(b)?;
        let rng = self.rng;
        self.call1(name, &[rng, a, b])
    }

    fn pure_call(&mut self, f: Func, x: Value, y: Option<Value>) -> R<Value> {
        let key = (f, x, y);
        if let Some(v) = self.memo.get(&key) {
            return Ok(*v);
        }
        let (name, _) = shims::math_symbol(f).ok_or_else(|| internal("not a call"))?;
        let v = match y {
            Some(y) => self.call1(name, &[x, y])?,
            None => self.call1(name, &[x])?,
        };
        self.memo_insert(key, v);
        Ok(v)
    }

    fn min(&mut self, a: Value, b: Value) -> Value {
        let c = self.b.ins().fcmp(FloatCC::LessThan, b, a);
        self.b.ins().select(c, b, a)
    }

    fn max(&mut self, a: Value, b: Value) -> Value {
        let c = self.b.ins().fcmp(FloatCC::GreaterThan, b, a);
        self.b.ins().select(c, b, a)
    }

    fn call(&mut self, f: Func, args: &[Expr]) -> R<Value> {
        let mut v = Vec::with_capacity(args.len());
        for a in args {
            v.push(self.expr(a)?);
        }
        if v.len() != super::analysis::arity(f) {
            return Err(internal("wrong number of arguments"));
        }
        Ok(match f {
            Func::Min => self.min(v[0], v[1]),
            Func::Max => self.max(v[0], v[1]),
            Func::Clamp => {
                let t = self.max(v[0], v[1]);
                self.min(t, v[2])
            }
            Func::Abs => self.b.ins().fabs(v[0]),
            Func::Floor => self.b.ins().floor(v[0]),
            Func::Ceil => self.b.ins().ceil(v[0]),
            Func::Sqrt => self.b.ins().sqrt(v[0]),
            Func::Sign => {
                let x = v[0];
                let zero = self.f(0.0);
                let gt = self.b.ins().fcmp(FloatCC::GreaterThan, x, zero);
                let lt = self.b.ins().fcmp(FloatCC::LessThan, x, zero);
                let z = self.b.ins().fmul(x, zero);
                let m1 = self.f(-1.0);
                let p1 = self.f(1.0);
                let s = self.b.ins().select(lt, m1, z);
                self.b.ins().select(gt, p1, s)
            }
            _ => self.pure_call(f, v[0], v.get(1).copied())?,
        })
    }

    // ----- assignments and events ------------------------------------------------------

    fn assign(&mut self, list: &[Assignment]) -> R<()> {
        for a in list {
            self.ensure_expr(&a.value)?;
            let v = self.expr(&a.value)?;
            let s = self
                .an
                .state(a.var.index())
                .ok_or_else(|| internal("assignment to a non-state"))?;
            let sv = self
                .svar
                .as_ref()
                .ok_or_else(|| internal("no state variables"))?[s];
            self.b.def_var(sv, v);
            self.invalidate(s);
        }
        Ok(())
    }

    fn event(&mut self, ev: &EventDef) -> R<()> {
        if ev.assigns.is_empty() {
            return Ok(());
        }
        self.ensure_expr(&ev.cond)?;
        let c = self.cond(&ev.cond)?;
        let then_b = self.b.create_block();
        let merge = self.b.create_block();
        self.b.ins().brif(c, then_b, &[], merge, &[]);
        self.b.seal_block(then_b);
        self.b.switch_to_block(then_b);
        self.push_scope();
        let outer = self.log.replace(Vec::new());
        self.assign(&ev.assigns)?;
        let log = std::mem::replace(&mut self.log, outer).unwrap_or_default();
        self.pop_scope();
        self.b.ins().jump(merge, &[]);
        self.b.seal_block(merge);
        self.b.switch_to_block(merge);
        // Valid after the merge: valid before the branch and at the end of it.
        let mut before: HashMap<u32, bool> = HashMap::new();
        for &(a, old) in log.iter().rev() {
            before.insert(a, old);
        }
        let mut touched: Vec<(u32, bool)> = before.into_iter().collect();
        touched.sort_unstable();
        for (a, old) in touched {
            let now = self.valid[a as usize];
            self.set_valid(a as usize, old && now);
        }
        Ok(())
    }

    // ----- the tick --------------------------------------------------------------------

    /// The derivatives of the continuous states at the current states (algebraic
    /// values valid).
    fn derivatives_here(&mut self) -> R<Vec<Value>> {
        let m = self.m;
        let an = self.an;
        let mut k = Vec::with_capacity(an.continuous.len());
        for &s in &an.continuous {
            if let StateUpdate::Der(e) = &m.states[s].update {
                k.push(self.expr(e)?);
            }
        }
        Ok(k)
    }

    /// The derivatives at continuous states `x` (a stage): algebraic values that depend
    /// on continuous states are computed anew; the others are valid already.
    fn derivatives_at(&mut self, x: Vec<Value>) -> R<Vec<Value>> {
        let m = self.m;
        let an = self.an;
        self.stage = Some(Stage {
            x,
            alg: HashMap::new(),
        });
        for &a in &an.der_needed {
            if an.alg_cont[a as usize] {
                let v = self.expr(&m.algebraic[a as usize].value)?;
                if let Some(st) = &mut self.stage {
                    st.alg.insert(a, v);
                }
            } else if !self.valid[a as usize] {
                return Err(internal("stage needs an invalid algebraic value"));
            }
        }
        let k = self.derivatives_here();
        self.stage = None;
        k
    }

    /// `x + h * k` element-wise.
    fn axpy(&mut self, x: &[Value], h: Value, k: &[Value]) -> Vec<Value> {
        x.iter()
            .zip(k)
            .map(|(&x, &k)| {
                let t = self.b.ins().fmul(h, k);
                self.b.ins().fadd(x, t)
            })
            .collect()
    }

    /// Advance the continuous states over one tick; `None` without continuous states.
    fn integrate(&mut self, exit: Block) -> R<Option<Vec<Value>>> {
        let an = self.an;
        if an.continuous.is_empty() {
            return Ok(None);
        }
        let sv = self
            .svar
            .clone()
            .ok_or_else(|| internal("no state variables"))?;
        let x: Vec<Value> = an
            .continuous
            .iter()
            .map(|&s| self.b.use_var(sv[s]))
            .collect();
        let k1 = self.derivatives_here()?;
        let dt = self.m.dt;
        Ok(Some(match self.m.integrator {
            Integrator::Euler => {
                let h = self.f(dt);
                self.axpy(&x, h, &k1)
            }
            Integrator::Rk4 => {
                let h2 = self.f(dt * 0.5);
                let hf = self.f(dt);
                let y = self.axpy(&x, h2, &k1);
                let k2 = self.derivatives_at(y)?;
                let y = self.axpy(&x, h2, &k2);
                let k3 = self.derivatives_at(y)?;
                let y = self.axpy(&x, hf, &k3);
                let k4 = self.derivatives_at(y)?;
                let h6 = self.f(dt / 6.0);
                let two = self.f(2.0);
                let mut out = Vec::with_capacity(x.len());
                for i in 0..x.len() {
                    let t2 = self.b.ins().fmul(two, k2[i]);
                    let s = self.b.ins().fadd(k1[i], t2);
                    let t3 = self.b.ins().fmul(two, k3[i]);
                    let s = self.b.ins().fadd(s, t3);
                    let s = self.b.ins().fadd(s, k4[i]);
                    let t = self.b.ins().fmul(h6, s);
                    out.push(self.b.ins().fadd(x[i], t));
                }
                out
            }
            Integrator::Rk45 {
                rtol,
                atol,
                max_steps,
            } => self.rk45(x, k1, rtol, atol, max_steps, exit)?,
        }))
    }

    /// Dormand-Prince 5(4) over one tick (docs/language.md, "Numerics"), as a loop of
    /// internal steps; `exit` receives status 2 when `max_steps` attempts are used up.
    fn rk45(
        &mut self,
        x0: Vec<Value>,
        k10: Vec<Value>,
        rtol: f64,
        atol: f64,
        max_steps: u64,
        exit: Block,
    ) -> R<Vec<Value>> {
        let n = x0.len();
        let hvar = self.h.ok_or_else(|| internal("no h variable"))?;
        let decl = |fx: &mut Self, init: &[Value]| -> Vec<Variable> {
            init.iter()
                .map(|&v| {
                    let var = fx.b.declare_var(F64);
                    fx.b.def_var(var, v);
                    var
                })
                .collect()
        };
        let xv = decl(self, &x0);
        let kv = decl(self, &k10);
        let h0 = self.b.use_var(hvar);
        let dtv = self.f(self.m.dt);
        let [hv, leftv] = [h0, dtv].map(|v| {
            let var = self.b.declare_var(F64);
            self.b.def_var(var, v);
            var
        });
        let attv = self.b.declare_var(types::I64);
        let zero_i = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(attv, zero_i);

        let header = self.b.create_block();
        let attempt = self.b.create_block();
        let rejected = self.b.create_block();
        let accepted = self.b.create_block();
        let more = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        self.push_scope();
        let att = self.b.use_var(attv);
        let out_of_steps =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, att, max_steps as i64);
        let status = self.b.ins().iconst(types::I32, 2);
        self.b
            .ins()
            .brif(out_of_steps, exit, &[BlockArg::Value(status)], attempt, &[]);
        self.b.seal_block(attempt);
        self.b.switch_to_block(attempt);
        let att1 = self.b.ins().iadd_imm_u(att, 1);
        self.b.def_var(attv, att1);
        let h = self.b.use_var(hv);
        let left = self.b.use_var(leftv);
        let last = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, h, left);
        let hh = self.b.ins().select(last, left, h);
        let x: Vec<Value> = xv.iter().map(|&v| self.b.use_var(v)).collect();
        let mut k: Vec<Vec<Value>> = vec![kv.iter().map(|&v| self.b.use_var(v)).collect()];
        let mut x5 = Vec::new();
        for (s, row) in DOPRI_A.iter().enumerate() {
            let mut y = Vec::with_capacity(n);
            for i in 0..n {
                let mut acc: Option<Value> = None;
                for (j, &a) in row.iter().enumerate().take(s + 1) {
                    if a != 0.0 {
                        let c = self.f(a);
                        let t = self.b.ins().fmul(c, k[j][i]);
                        acc = Some(match acc {
                            None => t,
                            Some(p) => self.b.ins().fadd(p, t),
                        });
                    }
                }
                let acc = match acc {
                    Some(v) => v,
                    None => self.f(0.0),
                };
                let t = self.b.ins().fmul(hh, acc);
                y.push(self.b.ins().fadd(x[i], t));
            }
            let ks = self.derivatives_at(y.clone())?;
            k.push(ks);
            x5 = y;
        }
        // The error norm.
        let mut sum = self.f(0.0);
        for i in 0..n {
            let mut acc: Option<Value> = None;
            for (j, &e) in DOPRI_E.iter().enumerate() {
                if e != 0.0 {
                    let c = self.f(e);
                    let t = self.b.ins().fmul(c, k[j][i]);
                    acc = Some(match acc {
                        None => t,
                        Some(p) => self.b.ins().fadd(p, t),
                    });
                }
            }
            let acc = match acc {
                Some(v) => v,
                None => self.f(0.0),
            };
            let err = self.b.ins().fmul(hh, acc);
            let ax = self.b.ins().fabs(x[i]);
            let ax5 = self.b.ins().fabs(x5[i]);
            let mx = self.max(ax, ax5);
            let rt = self.f(rtol);
            let at = self.f(atol);
            let sc = self.b.ins().fmul(rt, mx);
            let sc = self.b.ins().fadd(at, sc);
            let q = self.b.ins().fdiv(err, sc);
            let q2 = self.b.ins().fmul(q, q);
            sum = self.b.ins().fadd(sum, q2);
        }
        let nf = self.f(n as f64);
        let mean = self.b.ins().fdiv(sum, nf);
        let norm = self.b.ins().sqrt(mean);
        // fac = 5 for a zero norm, else min(5, max(0.2, 0.9 * pow(norm, -0.2))).
        let m02 = self.f(-0.2);
        let p = self.call1(shims::POW, &[norm, m02])?;
        let c09 = self.f(0.9);
        let p = self.b.ins().fmul(c09, p);
        let c02 = self.f(0.2);
        let p = self.max(c02, p);
        let c5 = self.f(5.0);
        let p = self.min(c5, p);
        let zero = self.f(0.0);
        let is_zero = self.b.ins().fcmp(FloatCC::Equal, norm, zero);
        let fac = self.b.ins().select(is_zero, c5, p);
        let hfac = self.b.ins().fmul(hh, fac);
        let one = self.f(1.0);
        let reject = self.b.ins().fcmp(FloatCC::GreaterThan, norm, one);
        self.b.ins().brif(reject, rejected, &[], accepted, &[]);
        self.b.seal_block(rejected);
        self.b.seal_block(accepted);

        self.b.switch_to_block(rejected);
        self.b.def_var(hv, hfac);
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(accepted);
        for (v, &y) in xv.iter().zip(&x5) {
            self.b.def_var(*v, y);
        }
        let left1 = self.b.ins().fsub(left, hh);
        self.b.def_var(leftv, left1);
        self.b.ins().brif(last, done, &[], more, &[]);
        self.b.seal_block(more);
        self.b.seal_block(done);

        self.b.switch_to_block(more);
        self.b.def_var(hv, hfac);
        let k7 = k.last().cloned().unwrap_or_default();
        for (v, &kk) in kv.iter().zip(&k7) {
            self.b.def_var(*v, kk);
        }
        self.b.ins().jump(header, &[]);
        self.b.seal_block(header);

        self.b.switch_to_block(done);
        self.pop_scope();
        let hnew = self.max(h, hfac);
        self.b.def_var(hvar, hnew);
        Ok(x5)
    }

    /// One tick (docs/language.md, "The tick"); a non-finite state jumps to `exit`
    /// with status 1.
    pub fn tick(&mut self, exit: Block) -> R<()> {
        let m = self.m;
        let an = self.an;
        self.ensure_list(&an.tick_start)?;
        let mut nexts = Vec::new();
        for (k, s) in m.states.iter().enumerate() {
            if let StateUpdate::Next(e) = &s.update {
                nexts.push((k, self.expr(e)?));
            }
        }
        let x1 = self.integrate(exit)?;
        let sv = self
            .svar
            .clone()
            .ok_or_else(|| internal("no state variables"))?;
        // `prev_states` goes straight to memory: as a variable it would be carried
        // around the tick loop (and spilled) although only the last tick's is kept.
        let prev_at = self.plan.info.layout.prev_states;
        for (k, &v) in sv.iter().enumerate() {
            let x = self.b.use_var(v);
            self.store(prev_at + k, x);
        }
        if let Some(x1) = x1 {
            for (c, &s) in an.continuous.iter().enumerate() {
                self.b.def_var(sv[s], x1[c]);
                self.invalidate(s);
            }
        }
        for (s, v) in nexts {
            self.b.def_var(sv[s], v);
            self.invalidate(s);
        }
        for ev in &m.events {
            self.event(ev)?;
        }
        let tv = self.ticks.ok_or_else(|| internal("no tick count"))?;
        let t = self.b.use_var(tv);
        let one = self.f(1.0);
        let t1 = self.b.ins().fadd(t, one);
        self.b.def_var(tv, t1);
        // Non-finite check: x - x is 0 for finite x and NaN otherwise.
        let mut acc: Option<Value> = None;
        for &v in &sv {
            let x = self.b.use_var(v);
            let d = self.b.ins().fsub(x, x);
            acc = Some(match acc {
                None => d,
                Some(a) => self.b.ins().fadd(a, d),
            });
        }
        if let Some(acc) = acc {
            let bad = self.b.ins().fcmp(FloatCC::Unordered, acc, acc);
            let ok = self.b.create_block();
            let status = self.b.ins().iconst(types::I32, 1);
            self.b
                .ins()
                .brif(bad, exit, &[BlockArg::Value(status)], ok, &[]);
            self.b.seal_block(ok);
            self.b.switch_to_block(ok);
        }
        Ok(())
    }

    /// Validity at a loop header: what `keep` holds plus what the loop cannot change.
    fn loop_header_validity(&mut self, keep: &[u32]) {
        let mut in_keep = vec![false; self.valid.len()];
        for &a in keep {
            in_keep[a as usize] = true;
        }
        for (a, kept) in in_keep.into_iter().enumerate() {
            if self.valid[a] && !kept && self.an.alg_variant[a] {
                self.set_valid(a, false);
            }
        }
    }

    /// The ticks of one step.
    fn ticks(&mut self, exit: Block) -> R<()> {
        let m = self.m;
        let an = self.an;
        match &m.decide {
            Decide::Every { ticks: 0 } => {}
            Decide::Every { ticks: 1 } => self.tick(exit)?,
            Decide::Every { ticks } => {
                let keep = an.tick_start.clone();
                self.ensure_list(&keep)?;
                self.loop_header_validity(&keep);
                let cnt = self.b.declare_var(types::I64);
                let z = self.b.ins().iconst(types::I64, 0);
                self.b.def_var(cnt, z);
                let header = self.b.create_block();
                let after = self.b.create_block();
                self.b.ins().jump(header, &[]);
                self.b.switch_to_block(header);
                self.push_scope();
                self.tick(exit)?;
                self.ensure_list(&keep)?;
                let c = self.b.use_var(cnt);
                let c1 = self.b.ins().iadd_imm_u(c, 1);
                self.b.def_var(cnt, c1);
                let again = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedLessThan, c1, *ticks as i64);
                self.b.ins().brif(again, header, &[], after, &[]);
                self.b.seal_block(header);
                self.b.seal_block(after);
                self.b.switch_to_block(after);
                self.pop_scope();
            }
            Decide::When(cond) => {
                let mut keep = an.tick_start.clone();
                keep.extend(self.closure_of(cond));
                keep.sort_unstable();
                keep.dedup();
                self.ensure_list(&keep)?;
                self.loop_header_validity(&keep);
                let cnt = self.b.declare_var(types::I64);
                let z = self.b.ins().iconst(types::I64, 0);
                self.b.def_var(cnt, z);
                let header = self.b.create_block();
                let after = self.b.create_block();
                self.b.ins().jump(header, &[]);
                self.b.switch_to_block(header);
                self.push_scope();
                // Checked before each tick: no tick at all when the condition holds
                // already (docs/language.md, `decide when`).
                self.ensure_list(&keep)?;
                let holds = self.cond(cond)?;
                // `after` is reached from here, not from the end of the body: what is
                // valid there is what is valid now.
                let at_header = self.valid.clone();
                let not_yet = self.b.create_block();
                self.b.ins().brif(holds, after, &[], not_yet, &[]);
                self.b.seal_block(not_yet);
                self.b.switch_to_block(not_yet);
                if let Some(t) = self.plan.truncate_ticks {
                    let tv = self.ticks.ok_or_else(|| internal("no tick count"))?;
                    let ticks = self.b.use_var(tv);
                    let limit = self.f(t as f64);
                    let reached = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, ticks, limit);
                    let go_on = self.b.create_block();
                    self.b.ins().brif(reached, after, &[], go_on, &[]);
                    self.b.seal_block(go_on);
                    self.b.switch_to_block(go_on);
                }
                let c = self.b.use_var(cnt);
                let over = self.b.ins().icmp_imm_u(
                    IntCC::UnsignedGreaterThanOrEqual,
                    c,
                    MAX_TICKS_PER_STEP as i64,
                );
                let status = self.b.ins().iconst(types::I32, 3);
                let body = self.b.create_block();
                self.b
                    .ins()
                    .brif(over, exit, &[BlockArg::Value(status)], body, &[]);
                self.b.seal_block(body);
                self.b.switch_to_block(body);
                self.tick(exit)?;
                let c1 = self.b.ins().iadd_imm_u(c, 1);
                self.b.def_var(cnt, c1);
                self.ensure_list(&keep)?;
                self.b.ins().jump(header, &[]);
                for (a, v) in at_header.into_iter().enumerate() {
                    if self.valid[a] != v {
                        self.set_valid(a, v);
                    }
                }
                self.b.seal_block(header);
                self.b.seal_block(after);
                self.b.switch_to_block(after);
                self.pop_scope();
            }
        }
        Ok(())
    }

    fn closure_of(&self, e: &Expr) -> Vec<u32> {
        let mut vars = Vec::new();
        e.vars(&mut vars);
        let mut mark = vec![false; self.valid.len()];
        let mut stack: Vec<u32> = Vec::new();
        for v in vars {
            if let Some(a) = self.an.alg(v.index())
                && !mark[a]
            {
                mark[a] = true;
                stack.push(a as u32);
            }
        }
        let mut out = Vec::new();
        while let Some(a) = stack.pop() {
            out.push(a);
            for &d in &self.an.alg_reads[a as usize] {
                if !mark[d as usize] {
                    mark[d as usize] = true;
                    stack.push(d);
                }
            }
        }
        out
    }

    // ----- outputs and whole functions -------------------------------------------------

    /// Algebraic values (stored), observations (with noise) and masks.
    fn outputs(&mut self) -> R<()> {
        let m = self.m;
        let plan = self.plan;
        let l = &plan.info.layout;
        self.ensure_all()?;
        for (a, def) in m.algebraic.iter().enumerate() {
            let v = self.b.use_var(self.avar[a]);
            self.store(def.var.index(), v);
        }
        for (i, o) in m.observations.iter().enumerate() {
            let mut v = self.expr(&o.value)?;
            if let Some(noise) = &o.noise {
                let n = self.expr(noise)?;
                v = self.b.ins().fadd(v, n);
            }
            let scale = plan.obs_scale[i];
            if scale != 1.0 {
                let s = self.f(scale);
                v = self.b.ins().fdiv(v, s);
            }
            self.store(l.obs + i, v);
        }
        for (a, slot) in m.actions.iter().zip(&plan.mask_slots) {
            if let (ActionSpace::Choice { masks, .. }, Some(slot)) = (&a.space, slot) {
                for (k, mask) in masks.iter().enumerate() {
                    let c = self.cond(mask)?;
                    let v = self.bool_f64(c);
                    self.store(slot + k, v);
                }
            }
        }
        Ok(())
    }

    /// The shared exit of `step` and `tick`: store what may have changed and return the
    /// status (the block's parameter).
    fn exit_block(&mut self, exit: Block, states: &[bool], ticked: bool) -> R<()> {
        let m = self.m;
        let l = &self.plan.info.layout;
        self.b.seal_block(exit);
        self.b.switch_to_block(exit);
        let status = self.b.block_params(exit)[0];
        let sv = self
            .svar
            .clone()
            .ok_or_else(|| internal("no state variables"))?;
        for (k, s) in m.states.iter().enumerate() {
            if states[k] {
                let v = self.b.use_var(sv[k]);
                self.store(s.var.index(), v);
            }
        }
        if ticked {
            let tv = self.ticks.ok_or_else(|| internal("no tick count"))?;
            let t = self.b.use_var(tv);
            self.store(l.ticks, t);
            let dt = self.f(m.dt);
            let time = self.b.ins().fmul(t, dt);
            self.store(l.time, time);
            if let Some(hv) = self.h {
                let h = self.b.use_var(hv);
                self.store(self.plan.h, h);
            }
        }
        self.b.ins().return_(&[status]);
        Ok(())
    }

    fn new_exit(&mut self) -> Block {
        let exit = self.b.create_block();
        self.b.append_block_param(exit, types::I32);
        exit
    }

    fn jump_exit_ok(&mut self, exit: Block) {
        let ok = self.b.ins().iconst(types::I32, 0);
        self.b.ins().jump(exit, &[BlockArg::Value(ok)]);
    }

    /// The algebraic values that read only parameters, states and each other hold in
    /// memory the values of the current states when `step` or `tick` starts (reset, step,
    /// observe and tick leave them so): take them from there instead of computing them
    /// again (CartPole's `sin(theta)` and `cos(theta)`, BGLP's margins).
    fn stable_from_memory(&mut self) {
        let m = self.m;
        for (a, def) in m.algebraic.iter().enumerate() {
            if self.an.alg_stable[a] {
                let x = self.entry_load(def.var.index());
                self.b.def_var(self.avar[a], x);
                self.set_valid(a, true);
            }
        }
    }

    /// `tick(mem, rng) -> status`.
    pub fn emit_tick(mut self) -> R<()> {
        self.state_vars();
        self.stable_from_memory();
        let exit = self.new_exit();
        self.tick(exit)?;
        // What the next call takes from memory (see `stable_from_memory`).
        let m = self.m;
        for (a, def) in m.algebraic.iter().enumerate() {
            if self.an.alg_stable[a] {
                if !self.valid[a] {
                    self.ensure_list(&[a as u32])?;
                }
                let v = self.b.use_var(self.avar[a]);
                self.store(def.var.index(), v);
            }
        }
        self.jump_exit_ok(exit);
        let changes = self.an.tick_changes.clone();
        self.exit_block(exit, &changes, true)?;
        self.finish();
        Ok(())
    }

    /// `step(mem, rng) -> status`: `on decide`, the ticks, the outputs.
    pub fn emit_step(mut self) -> R<()> {
        let m = self.m;
        let l = &self.plan.info.layout;
        let ticked = !matches!(m.decide, Decide::Every { ticks: 0 });
        self.state_vars();
        self.stable_from_memory();
        let exit = self.new_exit();
        self.assign(&m.on_decide)?;
        self.ticks(exit)?;
        let steps = self.entry_load(l.steps);
        let one = self.f(1.0);
        let steps1 = self.b.ins().fadd(steps, one);
        self.store(l.steps, steps1);
        self.outputs()?;
        for (i, ag) in m.agents.iter().enumerate() {
            let r = match &ag.reward {
                Some(e) => self.expr(e)?,
                None => self.f(0.0),
            };
            self.store(l.rewards + i, r);
        }
        let term = match &m.terminate {
            Some(c) => {
                let c = self.cond(c)?;
                self.bool_f64(c)
            }
            None => self.f(0.0),
        };
        self.store(l.terminated, term);
        let trunc = match (&m.truncate, self.plan.truncate_ticks) {
            (Some(Truncate::Steps(n)), _) => {
                let n = self.f(*n as f64);
                let c = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, steps1, n);
                self.bool_f64(c)
            }
            (Some(Truncate::Time(_)), Some(t)) => {
                let tv = self.ticks.ok_or_else(|| internal("no tick count"))?;
                let ticks = self.b.use_var(tv);
                let t = self.f(t as f64);
                let c = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, ticks, t);
                self.bool_f64(c)
            }
            _ => self.f(0.0),
        };
        self.store(l.truncated, trunc);
        self.jump_exit_ok(exit);
        let changes = self.an.step_changes.clone();
        self.exit_block(exit, &changes, ticked)?;
        self.finish();
        Ok(())
    }

    /// `observe(mem, rng)`.
    pub fn emit_observe(mut self) -> R<()> {
        self.outputs()?;
        self.b.ins().return_(&[]);
        self.finish();
        Ok(())
    }

    /// `reset(mem, rng, overrides)`.
    pub fn emit_reset(mut self) -> R<()> {
        let m = self.m;
        let plan = self.plan;
        let l = &plan.info.layout;
        let ov = *self
            .params
            .get(2)
            .ok_or_else(|| internal("reset takes three parameters"))?;
        let zero = self.f(0.0);
        for slot in [l.time, l.ticks, l.steps] {
            self.store(slot, zero);
        }
        let dt = self.f(m.dt);
        self.store(plan.h, dt);
        let defs = m
            .params
            .iter()
            .map(|p| (p.var, &p.value))
            .chain(m.states.iter().map(|s| (s.var, &s.init)));
        for (var, e) in defs {
            let v = self.expr(e)?;
            let o = self.load(ov, var.index());
            let unset = self.b.ins().fcmp(FloatCC::Unordered, o, o);
            let x = self.b.ins().select(unset, v, o);
            self.fixed[var.index()] = Some(x);
            self.store(var.index(), x);
        }
        for (k, s) in m.states.iter().enumerate() {
            let x = self.read(s.var.index())?;
            self.store(l.prev_states + k, x);
        }
        self.outputs()?;
        for i in 0..m.agents.len() {
            self.store(l.rewards + i, zero);
        }
        self.store(l.terminated, zero);
        self.store(l.truncated, zero);
        self.b.ins().return_(&[]);
        self.finish();
        Ok(())
    }

    /// `batch(mems, rngs, status, n)`: `step` on every instance whose status is not SKIP.
    pub fn emit_batch(mut self, rng_size: usize) -> R<()> {
        let [mems, rngs, status, n] = match self.params[..] {
            [a, b, c, d] => [a, b, c, d],
            _ => return Err(internal("batch takes four parameters")),
        };
        let step = self
            .syms
            .step
            .ok_or_else(|| internal("step not declared"))?;
        let step_ref = self.module.declare_func_in_func(step, self.b.func);
        let stride = (self.plan.info.layout.slots * 8) as i64;
        let ptr = self.module.target_config().pointer_type();
        let i = self.b.declare_var(types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(i, zero);
        let header = self.b.create_block();
        let body = self.b.create_block();
        let run = self.b.create_block();
        let next = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(header);
        let iv = self.b.use_var(i);
        let go = self.b.ins().icmp(IntCC::UnsignedLessThan, iv, n);
        self.b.ins().brif(go, body, &[], done, &[]);
        self.b.seal_block(body);

        self.b.switch_to_block(body);
        let iv = self.b.use_var(i);
        let iv_p = if ptr == types::I64 {
            iv
        } else {
            self.b.ins().ireduce(ptr, iv)
        };
        let off = self.b.ins().imul_imm_u(iv_p, 4);
        let st_at = self.b.ins().iadd(status, off);
        let st = self.b.ins().load(types::I32, Self::flags(), st_at, 0);
        let skip = self
            .b
            .ins()
            .icmp_imm_u(IntCC::Equal, st, i64::from(plant_runtime::SKIP));
        self.b.ins().brif(skip, next, &[], run, &[]);
        self.b.seal_block(run);

        self.b.switch_to_block(run);
        let moff = self.b.ins().imul_imm_u(iv_p, stride);
        let mem_i = self.b.ins().iadd(mems, moff);
        let roff = self.b.ins().imul_imm_u(iv_p, rng_size as i64);
        let rng_i = self.b.ins().iadd(rngs, roff);
        let call = self.b.ins().call(step_ref, &[mem_i, rng_i]);
        let r = self
            .b
            .inst_results(call)
            .first()
            .copied()
            .ok_or_else(|| internal("step without result"))?;
        self.b.ins().store(Self::flags(), r, st_at, 0);
        self.b.ins().jump(next, &[]);
        self.b.seal_block(next);

        self.b.switch_to_block(next);
        let iv = self.b.use_var(i);
        let i1 = self.b.ins().iadd_imm_u(iv, 1);
        self.b.def_var(i, i1);
        self.b.ins().jump(header, &[]);
        self.b.seal_block(header);
        self.b.seal_block(done);

        self.b.switch_to_block(done);
        self.b.ins().return_(&[]);
        self.finish();
        Ok(())
    }
}
