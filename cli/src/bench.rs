//! `plantc bench`: how fast a plant compiles and steps, measured in this process. Prints
//! one JSON object on stdout.
//!
//! - `compile_ms`: the median of several whole compilations (read, check, lower, lay out,
//!   build the kernel), after one warm-up compilation.
//! - `env_steps_per_s`: one [`Env`] stepping random valid actions, drawn before the timed
//!   loop (a masked choice that is refused is replaced by the first allowed choice, so
//!   masks are honoured where the draw cannot know them), resetting when an episode ends.
//! - `vec_steps_per_s`: environment steps per second of a [`VecEnv`] of `--envs`
//!   instances on `--threads` threads (with its next-step autoreset).
//!
//! Each rate is the median over several equal measurement windows, after a warm-up
//! window; `--seconds` is the time measured for each of the two rates.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use plant_runtime::{ActionError, ActionSpace, Env, EnvError, Model, Rng, VecEnv};

use crate::run::{BackendArg, compile};

#[derive(Args)]
pub struct BenchArgs {
    /// The `.plant` file.
    pub file: String,
    /// The plant to measure, when the file defines several.
    #[arg(long)]
    pub plant: Option<String>,
    /// Instances of the vector environment.
    #[arg(long, default_value_t = 4096)]
    pub envs: usize,
    /// Threads of the vector environment.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Seconds measured for each rate (single environment, vector environment).
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Which kernel runs the model.
    #[arg(long, value_enum, default_value_t = BackendArg::Jit)]
    pub backend: BackendArg,
}

/// Measurement windows per rate (the median is reported).
const WINDOWS: u32 = 5;
/// Random action vectors drawn before timing (used round-robin).
const ACTION_TABLE: usize = 1024;

