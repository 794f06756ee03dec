//! `Env`: one instance of a model as a Gymnasium-style environment.
//!
//! Values cross the boundary in the units the plant declares: actions in each action's
//! unit (or `[0, 1]` when `normalized`), observations in each observation's unit. Inside,
//! everything is SI. `step` validates the action (length, NaN, bool and choice values,
//! masks: errors, nothing stepped), clips continuous actions into their bounds (reported in
//! the step's info), runs the kernel, and turns a non-finite state or output into an error
//! naming the first variable that went non-finite.

use std::fmt;

use crate::model::{Model, ModelInfo, Status, VarKind};
use crate::rng::Rng;
use crate::space::{ActionError, apply_one, default_si};

/// Values to use instead of parameters' and initial values' expressions at a reset, so a
/// recorded situation can be replayed.
#[derive(Clone, Default, Debug, PartialEq)]
pub struct ResetOptions {
    values: Vec<(String, f64, bool)>,
}

impl ResetOptions {
    pub fn new() -> ResetOptions {
        ResetOptions::default()
    }
    /// Override `name` (a parameter or state, by flat name) with `value` in its declared
    /// unit.
    pub fn set(mut self, name: &str, value: f64) -> ResetOptions {
        self.values.push((name.to_string(), value, false));
        self
    }
    /// Override `name` with a value in SI units.
    pub fn set_si(mut self, name: &str, value: f64) -> ResetOptions {
        self.values.push((name.to_string(), value, true));
        self
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The per-variable override vector a kernel takes (NaN = not overridden).
    pub fn resolve(&self, info: &ModelInfo) -> Result<Vec<f64>, EnvError> {
        let mut out = vec![f64::NAN; info.vars.len()];
        for (name, value, si) in &self.values {
            let Some(i) = info.var(name) else {
                return Err(EnvError::UnknownName {
                    name: name.clone(),
                    suggestions: settable_names(info)
                        .filter(|n| n.ends_with(name.rsplit('.').next().unwrap_or(name)))
                        .take(5)
                        .map(str::to_string)
                        .collect(),
                });
            };
            let var = &info.vars[i];
            if !matches!(
                var.kind,
                VarKind::Param | VarKind::State | VarKind::DiscreteState
            ) {
                return Err(EnvError::NotSettable {
                    name: name.clone(),
                    kind: var.kind,
                });
            }
            if !value.is_finite() {
                return Err(EnvError::BadOverride {
                    name: name.clone(),
                    value: *value,
                });
            }
            out[i] = if *si { *value } else { value * var.unit.scale };
        }
        Ok(out)
    }
}

/// Names a reset may override.
pub fn settable_names(info: &ModelInfo) -> impl Iterator<Item = &str> {
    info.vars
        .iter()
        .filter(|v| {
            matches!(
                v.kind,
                VarKind::Param | VarKind::State | VarKind::DiscreteState
            )
        })
        .map(|v| v.name.as_str())
}

/// Why a reset or a step failed.
#[derive(Clone, PartialEq, Debug)]
pub enum EnvError {
    Action(ActionError),
    /// `step` before the first `reset`, or after the episode ended.
    NeedsReset,
    UnknownName {
        name: String,
        suggestions: Vec<String>,
    },
    NotSettable {
        name: String,
        kind: VarKind,
    },
    BadOverride {
        name: String,
        value: f64,
    },
    /// A variable became NaN or infinite.
    NonFinite {
        var: String,
        value: f64,
        /// The environment step (1-based; 0 is the reset).
        step: u64,
        /// Plant time at the start of the failing tick, in seconds.
        time: f64,
    },
    /// `rk45` needed more internal steps than `max_steps` in one tick.
    IntegratorMaxSteps {
        step: u64,
        time: f64,
    },
    /// `decide when` did not hold within the tick limit.
    TickLimit {
        step: u64,
        ticks: u64,
    },
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvError::Action(e) => e.fmt(f),
            EnvError::NeedsReset => {
                write!(
                    f,
                    "the episode has ended (or never started): call reset first"
                )
            }
            EnvError::UnknownName { name, suggestions } => {
                write!(f, "`{name}` is not a parameter or state of this plant")?;
                if !suggestions.is_empty() {
                    write!(f, " (did you mean {}?)", quoted_list(suggestions))?;
                }
                Ok(())
            }
            EnvError::NotSettable { name, kind } => write!(
                f,
                "`{name}` is {}: only parameters and states can be set at reset",
                match kind {
                    VarKind::Action => "an action",
                    _ => "computed from other values",
                }
            ),
            EnvError::BadOverride { name, value } => {
                write!(f, "`{name}` cannot be set to {value}: give a finite number")
            }
            EnvError::NonFinite {
                var,
                value,
                step,
                time,
            } => {
                if *step == 0 {
                    write!(f, "`{var}` is {value} at reset")
                } else {
                    write!(
                        f,
                        "`{var}` became {value} at step {step} (in the tick starting at t = {time} s)"
                    )
                }
            }
            EnvError::IntegratorMaxSteps { step, time } => write!(
                f,
                "rk45 needed more than its `max_steps` internal steps in the tick at t = {time} s \
                 (step {step}); the model may be stiff: raise max_steps or lower dt"
            ),
            EnvError::TickLimit { step, ticks } => write!(
                f,
                "step {step}: the `decide when` condition did not hold within {ticks} ticks"
            ),
        }
    }
}

