//! The memory layout of one instance and the runtime metadata of a model: from an
//! [`ir::Model`] to a [`plant_runtime::ModelInfo`], plus the kernel-private slots both
//! kernels (the Cranelift code in `codegen` and the interpreter in `interp`) share.
//!
//! One instance is a flat `[f64]`:
//!
//! | slots | what |
//! |---|---|
//! | `0 .. vars.len()` | every IR variable, by `VarId`, in SI (bools 0/1, choices as whole numbers) |
//! | `time`, `ticks`, `steps` | plant time (`ticks * dt`), ticks and steps since reset |
//! | `obs ..` | observations in their declared units (`si / scale`), noise included |
//! | `rewards ..` | one per agent (0 for an agent without a reward) |
//! | `terminated`, `truncated` | 0/1 after the last step |
//! | masks | for each choice action with masks, one 0/1 slot per choice |
//! | `prev_states ..` | the states (in `Model::states` order) before the last tick |
//! | `h` | `rk45`: the internal step size to try first in the next tick |
//!
//! This module is the single source of truth for those positions; it does no IO.

use plant_runtime as rt;

use crate::ir::{self, ActionSpace, Decide, Integrator, Model, VarKind};

/// The most ticks one `decide when` step may run before the step fails.
pub const MAX_TICKS_PER_STEP: u64 = 10_000_000;

/// A model's layout and metadata, as both kernels use them.
#[derive(Clone, Debug)]
pub struct Plan {
    pub info: rt::ModelInfo,
    /// For each action (in `Model::actions` order) with masks, the first mask slot.
    pub mask_slots: Vec<Option<usize>>,
    /// The `rk45` step-size slot.
    pub h: usize,
    /// For each observation: divide its SI value by this to get the reported value
    /// (skipped when exactly 1).
    pub obs_scale: Vec<f64>,
    /// `truncate after T`: the tick count at which the episode is truncated.
    pub truncate_ticks: Option<u64>,
}

/// Lay out `model` and describe it for the runtime.
pub fn plan(model: &Model) -> Plan {
    let nv = model.vars.len();
    let mut next = nv;
    let mut take = |n: usize| {
        let at = next;
        next += n;
        at
    };
    let time = take(1);
    let ticks = take(1);
    let steps = take(1);
    let obs = take(model.observations.len());
    let rewards = take(model.agents.len());
    let terminated = take(1);
    let truncated = take(1);
    let mask_slots: Vec<Option<usize>> = model
        .actions
        .iter()
        .map(|a| match &a.space {
            ActionSpace::Choice { n, masks } if !masks.is_empty() => Some(take(*n as usize)),
            _ => None,
        })
        .collect();
    let prev_states = take(model.states.len());
    let h = take(1);
    let slots = next;

    let unit = |u: &ir::UnitInfo| rt::Unit {
        si: u.si.clone(),
        display: u.display.clone(),
        scale: u.scale,
    };
    let vars = model
        .vars
        .iter()
        .map(|v| rt::VarInfo {
            name: v.name.clone(),
            kind: match v.kind {
                VarKind::Param => rt::VarKind::Param,
                VarKind::State => rt::VarKind::State,
                VarKind::DiscreteState => rt::VarKind::DiscreteState,
                VarKind::Action => rt::VarKind::Action,
                VarKind::Algebraic | VarKind::Input => rt::VarKind::Algebraic,
            },
            unit: unit(&v.unit),
            is_bool: v.is_bool,
        })
        .collect();
    let actions = model
        .actions
        .iter()
        .zip(&mask_slots)
        .map(|(a, slot)| {
            let u = unit(&model.var(a.var).unit);
            let space = match &a.space {
                ActionSpace::Box { lo, hi, normalized } => rt::ActionSpace::Box {
                    lo: lo / u.scale,
                    hi: hi / u.scale,
                    normalized: *normalized,
                },
                ActionSpace::Bool => rt::ActionSpace::Bool,
                ActionSpace::Choice { n, masks } => rt::ActionSpace::Choice {
                    n: *n,
                    mask_slot: *slot,
                    masks: masks.iter().map(|m| model.expr_to_string(m)).collect(),
                },
            };
            rt::ActionInfo {
                name: a.name.clone(),
                var: a.var.index(),
                unit: u,
                space,
                agent: a.agent,
            }
        })
        .collect();
    let observations = model
        .observations
        .iter()
        .map(|o| rt::ObsInfo {
            name: o.name.clone(),
            unit: unit(&o.unit),
            bounds: o
                .bounds
                .map(|(lo, hi)| (lo / o.unit.scale, hi / o.unit.scale)),
            agent: o.agent,
        })
        .collect();
    let agents = model
        .agents
        .iter()
        .map(|a| rt::AgentInfo {
            name: a.name.clone(),
            actions: a.actions.clone(),
            observations: a.observations.clone(),
            has_reward: a.reward.is_some(),
        })
        .collect();
    let truncate_ticks = match &model.truncate {
        Some(ir::Truncate::Time(t)) => Some(ticks_for(*t, model.dt)),
        _ => None,
    };
    let truncate = match &model.truncate {
        Some(ir::Truncate::Steps(n)) => Some(rt::Truncate::Steps(*n)),
        Some(ir::Truncate::Time(_)) => truncate_ticks.map(rt::Truncate::Ticks),
        None => None,
    };
    let decide = match &model.decide {
        Decide::Every { ticks } => rt::Decide::Every { ticks: *ticks },
        Decide::When(_) => rt::Decide::When,
    };
    let info = rt::ModelInfo {
        name: model.name.clone(),
        dt: model.dt,
        decide,
        max_ticks_per_step: match &model.decide {
            Decide::Every { ticks } => *ticks,
            Decide::When(_) => MAX_TICKS_PER_STEP,
        },
        vars,
        params: model.params.iter().map(|p| p.var.index()).collect(),
        states: model.states.iter().map(|s| s.var.index()).collect(),
        algebraic: model.algebraic.iter().map(|a| a.var.index()).collect(),
        actions,
        observations,
        agents,
        agents_declared: model.agents_declared,
        truncate,
        layout: rt::Layout {
            slots,
            time,
            ticks,
            steps,
            obs,
            rewards,
            terminated,
            truncated,
            prev_states,
        },
    };
    Plan {
        obs_scale: model.observations.iter().map(|o| o.unit.scale).collect(),
        info,
        mask_slots,
        h,
        truncate_ticks,
    }
}

/// The number of ticks after which plant time reaches `t`: `ceil(t / dt)`, with a
/// relative slack of 1e-9 so that `2 h` with `dt 0.1 s` is exactly 72000 ticks.
pub fn ticks_for(t: f64, dt: f64) -> u64 {
    let q = t / dt;
    let r = q.round();
    if (q - r).abs() <= 1e-9 * q.abs().max(1.0) {
        r as u64
    } else {
        q.ceil() as u64
    }
}

/// The `rk45` settings, or `None` for the fixed-step integrators.
pub fn rk45(model: &Model) -> Option<(f64, f64, u64)> {
    match model.integrator {
        Integrator::Rk45 {
            rtol,
            atol,
            max_steps,
        } => Some((rtol, atol, max_steps)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_for_is_exact_on_round_multiples() {
        assert_eq!(ticks_for(7200.0, 0.1), 72000);
        assert_eq!(ticks_for(1.0, 0.1), 10);
        assert_eq!(ticks_for(1.05, 0.1), 11);
        assert_eq!(ticks_for(300.0, 1.0), 300);
    }
}
