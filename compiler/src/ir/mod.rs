//! The flat, ordered model: what the code generator and the interpreter consume.
//!
//! A [`Model`] is one plant with every instance flattened away: a list of scalar
//! variables (parameters, continuous and discrete states, actions, algebraic values;
//! array elements are separate variables), the parameter and algebraic assignments in
//! evaluation order, state equations, events, and the RL surface (actions, observations,
//! agents with rewards, termination, truncation). All numbers are in SI; booleans are
//! `0.0`/`1.0` at run time. Every item carries the source location it came from.
//!
//! Invariant: an [`Expr`] only references variables that are computed before it in the
//! tick order (parameters before everything; algebraic values in `algebraic` order).

use std::fmt::{self, Write};

use std::sync::Arc;

use serde::Serialize;

use crate::syntax::ast::Span;

/// Index of a variable in [`Model::vars`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
pub struct VarId(pub u32);

impl VarId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where an item was written.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize)]
pub struct Source {
    /// Shared: every variable of an instance points into the same file.
    pub file: Arc<str>,
    pub start: u32,
    pub end: u32,
}

impl Source {
    pub fn new(file: impl Into<Arc<str>>, span: Span) -> Source {
        Source {
            file: file.into(),
            start: span.start,
            end: span.end,
        }
    }
    pub fn span(&self) -> Span {
        Span {
            start: self.start,
            end: self.end,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarKind {
    Param,
    /// Continuous state (`der`).
    State,
    /// Discrete state (`next`, or changed only by events).
    DiscreteState,
    /// An action: set by the agent at each environment step.
    Action,
    /// An in port, out port or definition, computed from the others each evaluation.
    Algebraic,
    /// An external input (only in the standalone lowering of a node for diagnostics).
    Input,
}

/// A variable's unit: the SI dimension and the unit the user declared for it.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct UnitInfo {
    /// The dimension in SI spelling, e.g. `m^3/s`; `1` for dimensionless; `bool`.
    pub si: String,
    /// The unit as declared, e.g. `L/s` (equal to `si` when none was written).
    pub display: String,
    /// Multiply an SI value by `1/scale` to express it in `display`.
    pub scale: f64,
}

#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct Var {
    /// Flat name: `tank.h`, `column.x[3]`, `speed`.
    pub name: String,
    pub kind: VarKind,
    pub unit: UnitInfo,
    pub is_bool: bool,
    pub source: Source,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

/// The built-in functions, as the code generator must provide them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    Min,
    Max,
    Clamp,
    Abs,
    Floor,
    Ceil,
    Round,
    Sign,
    Sqrt,
    Exp,
    Log,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Pow,
    Atan2,
}

impl Func {
    pub fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "clamp" => Func::Clamp,
            "abs" => Func::Abs,
            "floor" => Func::Floor,
            "ceil" => Func::Ceil,
            "round" => Func::Round,
            "sign" => Func::Sign,
            "sqrt" => Func::Sqrt,
            "exp" => Func::Exp,
            "log" => Func::Log,
            "log10" => Func::Log10,
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "asin" => Func::Asin,
            "acos" => Func::Acos,
            "atan" => Func::Atan,
            "sinh" => Func::Sinh,
            "cosh" => Func::Cosh,
            "tanh" => Func::Tanh,
            "pow" => Func::Pow,
            "atan2" => Func::Atan2,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Func::Min => "min",
            Func::Max => "max",
            Func::Clamp => "clamp",
            Func::Abs => "abs",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Round => "round",
            Func::Sign => "sign",
            Func::Sqrt => "sqrt",
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Log10 => "log10",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Asin => "asin",
            Func::Acos => "acos",
            Func::Atan => "atan",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Tanh => "tanh",
            Func::Pow => "pow",
            Func::Atan2 => "atan2",
        }
    }
}