pub fn bench(args: &BenchArgs) -> ExitCode {
    if !(args.seconds > 0.0 && args.seconds.is_finite() && args.seconds < 1e6) {
        eprintln!("error: --seconds must be a positive number");
        return ExitCode::from(1);
    }
    if args.envs == 0 || args.threads == 0 {
        eprintln!("error: --envs and --threads must be at least 1");
        return ExitCode::from(1);
    }
    let model = match compile(&args.file, args.plant.as_deref(), args.backend) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let window = Duration::from_secs_f64(args.seconds / f64::from(WINDOWS));

    // Compilation: up to 7 more compiles, within about the time of one rate.
    let mut compiles = Vec::new();
    let budget = Instant::now();
    while compiles.len() < 7
        && (compiles.len() < 3 || budget.elapsed().as_secs_f64() < args.seconds)
    {
        let t = Instant::now();
        if compile(&args.file, args.plant.as_deref(), args.backend).is_err() {
            return ExitCode::from(1);
        }
        compiles.push(t.elapsed().as_secs_f64() * 1e3);
    }

    let env = match env_rate(&model, window) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: single environment: {e}");
            return ExitCode::from(1);
        }
    };
    let vec = match vec_rate(&model, args.envs, args.threads, window) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: vector environment: {e}");
            return ExitCode::from(1);
        }
    };
    if env.errors + vec.errors > 0 {
        eprintln!(
            "warning: the model failed on {} step{} under random actions (non-finite values \
             or integrator limits); those episodes restarted",
            env.errors + vec.errors,
            if env.errors + vec.errors == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    let info = model.info();
    let json = serde_json::json!({
        "model": info.name,
        "file": args.file,
        "backend": args.backend.name(),
        "kernel": model.kernel().name(),
        "envs": args.envs,
        "threads": args.threads,
        "compile_ms": median(&mut compiles),
        "compile_runs": compiles.len(),
        "env_steps_per_s": env.rate,
        "env_steps": env.steps,
        "env_seconds": env.seconds,
        "vec_steps_per_s": vec.rate,
        "vec_steps": vec.steps,
        "vec_seconds": vec.seconds,
        "env_errors": env.errors,
        "vec_errors": vec.errors,
        "env_windows": env.windows,
        "vec_windows": vec.windows,
        "window_seconds": window.as_secs_f64(),
    });
    println!("{json}");
    ExitCode::SUCCESS
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

struct Rate {
    /// Median steps per second over the windows.
    rate: f64,
    /// Steps and seconds measured in all (warm-up excluded).
    steps: u64,
    seconds: f64,
    /// Steps on which the model failed (an episode restarted).
    errors: u64,
    /// Measurement windows (the rate is their median).
    windows: usize,
}

/// `count` random action vectors of one instance, in declared units: uniform in each box
/// (in `[0, 1]` when normalized), fair bools, uniform choices.
fn random_actions(model: &Model, count: usize, rng: &mut Rng) -> Vec<f64> {
    let actions = &model.info().actions;
    let mut out = Vec::with_capacity(count * actions.len());
    for _ in 0..count {
        for a in actions {
            out.push(match &a.space {
                ActionSpace::Box {
                    normalized: true, ..
                } => rng.next_f64(),
                ActionSpace::Box { lo, hi, .. } => rng.uniform(*lo, *hi),
                ActionSpace::Bool => rng.below(2) as f64,
                ActionSpace::Choice { n, .. } => rng.below(u64::from(*n)) as f64,
            });
        }
    }
    out
}

/// Run `step` (which returns how many environment steps it did) in a warm-up window, then
/// in up to `WINDOWS` timed windows.
fn measure(
    window: Duration,
    mut step: impl FnMut() -> Result<u64, String>,
) -> Result<Rate, String> {
    let mut rates = Vec::new();
    let (mut total_steps, mut total_time) = (0u64, 0.0);
    // When single steps take longer than a window, stop after one measured window once
    // twice the planned time has passed.
    let deadline = Instant::now() + window * (WINDOWS + 1) * 2;
    for w in 0..=WINDOWS {
        if w > 1 && Instant::now() > deadline {
            break;
        }
        let start = Instant::now();
        let mut steps = 0u64;
        loop {
            steps += step()?;
            let elapsed = start.elapsed();
            if elapsed >= window {
                if w > 0 {
                    let s = elapsed.as_secs_f64();
                    rates.push(steps as f64 / s);
                    total_steps += steps;
                    total_time += s;
                }
                break;
            }
        }
    }
    Ok(Rate {
        windows: rates.len(),
        rate: median(&mut rates),
        steps: total_steps,
        seconds: total_time,
        errors: 0,
    })
}

fn env_rate(model: &Model, window: Duration) -> Result<Rate, String> {
    let info = model.info();
    let na = info.actions.len();
    let table = random_actions(model, ACTION_TABLE, &mut Rng::seeded(1));
    let mut env = Env::new(model.clone());
    env.reset(Some(0), None).map_err(|e| e.to_string())?;
    let mut i = 0usize;
    let mut fixed = vec![0.0; na];
    let mut errors = 0u64;
    // Steps in batches of 64 between clock reads.
    let rate = measure(window, || {
        for _ in 0..64 {
            let k = i % ACTION_TABLE;
            i = i.wrapping_add(1);
            let action = &table[k * na..(k + 1) * na];
            let done = match env.step(action) {
                Ok(s) => s.terminated || s.truncated,
                Err(EnvError::Action(ActionError::Masked { .. })) => {
                    // Replace refused choices by the first allowed one.
                    fixed.copy_from_slice(action);
                    for (j, a) in info.actions.iter().enumerate() {
                        if let ActionSpace::Choice { n, .. } = a.space
                            && !env.allowed(j, fixed[j] as u32)
                        {
                            fixed[j] = (0..n)
                                .find(|&c| env.allowed(j, c))
                                .ok_or("a masked choice has no allowed value")?
                                as f64;
                        }
                    }
                    match env.step(&fixed) {
                        Ok(s) => s.terminated || s.truncated,
                        Err(EnvError::Action(e)) => return Err(e.to_string()),
                        Err(_) => {
                            errors += 1;
                            true
                        }
                    }
                }
                Err(EnvError::Action(e)) => return Err(e.to_string()),
                // The model failed (non-finite value, integrator limit): count it and
                // start a new episode, as a training loop would.
                Err(_) => {
                    errors += 1;
                    true
                }
            };
            if done {
                env.reset(None, None).map_err(|e| e.to_string())?;
            }
        }
        Ok(64)
    })?;
    Ok(Rate { errors, ..rate })
}

fn vec_rate(model: &Model, n: usize, threads: usize, window: Duration) -> Result<Rate, String> {
    let na = model.info().actions.len();
    let tables = 8;
    let table = random_actions(model, n * tables, &mut Rng::seeded(2));
    let mut venv = VecEnv::new(model.clone(), n, threads)?;
    venv.reset(Some(0)).map_err(|e| e.to_string())?;
    let mut i = 0usize;
    let mut fixed: Vec<f64> = Vec::new();
    let mut errors = 0u64;
    let rate = measure(window, || {
        let k = i % tables;
        i = i.wrapping_add(1);
        let actions = &table[k * n * na..(k + 1) * n * na];
        match venv.step(actions) {
            Ok(_) => return Ok(n as u64),
            Err(e) => match e.error {
                EnvError::Action(ActionError::Masked { .. }) => {}
                EnvError::Action(_) => return Err(e.to_string()),
                // An instance failed (non-finite value, integrator limit); every instance
                // stepped and that one resets at the next step.
                _ => {
                    errors += 1;
                    return Ok(n as u64);
                }
            },
        }
        // A refused masked choice: try the next choice of that instance until the step
        // is accepted (the vector environment does not expose its masks).
        fixed.clear();
        fixed.extend_from_slice(actions);
        for _ in 0..n * 64 {
            match venv.step(&fixed) {
                Ok(_) => return Ok(n as u64),
                Err(e) => match e.error {
                    EnvError::Action(ActionError::Masked { action, choice, .. }) => {
                        let j = model
                            .info()
                            .actions
                            .iter()
                            .position(|a| a.name == action)
                            .ok_or("unknown action")?;
                        if let ActionSpace::Choice { n: choices, .. } =
                            model.info().actions[j].space
                        {
                            fixed[e.index * na + j] = f64::from((choice + 1) % choices);
                        }
                    }
                    EnvError::Action(other) => {
                        return Err(format!("environment {}: {other}", e.index));
                    }
                    _ => {
                        errors += 1;
                        return Ok(n as u64);
                    }
                },
            }
        }
        Err("masked choices: no allowed action found".into())
    })?;
    Ok(Rate { errors, ..rate })
}
