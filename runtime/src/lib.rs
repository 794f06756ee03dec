//! `plant-runtime`: what a compiled plant model runs in.
//!
//! - [`model`]: a compiled [`Model`]: its metadata ([`ModelInfo`], with the memory
//!   [`Layout`] of one instance) and its [`Kernel`] (reset, step, tick, observe, batch).
//! - [`env`]: [`Env`], one instance as a Gymnasium-style environment (single or
//!   multi-agent), with reset overrides and clear errors for bad actions and non-finite
//!   values.
//! - [`vec_env`]: [`VecEnv`], N instances with next-step autoreset on several threads.
//! - [`rng`]: the seeded generator of one instance (NumPy's PCG64, bit for bit).
//!
//! This crate must not depend on the compiler, so programs can embed an ahead-of-time
//! compiled model without carrying the compiler.

pub mod env;
pub mod model;
pub mod rng;
pub mod space;
pub mod vec_env;

pub use env::{Env, EnvError, ResetOptions, Step, StepInfo};
pub use model::{
    ActionInfo, ActionSpace, AgentInfo, Decide, Kernel, Layout, Model, ModelInfo, ObsInfo, Status,
    Truncate, Unit, VarInfo, VarKind,
};
pub use rng::Rng;
pub use space::ActionError;
pub use vec_env::{SKIP, VecEnv, VecEnvError, VecStep};