#[derive(Clone, PartialEq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    Const(f64),
    Var(VarId),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    /// A uniform draw in `[lo, hi)` from the instance's generator.
    Uniform(Box<Expr>, Box<Expr>),
    /// A normal draw with mean and standard deviation.
    Normal(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Every variable the expression reads.
    pub fn vars(&self, out: &mut Vec<VarId>) {
        match self {
            Expr::Const(_) => {}
            Expr::Var(v) => out.push(*v),
            Expr::Neg(a) | Expr::Not(a) => a.vars(out),
            Expr::Bin(_, a, b) | Expr::Uniform(a, b) | Expr::Normal(a, b) => {
                a.vars(out);
                b.vars(out);
            }
            Expr::If(c, a, b) => {
                c.vars(out);
                a.vars(out);
                b.vars(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.vars(out)),
        }
    }

    /// The constant value, when the expression reads no variable and draws nothing.
    pub fn constant(&self) -> Option<f64> {
        match self {
            Expr::Const(v) => Some(*v),
            Expr::Neg(a) => a.constant().map(|v| -v),
            Expr::Bin(op, a, b) => {
                let (x, y) = (a.constant()?, b.constant()?);
                Some(match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    BinOp::Pow => x.powf(y),
                    _ => return None,
                })
            }
            _ => None,
        }
    }
}

/// An assignment `var = value`, evaluated in order.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct Assignment {
    pub var: VarId,
    pub value: Expr,
    pub source: Source,
}

#[derive(Clone, PartialEq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StateUpdate {
    /// Continuous: the derivative, in SI units per second.
    Der(Expr),
    /// Discrete: the value after each tick.
    Next(Expr),
    /// Changed only by events (or never).
    Held,
}

#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct StateDef {
    pub var: VarId,
    /// The initial value (evaluated at reset, after parameters; may draw).
    pub init: Expr,
    pub update: StateUpdate,
}

/// `when cond { assignments }`, run after each tick in declaration order.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct EventDef {
    pub cond: Expr,
    pub assigns: Vec<Assignment>,
    pub source: Source,
}

#[derive(Clone, PartialEq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionSpace {
    /// A continuous value in `[lo, hi]` (SI). With `normalized`, the agent gives a value
    /// in `[0, 1]` mapped linearly onto the bounds.
    Box {
        lo: f64,
        hi: f64,
        normalized: bool,
    },
    Bool,
    /// One of `n` choices `0..n`, each allowed while its mask (if any) holds.
    Choice {
        n: u32,
        masks: Vec<Expr>,
    },
}

#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct ActionDef {
    pub name: String,
    pub var: VarId,
    pub space: ActionSpace,
    pub agent: usize,
    pub source: Source,
}

#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct ObsDef {
    pub name: String,
    pub value: Expr,
    pub unit: UnitInfo,
    /// Bounds in SI, when declared.
    pub bounds: Option<(f64, f64)>,
    /// Noise added at each observation (drawn from the instance's generator).
    pub noise: Option<Expr>,
    /// The agent that declared it; `None` for a plant-level observation in a plant with
    /// agents (seen by every agent).
    pub agent: Option<usize>,
    pub source: Source,
}

#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct AgentDef {
    pub name: String,
    pub actions: Vec<usize>,
    pub observations: Vec<usize>,
    pub reward: Option<Expr>,
}

#[derive(Clone, PartialEq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decide {
    /// Every `ticks` ticks (`decide every T`, or every tick when no rule is given).
    Every { ticks: u64 },
    /// Ticks until the condition holds, checked before each tick (none when it holds
    /// as the step starts).
    When(Expr),
}

#[derive(Clone, PartialEq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrator {
    Euler,
    Rk4,
    Rk45 {
        rtol: f64,
        atol: f64,
        max_steps: u64,
    },
}

#[derive(Clone, PartialEq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truncate {
    Steps(u64),
    /// Plant time in seconds.
    Time(f64),
}

