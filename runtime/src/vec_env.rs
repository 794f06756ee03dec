//! `VecEnv`: N instances of one model stepped together, with Gymnasium's next-step
//! autoreset, on a fixed number of threads.
//!
//! The instances' memories lie one after another in one buffer, so a chunk of instances
//! is stepped by one call of the kernel's batch function. Every instance has its own
//! generator (instance `i` is seeded with `seed + i`), so the results are the same
//! whatever the thread count.

use std::fmt;

use rayon::prelude::*;

use crate::env::{EnvError, ResetOptions, check_step, reset_instance};
use crate::model::{Model, Status};
use crate::rng::Rng;
use crate::space::apply_one;

/// The status a batch call leaves untouched: the instance is not stepped.
pub const SKIP: u32 = u32::MAX;

/// A step or reset of the vector failed in instance `index`.
#[derive(Clone, PartialEq, Debug)]
pub struct VecEnvError {
    pub index: usize,
    pub error: EnvError,
}

impl fmt::Display for VecEnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "environment {}: {}", self.index, self.error)
    }
}

impl std::error::Error for VecEnvError {}

/// The batched result of one step; slices borrow the vector environment.
#[derive(Debug)]
pub struct VecStep<'a> {
    /// `num_envs * n_obs` observations, instance after instance.
    pub obs: &'a [f64],
    /// `num_envs * n_agents` rewards.
    pub rewards: &'a [f64],
    pub terminated: &'a [bool],
    pub truncated: &'a [bool],
    /// Instances that were reset instead of stepped (their action was ignored).
    pub autoreset: &'a [bool],
    /// Instances with at least one clipped continuous action.
    pub clipped: &'a [bool],
}

pub struct VecEnv {
    model: Model,
    n: usize,
    slots: usize,
    pool: Option<rayon::ThreadPool>,
    chunk: usize,
    mems: Vec<f64>,
    rngs: Vec<Rng>,
    status: Vec<u32>,
    errors: Vec<Option<EnvError>>,
    overrides: Vec<f64>,
    obs: Vec<f64>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    autoreset: Vec<bool>,
    clipped: Vec<bool>,
    si: Vec<f64>,
    started: bool,
}