fn quoted_list(v: &[String]) -> String {
    v.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::error::Error for EnvError {}

impl From<ActionError> for EnvError {
    fn from(e: ActionError) -> EnvError {
        EnvError::Action(e)
    }
}

/// What one step returns. Slices borrow the environment; copy what you keep.
#[derive(Debug)]
pub struct Step<'a> {
    /// All observations in declaration order, in their units.
    pub obs: &'a [f64],
    /// One reward per agent.
    pub rewards: &'a [f64],
    pub terminated: bool,
    pub truncated: bool,
    pub info: StepInfo<'a>,
}

impl Step<'_> {
    /// The reward of a single-agent plant (the first agent's).
    pub fn reward(&self) -> f64 {
        self.rewards.first().copied().unwrap_or(0.0)
    }
}

#[derive(Debug)]
pub struct StepInfo<'a> {
    /// Indices of continuous actions that were outside their bounds and were clipped.
    pub clipped: &'a [usize],
    /// Plant time after the step, in seconds.
    pub time: f64,
    /// Steps since reset.
    pub steps: u64,
}

/// One environment.
pub struct Env {
    model: Model,
    mem: Vec<f64>,
    rng: Rng,
    overrides: Vec<f64>,
    default_overrides: Vec<f64>,
    clipped: Vec<usize>,
    live: bool,
}

impl Env {
    /// A new environment; it is seeded with 0 until `reset` gives a seed.
    pub fn new(model: Model) -> Env {
        let info = model.info();
        let n = info.vars.len();
        Env {
            mem: vec![0.0; info.layout.slots],
            rng: Rng::seeded(0),
            overrides: vec![f64::NAN; n],
            default_overrides: vec![f64::NAN; n],
            clipped: Vec::new(),
            live: false,
            model,
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }
    pub fn info(&self) -> &ModelInfo {
        self.model.info()
    }

    /// Overrides applied at every later reset that has no options of its own.
    pub fn set_default_options(&mut self, options: &ResetOptions) -> Result<(), EnvError> {
        self.default_overrides = options.resolve(self.model.info())?;
        Ok(())
    }

    /// Start an episode. With a seed, the generator restarts from it; without, it goes on.
    /// Returns the observations.
    pub fn reset(
        &mut self,
        seed: Option<u64>,
        options: Option<&ResetOptions>,
    ) -> Result<&[f64], EnvError> {
        match options {
            Some(o) => self.overrides = o.resolve(self.model.info())?,
            None => self.overrides.clone_from(&self.default_overrides),
        }
        if let Some(s) = seed {
            self.rng = Rng::seeded(s);
        }
        self.live = false;
        reset_instance(&self.model, &mut self.mem, &mut self.rng, &self.overrides)?;
        self.live = true;
        let l = &self.model.info().layout;
        Ok(&self.mem[l.obs..l.obs + self.model.info().observations.len()])
    }

    /// One environment step with one value per action, in declaration order.
    pub fn step(&mut self, action: &[f64]) -> Result<Step<'_>, EnvError> {
        if !self.live {
            return Err(EnvError::NeedsReset);
        }
        let info = self.model.info();
        apply_actions(info, &mut self.mem, action, &mut self.clipped)?;
        let status = self.model.kernel().step(&mut self.mem, &mut self.rng);
        if let Err(e) = check_step(&self.model, &self.mem, &self.rng, status) {
            self.live = false;
            return Err(e);
        }
        let l = &info.layout;
        let terminated = self.mem[l.terminated] != 0.0;
        let truncated = self.mem[l.truncated] != 0.0;
        if terminated || truncated {
            self.live = false;
        }
        Ok(Step {
            obs: &self.mem[l.obs..l.obs + info.observations.len()],
            rewards: &self.mem[l.rewards..l.rewards + info.agents.len()],
            terminated,
            truncated,
            info: StepInfo {
                clipped: &self.clipped,
                time: self.mem[l.time],
                steps: self.mem[l.steps] as u64,
            },
        })
    }

