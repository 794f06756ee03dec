//! A compiled model: its metadata ([`ModelInfo`]: names, units, bounds, spaces, the slot
//! layout of an instance's memory) and its [`Kernel`] (the functions that reset and step
//! one instance in place).
//!
//! An instance is one flat `[f64]` of [`Layout::slots`] values: every flat variable of the
//! plant in SI units, then the bookkeeping slots (time, counters), the outputs
//! (observations, rewards, flags, masks) and the integrator's scratch. The compiler decides
//! the layout and produces kernels that follow it (native code from Cranelift, or the
//! reference interpreter); this crate only reads and writes the slots the layout names.

use std::sync::Arc;

use crate::rng::Rng;

/// A variable's role in the model.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VarKind {
    Param,
    /// Continuous state (`der`).
    State,
    /// Discrete state (`next`, or changed only by events).
    DiscreteState,
    Action,
    /// In ports, out ports and definitions: recomputed from the others.
    Algebraic,
}

/// A unit as declared, with the scale to SI: `si_value = value * scale`.
#[derive(Clone, PartialEq, Debug)]
pub struct Unit {
    /// The SI spelling of the dimension (`m^3/s`, `1`, `bool`).
    pub si: String,
    /// The unit as written (`L/s`).
    pub display: String,
    pub scale: f64,
}

impl Unit {
    pub fn dimensionless() -> Unit {
        Unit {
            si: "1".into(),
            display: "1".into(),
            scale: 1.0,
        }
    }
}

#[derive(Clone, PartialEq, Debug)]
pub struct VarInfo {
    /// Flat name: `tank.h`, `column.x[3]`, `speed`.
    pub name: String,
    pub kind: VarKind,
    pub unit: Unit,
    pub is_bool: bool,
}

/// What an agent may do with one action.
#[derive(Clone, PartialEq, Debug)]
pub enum ActionSpace {
    /// A value in `[lo, hi]`, in the action's declared unit. With `normalized`, the agent
    /// gives a value in `[0, 1]` instead, mapped linearly onto the bounds.
    Box { lo: f64, hi: f64, normalized: bool },
    /// `0` (false) or `1` (true).
    Bool,
    /// A whole number `0..n`. With masks, the layout holds one 0/1 slot per choice,
    /// starting at `mask_slot`, saying which choices are allowed at the next step;
    /// `masks` holds each mask's source text (for error messages).
    Choice {
        n: u32,
        mask_slot: Option<usize>,
        masks: Vec<String>,
    },
}

#[derive(Clone, PartialEq, Debug)]
pub struct ActionInfo {
    pub name: String,
    /// The variable holding the action's SI value.
    pub var: usize,
    pub unit: Unit,
    pub space: ActionSpace,
    pub agent: usize,
}

#[derive(Clone, PartialEq, Debug)]
pub struct ObsInfo {
    pub name: String,
    /// Observations are reported in this unit (their value in SI divided by its scale).
    pub unit: Unit,
    /// Declared bounds, in `unit`.
    pub bounds: Option<(f64, f64)>,
    /// The agent that declared it; `None` for a plant-level observation that every agent
    /// of a multi-agent plant sees.
    pub agent: Option<usize>,
}

#[derive(Clone, PartialEq, Debug)]
pub struct AgentInfo {
    pub name: String,
    /// Indices into [`ModelInfo::actions`].
    pub actions: Vec<usize>,
    /// Indices into [`ModelInfo::observations`].
    pub observations: Vec<usize>,
    pub has_reward: bool,
}

/// How much plant time one environment step covers.
#[derive(Clone, PartialEq, Debug)]
pub enum Decide {
    /// A fixed number of ticks.
    Every { ticks: u64 },
    /// Ticks until a condition holds, checked before each tick (none when it already
    /// holds; at most [`ModelInfo::max_ticks_per_step`]).
    When,
}

#[derive(Clone, PartialEq, Debug)]
pub enum Truncate {
    Steps(u64),
    /// After this many ticks (`truncate after T`, as `ceil(T / dt)` ticks).
    Ticks(u64),
}

/// Where things live in an instance's memory.
#[derive(Clone, PartialEq, Debug)]
pub struct Layout {
    /// Total number of `f64` slots of one instance.
    pub slots: usize,
    /// Plant time in seconds (`ticks * dt`).
    pub time: usize,
    /// Ticks since reset.
    pub ticks: usize,
    /// Environment steps since reset.
    pub steps: usize,
    /// Observations, one slot each, in declaration order (in their units, noise included).
    pub obs: usize,
    /// Rewards, one per agent (0 for agents without a reward).
    pub rewards: usize,
    /// 1 when a `terminate` condition held after the last step.
    pub terminated: usize,
    /// 1 when the truncation limit was reached.
    pub truncated: usize,
    /// The state values from before the last tick, one per entry of
    /// [`ModelInfo::states`] (written when a tick commits).
    pub prev_states: usize,
}