#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct Model {
    pub name: String,
    pub source: Source,
    /// Tick length in seconds.
    pub dt: f64,
    pub decide: Decide,
    pub integrator: Integrator,
    pub vars: Vec<Var>,
    /// Parameters in evaluation order (each may read earlier ones and draw).
    pub params: Vec<Assignment>,
    pub states: Vec<StateDef>,
    /// Algebraic values in evaluation order.
    pub algebraic: Vec<Assignment>,
    pub actions: Vec<ActionDef>,
    pub observations: Vec<ObsDef>,
    /// The agents; a plant without `agent` blocks has one agent named `agent` and
    /// `agents_declared` false.
    pub agents: Vec<AgentDef>,
    pub agents_declared: bool,
    pub events: Vec<EventDef>,
    pub on_decide: Vec<Assignment>,
    pub terminate: Option<Expr>,
    pub truncate: Option<Truncate>,
}

impl Model {
    pub fn var(&self, v: VarId) -> &Var {
        &self.vars[v.index()]
    }

    /// A variable by flat name.
    pub fn find(&self, name: &str) -> Option<VarId> {
        self.vars
            .iter()
            .position(|v| v.name == name)
            .map(|i| VarId(i as u32))
    }

    /// The model as JSON (for tools).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Render an expression with variable names.
    pub fn expr_to_string(&self, e: &Expr) -> String {
        let mut s = String::new();
        self.write_expr(&mut s, e, 0);
        s
    }

    fn write_expr(&self, s: &mut String, e: &Expr, parent: u8) {
        let prec = |op: BinOp| match op {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div => 5,
            BinOp::Pow => 7,
        };
        match e {
            Expr::Const(v) => {
                let _ = write!(s, "{}", fmt_f64(*v));
            }
            Expr::Var(v) => s.push_str(&self.var(*v).name),
            Expr::Neg(a) => {
                s.push('-');
                self.write_expr(s, a, 6);
            }
            Expr::Not(a) => {
                s.push_str("not ");
                self.write_expr(s, a, 6);
            }
            Expr::Bin(op, a, b) => {
                let p = prec(*op);
                if p < parent {
                    s.push('(');
                }
                self.write_expr(s, a, p);
                let _ = write!(s, " {} ", op.symbol());
                self.write_expr(s, b, p + 1);
                if p < parent {
                    s.push(')');
                }
            }
            Expr::If(c, a, b) => {
                if parent > 0 {
                    s.push('(');
                }
                s.push_str("if ");
                self.write_expr(s, c, 0);
                s.push_str(" then ");
                self.write_expr(s, a, 0);
                s.push_str(" else ");
                self.write_expr(s, b, 0);
                if parent > 0 {
                    s.push(')');
                }
            }
            Expr::Call(f, args) => {
                s.push_str(f.name());
                self.write_args(s, args.iter());
            }
            Expr::Uniform(a, b) => {
                s.push_str("uniform");
                self.write_args(s, [a.as_ref(), b.as_ref()].into_iter());
            }
            Expr::Normal(a, b) => {
                s.push_str("normal");
                self.write_args(s, [a.as_ref(), b.as_ref()].into_iter());
            }
        }
    }

    fn write_args<'e>(&self, s: &mut String, args: impl Iterator<Item = &'e Expr>) {
        s.push('(');
        for (i, a) in args.enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            self.write_expr(s, a, 0);
        }
        s.push(')');
    }
}