    /// The current observations.
    pub fn obs(&self) -> &[f64] {
        let l = &self.model.info().layout;
        &self.mem[l.obs..l.obs + self.model.info().observations.len()]
    }

    /// The observations of one agent, in the agent's declaration order.
    pub fn agent_obs(&self, agent: usize) -> Vec<f64> {
        let info = self.model.info();
        info.agents[agent]
            .observations
            .iter()
            .map(|&o| self.mem[info.layout.obs + o])
            .collect()
    }

    /// The current SI value of a variable by flat name.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.model.info().var(name).map(|i| self.mem[i])
    }

    /// Whether choice `k` of action `action` is allowed at the next step.
    pub fn allowed(&self, action: usize, k: u32) -> bool {
        match &self.model.info().actions[action].space {
            crate::model::ActionSpace::Choice {
                n,
                mask_slot: Some(slot),
                ..
            } => k < *n && self.mem[slot + k as usize] != 0.0,
            crate::model::ActionSpace::Choice { n, .. } => k < *n,
            _ => false,
        }
    }

    /// The instance's whole memory (see [`crate::Layout`]).
    pub fn memory(&self) -> &[f64] {
        &self.mem
    }

    /// A copy of the generator (to compare or replay).
    pub fn rng(&self) -> Rng {
        self.rng
    }
}

/// Reset one instance: default actions, the kernel's reset, then a finiteness check of
/// parameters, states and outputs.
pub(crate) fn reset_instance(
    model: &Model,
    mem: &mut [f64],
    rng: &mut Rng,
    overrides: &[f64],
) -> Result<(), EnvError> {
    let info = model.info();
    for a in &info.actions {
        mem[a.var] = default_si(a);
    }
    model.kernel().reset(mem, rng, overrides);
    let order = info
        .params
        .iter()
        .chain(&info.states)
        .chain(&info.algebraic);
    for &v in order {
        if !mem[v].is_finite() {
            return Err(EnvError::NonFinite {
                var: info.vars[v].name.clone(),
                value: mem[v],
                step: 0,
                time: 0.0,
            });
        }
    }
    check_outputs(info, mem, 0)
}

/// Validate and store one instance's actions.
#[inline]
pub(crate) fn apply_actions(
    info: &ModelInfo,
    mem: &mut [f64],
    action: &[f64],
    clipped: &mut Vec<usize>,
) -> Result<(), ActionError> {
    if action.len() != info.actions.len() {
        return Err(ActionError::WrongLength {
            expected: info.actions.len(),
            got: action.len(),
        });
    }
    clipped.clear();
    // Validate everything before writing anything: a refused action changes nothing.
    let mut si = [0.0f64; 16];
    let mut spill = Vec::new();
    for (i, (a, &v)) in info.actions.iter().zip(action).enumerate() {
        let (value, clip) = apply_one(a, v, mem)?;
        if clip {
            clipped.push(i);
        }
        if i < si.len() {
            si[i] = value;
        } else {
            spill.push(value);
        }
    }
    for (i, a) in info.actions.iter().enumerate() {
        mem[a.var] = if i < si.len() {
            si[i]
        } else {
            spill[i - si.len()]
        };
    }
    Ok(())
}