impl VecEnv {
    /// `n` instances stepped on `threads` threads (1 steps on the calling thread).
    pub fn new(model: Model, n: usize, threads: usize) -> Result<VecEnv, String> {
        if n == 0 {
            return Err("a vector environment needs at least one instance".into());
        }
        let threads = threads.max(1);
        let pool = if threads > 1 {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|e| format!("cannot start {threads} threads: {e}"))?,
            )
        } else {
            None
        };
        let info = model.info();
        let slots = info.layout.slots;
        // Several chunks per thread balance uneven steps (`decide when`, rk45).
        let chunk = n.div_ceil(threads * 4).max(1);
        Ok(VecEnv {
            n,
            slots,
            pool,
            chunk,
            mems: vec![0.0; n * slots],
            rngs: (0..n as u64).map(Rng::seeded).collect(),
            status: vec![0; n],
            errors: vec![None; n],
            overrides: vec![f64::NAN; info.vars.len()],
            obs: vec![0.0; n * info.observations.len()],
            rewards: vec![0.0; n * info.agents.len()],
            terminated: vec![false; n],
            truncated: vec![false; n],
            autoreset: vec![false; n],
            clipped: vec![false; n],
            si: vec![0.0; n * info.actions.len()],
            started: false,
            model,
        })
    }

    pub fn num_envs(&self) -> usize {
        self.n
    }
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Overrides used at every reset, including autoresets.
    pub fn set_options(&mut self, options: &ResetOptions) -> Result<(), EnvError> {
        self.overrides = options.resolve(self.model.info())?;
        Ok(())
    }

    /// Reset every instance; instance `i` is seeded with `seed + i` (without a seed the
    /// generators go on). Returns the batched observations.
    pub fn reset(&mut self, seed: Option<u64>) -> Result<&[f64], VecEnvError> {
        if let Some(s) = seed {
            for (i, r) in self.rngs.iter_mut().enumerate() {
                *r = Rng::seeded(s.wrapping_add(i as u64));
            }
        }
        self.terminated.fill(false);
        self.truncated.fill(false);
        self.autoreset.fill(true);
        self.started = true;
        let result = self.run(None);
        self.autoreset.fill(false);
        result?;
        Ok(&self.obs)
    }

    /// Step every instance with `num_envs * n_actions` values (instance after instance, in
    /// declaration order within one). Instances that ended at the previous step are reset
    /// instead (their actions are ignored; reward 0, not terminated, not truncated).
    ///
    /// An invalid action is an error and nothing is stepped. A failure inside an instance
    /// (non-finite value, integrator limit) is reported for the first failing instance
    /// after all instances have stepped; that instance resets at the next step.
    pub fn step(&mut self, actions: &[f64]) -> Result<VecStep<'_>, VecEnvError> {
        if !self.started {
            return Err(VecEnvError {
                index: 0,
                error: EnvError::NeedsReset,
            });
        }
        let info = self.model.info();
        let na = info.actions.len();
        if actions.len() != self.n * na {
            return Err(VecEnvError {
                index: 0,
                error: EnvError::Action(crate::space::ActionError::WrongLength {
                    expected: self.n * na,
                    got: actions.len(),
                }),
            });
        }
        // Autoreset: instances that ended last step are reset now.
        for i in 0..self.n {
            self.autoreset[i] = self.terminated[i] || self.truncated[i] || self.errors[i].is_some();
        }
        // Validate every action first, so a refused action changes nothing.
        for i in 0..self.n {
            if self.autoreset[i] {
                continue;
            }
            let mem = &self.mems[i * self.slots..(i + 1) * self.slots];
            let mut clipped = false;
            for (k, a) in info.actions.iter().enumerate() {
                let (v, c) = apply_one(a, actions[i * na + k], mem).map_err(|e| VecEnvError {
                    index: i,
                    error: e.into(),
                })?;
                self.si[i * na + k] = v;
                clipped |= c;
            }
            self.clipped[i] = clipped;
        }
        self.run(Some(()))?;
        Ok(VecStep {
            obs: &self.obs,
            rewards: &self.rewards,
            terminated: &self.terminated,
            truncated: &self.truncated,
            autoreset: &self.autoreset,
            clipped: &self.clipped,
        })
    }

    /// Step (or reset, per `autoreset`) every instance, chunk by chunk, in parallel.
    fn run(&mut self, step: Option<()>) -> Result<(), VecEnvError> {
        let model = &self.model;
        let info = model.info();
        let (slots, chunk) = (self.slots, self.chunk);
        let (na, no, ng) = (
            info.actions.len(),
            info.observations.len(),
            info.agents.len(),
        );
        let chunks: Vec<Chunk<'_>> = self
            .mems
            .chunks_mut(chunk * slots)
            .zip(self.rngs.chunks_mut(chunk))
            .zip(self.status.chunks_mut(chunk))
            .zip(self.errors.chunks_mut(chunk))
            .zip(self.obs.chunks_mut(chunk * no.max(1)))
            .zip(self.rewards.chunks_mut(chunk * ng.max(1)))
            .zip(self.terminated.chunks_mut(chunk))
            .zip(self.truncated.chunks_mut(chunk))
            .zip(self.autoreset.chunks(chunk))
            .zip(self.si.chunks(chunk * na.max(1)))
            .map(
                |(
                    ((((((((mems, rngs), status), errors), obs), rewards), term), trunc), reset),
                    si,
                )| Chunk {
                    mems,
                    rngs,
                    status,
                    errors,
                    obs,
                    rewards,
                    term,
                    trunc,
                    reset,
                    si,
                },
            )
            .collect();
        let ctx = RunCtx {
            model,
            overrides: &self.overrides,
            stepping: step.is_some(),
        };
        match &self.pool {
            Some(pool) => pool.install(|| chunks.into_par_iter().for_each(|c| ctx.run_chunk(c))),
            None => chunks.into_iter().for_each(|c| ctx.run_chunk(c)),
        }
        match self.errors.iter().position(Option::is_some) {
            Some(index) => Err(VecEnvError {
                index,
                error: self.errors[index].clone().unwrap_or(EnvError::NeedsReset),
            }),
            None => Ok(()),
        }
    }
}

/// One chunk of consecutive instances and their slices of the batched buffers.
struct Chunk<'a> {
    mems: &'a mut [f64],
    rngs: &'a mut [Rng],
    status: &'a mut [u32],
    errors: &'a mut [Option<EnvError>],
    obs: &'a mut [f64],
    rewards: &'a mut [f64],
    term: &'a mut [bool],
    trunc: &'a mut [bool],
    reset: &'a [bool],
    si: &'a [f64],
}

struct RunCtx<'a> {
    model: &'a Model,
    overrides: &'a [f64],
    stepping: bool,
}

impl RunCtx<'_> {
    fn run_chunk(&self, c: Chunk<'_>) {
        let info = self.model.info();
        let l = &info.layout;
        let slots = l.slots;
        let (na, no, ng) = (
            info.actions.len(),
            info.observations.len(),
            info.agents.len(),
        );
        let count = c.rngs.len();
        if self.stepping {
            for i in 0..count {
                if c.reset[i] {
                    c.status[i] = SKIP;
                } else {
                    c.status[i] = 0;
                    let mem = &mut c.mems[i * slots..(i + 1) * slots];
                    for (k, a) in info.actions.iter().enumerate() {
                        mem[a.var] = c.si[i * na + k];
                    }
                }
            }
            self.model.kernel().step_batch(c.mems, c.rngs, c.status);
        }
        for i in 0..count {
            let mem = &mut c.mems[i * slots..(i + 1) * slots];
            let result = if c.reset[i] {
                reset_instance(self.model, mem, &mut c.rngs[i], self.overrides)
            } else {
                check_step(self.model, mem, &c.rngs[i], Status::from_code(c.status[i]))
            };
            c.obs[i * no..(i + 1) * no].copy_from_slice(&mem[l.obs..l.obs + no]);
            c.rewards[i * ng..(i + 1) * ng].copy_from_slice(&mem[l.rewards..l.rewards + ng]);
            c.term[i] = !c.reset[i] && mem[l.terminated] != 0.0;
            c.trunc[i] = !c.reset[i] && mem[l.truncated] != 0.0;
            c.errors[i] = result.err();
        }
    }
}