/// Format an f64 so that it reads back to the same value.
pub fn fmt_f64(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:?}")
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "model {} ({})", self.name, self.source.file)?;
        let decide = match &self.decide {
            Decide::Every { ticks } => format!("every {ticks} ticks"),
            Decide::When(e) => format!("when {}", self.expr_to_string(e)),
        };
        let integ = match &self.integrator {
            Integrator::Euler => "euler".to_string(),
            Integrator::Rk4 => "rk4".to_string(),
            Integrator::Rk45 {
                rtol,
                atol,
                max_steps,
            } => {
                format!("rk45(rtol: {rtol:e}, atol: {atol:e}, max_steps: {max_steps})")
            }
        };
        writeln!(
            f,
            "  dt {} s, decide {decide}, integrator {integ}",
            fmt_f64(self.dt)
        )?;
        match &self.truncate {
            Some(Truncate::Steps(n)) => writeln!(f, "  truncate after {n} steps")?,
            Some(Truncate::Time(t)) => writeln!(f, "  truncate after {} s", fmt_f64(*t))?,
            None => {}
        }
        writeln!(f, "vars ({}):", self.vars.len())?;
        for (i, v) in self.vars.iter().enumerate() {
            let kind = match v.kind {
                VarKind::Param => "param",
                VarKind::State => "state",
                VarKind::DiscreteState => "discrete",
                VarKind::Action => "action",
                VarKind::Algebraic => "algebraic",
                VarKind::Input => "input",
            };
            let unit = if v.is_bool {
                "bool".to_string()
            } else if v.unit.display == v.unit.si {
                v.unit.si.clone()
            } else {
                format!("{} [{}]", v.unit.si, v.unit.display)
            };
            writeln!(f, "  v{i:<4} {kind:<9} {:<24} {unit}", v.name)?;
        }
        writeln!(f, "params:")?;
        for a in &self.params {
            writeln!(
                f,
                "  {} = {}",
                self.var(a.var).name,
                self.expr_to_string(&a.value)
            )?;
        }
        writeln!(f, "states:")?;
        for st in &self.states {
            let name = &self.var(st.var).name;
            writeln!(f, "  {name} := {}", self.expr_to_string(&st.init))?;
            match &st.update {
                StateUpdate::Der(e) => writeln!(f, "    der {name} = {}", self.expr_to_string(e))?,
                StateUpdate::Next(e) => {
                    writeln!(f, "    next {name} = {}", self.expr_to_string(e))?
                }
                StateUpdate::Held => writeln!(f, "    (held)")?,
            }
        }
        writeln!(f, "algebraic (in order):")?;
        for a in &self.algebraic {
            writeln!(
                f,
                "  {} = {}",
                self.var(a.var).name,
                self.expr_to_string(&a.value)
            )?;
        }
        for ev in &self.events {
            writeln!(f, "when {}:", self.expr_to_string(&ev.cond))?;
            for a in &ev.assigns {
                writeln!(
                    f,
                    "  {} = {}",
                    self.var(a.var).name,
                    self.expr_to_string(&a.value)
                )?;
            }
        }
        if !self.on_decide.is_empty() {
            writeln!(f, "on decide:")?;
            for a in &self.on_decide {
                writeln!(
                    f,
                    "  {} = {}",
                    self.var(a.var).name,
                    self.expr_to_string(&a.value)
                )?;
            }
        }
        for (i, ag) in self.agents.iter().enumerate() {
            writeln!(f, "agent {} (#{i}):", ag.name)?;
            for &a in &ag.actions {
                let act = &self.actions[a];
                let space = match &act.space {
                    ActionSpace::Box { lo, hi, normalized } => format!(
                        "box [{}, {}]{}",
                        fmt_f64(*lo),
                        fmt_f64(*hi),
                        if *normalized { " normalized" } else { "" }
                    ),
                    ActionSpace::Bool => "bool".to_string(),
                    ActionSpace::Choice { n, masks } => {
                        if masks.is_empty() {
                            format!("choice {n}")
                        } else {
                            let m: Vec<String> =
                                masks.iter().map(|m| self.expr_to_string(m)).collect();
                            format!("choice {n} mask [{}]", m.join(", "))
                        }
                    }
                };
                writeln!(
                    f,
                    "  action {} -> {}: {space}",
                    act.name,
                    self.var(act.var).name
                )?;
            }
            for &o in &ag.observations {
                let ob = &self.observations[o];
                write!(
                    f,
                    "  observe {} = {}",
                    ob.name,
                    self.expr_to_string(&ob.value)
                )?;
                if let Some((lo, hi)) = ob.bounds {
                    write!(f, " in [{}, {}]", fmt_f64(lo), fmt_f64(hi))?;
                }
                if let Some(n) = &ob.noise {
                    write!(f, " noise {}", self.expr_to_string(n))?;
                }
                writeln!(f)?;
            }
            if let Some(r) = &ag.reward {
                writeln!(f, "  reward = {}", self.expr_to_string(r))?;
            }
        }
        if let Some(t) = &self.terminate {
            writeln!(f, "terminate when {}", self.expr_to_string(t))?;
        }
        Ok(())
    }
}