/// Turn a kernel status and non-finite outputs into errors.
pub(crate) fn check_step(
    model: &Model,
    mem: &[f64],
    rng: &Rng,
    status: Status,
) -> Result<(), EnvError> {
    let info = model.info();
    let l = &info.layout;
    let step = mem[l.steps] as u64 + u64::from(status != Status::Ok);
    match status {
        Status::Ok => check_outputs(info, mem, step),
        Status::NonFinite => Err(diagnose_non_finite(model, mem, rng, step)),
        Status::IntegratorMaxSteps => Err(EnvError::IntegratorMaxSteps {
            step,
            time: mem[l.time],
        }),
        Status::TickLimit => Err(EnvError::TickLimit {
            step,
            ticks: info.max_ticks_per_step,
        }),
    }
}

fn check_outputs(info: &ModelInfo, mem: &[f64], step: u64) -> Result<(), EnvError> {
    let l = &info.layout;
    let outputs = &mem[l.obs..l.obs + info.observations.len()];
    let rewards = &mem[l.rewards..l.rewards + info.agents.len()];
    // One sum is non-finite exactly when some term is (x * 0 is NaN for inf and NaN).
    let probe: f64 = outputs.iter().chain(rewards).map(|x| x * 0.0).sum();
    if probe == 0.0 {
        return Ok(());
    }
    let time = mem[l.time];
    for (o, x) in info.observations.iter().zip(outputs) {
        if !x.is_finite() {
            return Err(EnvError::NonFinite {
                var: format!("observation {}", o.name),
                value: *x,
                step,
                time,
            });
        }
    }
    for (a, x) in info.agents.iter().zip(rewards) {
        if !x.is_finite() {
            return Err(EnvError::NonFinite {
                var: format!("reward of agent {}", a.name),
                value: *x,
                step,
                time,
            });
        }
    }
    Ok(())
}

/// Find the first variable that went non-finite in the failing tick: the first algebraic
/// value (in evaluation order) that is non-finite when recomputed from the states before
/// the tick, else the first state (in declaration order) that is non-finite after it.
fn diagnose_non_finite(model: &Model, mem: &[f64], rng: &Rng, step: u64) -> EnvError {
    let info = model.info();
    let l = &info.layout;
    let tick_start = mem[l.ticks] - 1.0;
    let time = tick_start * info.dt;
    let mut before = mem.to_vec();
    for (k, &s) in info.states.iter().enumerate() {
        before[s] = mem[l.prev_states + k];
    }
    let mut scratch_rng = *rng;
    model.kernel().observe(&mut before, &mut scratch_rng);
    for &v in &info.algebraic {
        if !before[v].is_finite() {
            return EnvError::NonFinite {
                var: info.vars[v].name.clone(),
                value: before[v],
                step,
                time,
            };
        }
    }
    for &s in &info.states {
        if !mem[s].is_finite() {
            return EnvError::NonFinite {
                var: info.vars[s].name.clone(),
                value: mem[s],
                step,
                time,
            };
        }
    }
    EnvError::NonFinite {
        var: "(a state)".into(),
        value: f64::NAN,
        step,
        time,
    }
}

/// Run `reset` then `steps` kernel steps with fixed actions, for tests comparing kernels:
/// returns the memory after each call.
pub fn trace(model: &Model, seed: u64, actions: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, EnvError> {
    let mut env = Env::new(model.clone());
    let mut out = Vec::with_capacity(actions.len() + 1);
    env.reset(Some(seed), None)?;
    out.push(env.memory().to_vec());
    for a in actions {
        let done = {
            let s = env.step(a)?;
            s.terminated || s.truncated
        };
        out.push(env.memory().to_vec());
        if done {
            env.reset(None, None)?;
            out.push(env.memory().to_vec());
        }
    }
    Ok(out)
}