/// Everything about a compiled model except its code.
#[derive(Clone, PartialEq, Debug)]
pub struct ModelInfo {
    /// The plant's name.
    pub name: String,
    /// Tick length in seconds.
    pub dt: f64,
    pub decide: Decide,
    /// The most ticks one step may run under `decide when` before it fails.
    pub max_ticks_per_step: u64,
    /// Slot `i < vars.len()` holds variable `i`.
    pub vars: Vec<VarInfo>,
    /// Parameters in evaluation order (variable indices).
    pub params: Vec<usize>,
    /// Continuous and discrete states in declaration order (variable indices).
    pub states: Vec<usize>,
    /// Algebraic values in evaluation order (variable indices).
    pub algebraic: Vec<usize>,
    pub actions: Vec<ActionInfo>,
    pub observations: Vec<ObsInfo>,
    pub agents: Vec<AgentInfo>,
    /// Whether the plant declared `agent` blocks (otherwise one agent named `agent`).
    pub agents_declared: bool,
    pub truncate: Option<Truncate>,
    pub layout: Layout,
}

impl ModelInfo {
    /// A variable by flat name.
    pub fn var(&self, name: &str) -> Option<usize> {
        self.vars.iter().position(|v| v.name == name)
    }
}

/// What a kernel call reports.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Ok,
    /// A state was non-finite after a tick (its events included). The step stopped there:
    /// `layout.ticks` counts the failing tick, `layout.prev_states` holds the states from
    /// before it.
    NonFinite,
    /// `rk45` needed more than `max_steps` internal steps in one tick.
    IntegratorMaxSteps,
    /// `decide when` did not hold within `max_ticks_per_step` ticks.
    TickLimit,
}

impl Status {
    /// The code kernels return across the native ABI.
    pub const fn code(self) -> u32 {
        match self {
            Status::Ok => 0,
            Status::NonFinite => 1,
            Status::IntegratorMaxSteps => 2,
            Status::TickLimit => 3,
        }
    }
    pub fn from_code(code: u32) -> Status {
        match code {
            0 => Status::Ok,
            1 => Status::NonFinite,
            2 => Status::IntegratorMaxSteps,
            _ => Status::TickLimit,
        }
    }
}

/// The code of a model: functions over one instance's memory, following
/// [`ModelInfo::layout`]. `mem.len()` is always `layout.slots`.
///
/// The semantics (docs/language.md, "Execution") are the same for every implementation,
/// bit for bit: the native kernel and the reference interpreter must produce identical
/// memory after identical calls.
pub trait Kernel: Send + Sync {
    /// Reset: counters to 0, then parameters and initial states
    /// in order, each replaced by `overrides[var]` when that is not NaN (its expression is
    /// still evaluated, so other draws are unchanged), then [`Kernel::observe`] with
    /// rewards and flags cleared. `overrides.len()` is the number of variables. Action
    /// slots are left as they are (the environment writes their defaults first).
    fn reset(&self, mem: &mut [f64], rng: &mut Rng, overrides: &[f64]);

    /// One environment step with the actions already in their slots (SI): `on decide`,
    /// the ticks, then the outputs (as [`Kernel::observe`], plus rewards, termination and
    /// truncation).
    ///
    /// The memory must be as a reset, a successful step or tick, or `observe` left it:
    /// the native kernel reads back the algebraic values that depend only on parameters
    /// and states (docs/language.md, "Memory after each call"). After writing a state or
    /// parameter slot directly, call [`Kernel::observe`] first.
    fn step(&self, mem: &mut [f64], rng: &mut Rng) -> Status;

    /// One tick (as inside a step), without evaluating outputs; the same precondition as
    /// [`Kernel::step`].
    fn tick(&self, mem: &mut [f64], rng: &mut Rng) -> Status;

    /// Store the algebraic values from the current states and actions, the observations
    /// (drawing their noise) and the masks.
    fn observe(&self, mem: &mut [f64], rng: &mut Rng);

    /// Step `rngs.len()` instances stored one after another in `mems` (each
    /// `layout.slots` long), writing each status code. Instances whose status is
    /// [`crate::SKIP`] on entry are left untouched. The default loops over
    /// [`Kernel::step`]; native kernels run the loop in generated code.
    fn step_batch(&self, mems: &mut [f64], rngs: &mut [Rng], status: &mut [u32]) {
        let slots = mems.len() / rngs.len().max(1);
        for ((mem, rng), st) in mems.chunks_exact_mut(slots).zip(rngs).zip(status) {
            if *st != crate::SKIP {
                *st = self.step(mem, rng).code();
            }
        }
    }

    /// A short name for reports (`jit`, `interp`).
    fn name(&self) -> &str;
}

/// A compiled model: metadata plus code, cheap to clone and share between threads.
#[derive(Clone)]
pub struct Model {
    info: Arc<ModelInfo>,
    kernel: Arc<dyn Kernel>,
}

impl Model {
    pub fn new(info: ModelInfo, kernel: Arc<dyn Kernel>) -> Model {
        Model {
            info: Arc::new(info),
            kernel,
        }
    }
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }
    pub fn kernel(&self) -> &dyn Kernel {
        &*self.kernel
    }
    /// The same model with another kernel (e.g. the interpreter, to compare).
    pub fn with_kernel(&self, kernel: Arc<dyn Kernel>) -> Model {
        Model {
            info: self.info.clone(),
            kernel,
        }
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.info.name)
            .field("kernel", &self.kernel.name())
            .finish()
    }
}
