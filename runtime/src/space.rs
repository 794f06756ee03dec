//! Turning an agent's action values into the SI values a kernel reads: validation
//! (length, NaN, whole numbers, masks) and clipping of continuous actions.

use std::fmt;

use crate::model::{ActionInfo, ActionSpace};

/// Why an action was refused. Nothing was stepped.
#[derive(Clone, PartialEq, Debug)]
pub enum ActionError {
    /// The action vector has the wrong number of values.
    WrongLength { expected: usize, got: usize },
    /// A value is NaN.
    NaN { action: String },
    /// A `bool` action that is not 0 or 1.
    NotBool { action: String, value: f64 },
    /// A choice that is not a whole number in `0..n`.
    OutOfSpace { action: String, value: f64, n: u32 },
    /// A choice whose mask is false at this step.
    Masked {
        action: String,
        choice: u32,
        mask: String,
    },
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionError::WrongLength { expected, got } => write!(
                f,
                "expected {expected} action value{}, got {got}",
                if *expected == 1 { "" } else { "s" }
            ),
            ActionError::NaN { action } => write!(f, "action `{action}` is NaN"),
            ActionError::NotBool { action, value } => {
                write!(f, "action `{action}` is a bool: give 0 or 1, not {value}")
            }
            ActionError::OutOfSpace { action, value, n } => write!(
                f,
                "action `{action}` is a choice of {n}: give a whole number from 0 to {}, not {value}",
                n - 1
            ),
            ActionError::Masked {
                action,
                choice,
                mask,
            } => write!(
                f,
                "action `{action}`: choice {choice} is not allowed now (its mask `{mask}` is false)"
            ),
        }
    }
}

impl std::error::Error for ActionError {}

/// Validate one action value and return its SI value and whether it was clipped.
/// `masks` is the instance's memory from the mask slots on (for masked choices).
#[inline]
pub(crate) fn apply_one(
    a: &ActionInfo,
    value: f64,
    mem: &[f64],
) -> Result<(f64, bool), ActionError> {
    if value.is_nan() {
        return Err(ActionError::NaN {
            action: a.name.clone(),
        });
    }
    match &a.space {
        ActionSpace::Box { lo, hi, normalized } => {
            let (vlo, vhi) = if *normalized { (0.0, 1.0) } else { (*lo, *hi) };
            let clipped = value < vlo || value > vhi;
            let v = value.clamp(vlo, vhi);
            let v = if *normalized { lo + v * (hi - lo) } else { v };
            let si = if a.unit.scale == 1.0 {
                v
            } else {
                v * a.unit.scale
            };
            Ok((si, clipped))
        }
        ActionSpace::Bool => {
            if value == 0.0 || value == 1.0 {
                Ok((value, false))
            } else {
                Err(ActionError::NotBool {
                    action: a.name.clone(),
                    value,
                })
            }
        }
        ActionSpace::Choice {
            n,
            mask_slot,
            masks,
        } => {
            if !(value >= 0.0 && value < *n as f64 && value.fract() == 0.0) {
                return Err(ActionError::OutOfSpace {
                    action: a.name.clone(),
                    value,
                    n: *n,
                });
            }
            if let Some(slot) = mask_slot {
                let k = value as usize;
                if mem[slot + k] == 0.0 {
                    return Err(ActionError::Masked {
                        action: a.name.clone(),
                        choice: k as u32,
                        mask: masks.get(k).cloned().unwrap_or_default(),
                    });
                }
            }
            Ok((value, false))
        }
    }
}

/// The SI value an action holds after reset, before the agent's first decision: 0
/// clipped into the bounds for continuous actions, false, choice 0.
pub(crate) fn default_si(a: &ActionInfo) -> f64 {
    match &a.space {
        ActionSpace::Box { lo, hi, .. } => 0.0f64.clamp(*lo, *hi) * a.unit.scale,
        ActionSpace::Bool | ActionSpace::Choice { .. } => 0.0,
    }
}
