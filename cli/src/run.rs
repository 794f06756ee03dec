//! `plantc run`: compile a plant, run it as an environment with a policy, and write the
//! trace (CSV or JSON Lines, see [`crate::trace`]) and optionally an SVG plot.
//!
//! The run lasts `--steps` environment steps in all (default 1000) or until `--episodes`
//! episodes have ended. An episode that ends (terminated or truncated) is reset at once
//! and the run goes on: the trace gets a new reset row and the `episode` column counts
//! up. The first reset uses `--seed`; later resets continue the same generator, as
//! Gymnasium does. `--init` and `--param` apply at every reset.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use plant_runtime::{Env, EnvError, Model, ModelInfo, ResetOptions, VarKind};
use plantc::quantity::Units;

use crate::plot::Plot;
use crate::policy::{self, Stop};
use crate::trace::{Format, Row, Trace};

#[derive(Args)]
pub struct RunArgs {
    /// The `.plant` file.
    pub file: String,
    /// The plant to run, when the file defines several.
    #[arg(long)]
    pub plant: Option<String>,
    /// Environment steps to run in all, across episodes [default: 1000, or no limit
    /// with --episodes].
    #[arg(long)]
    pub steps: Option<u64>,
    /// Stop once this many episodes have ended.
    #[arg(long)]
    pub episodes: Option<u64>,
    /// Seed of the first reset (and of the `random` policy).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where actions come from: zero, random, const:V1,V2,..., csv:PATH or exec:CMD.
    #[arg(long, default_value = "zero", value_name = "POLICY")]
    pub policy: String,
    /// Seconds to wait for each answer of an `exec:` policy.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub policy_timeout: f64,
    /// Set the initial value of a state (or a parameter the reset reads, like a
    /// reservoir's `initial` level) at every reset, e.g. `cart.theta=0.01`,
    /// `tank.h=50 cm` or `silo_a.initial=0.07` (a plain number is in the declared unit).
    /// Repeatable.
    #[arg(long = "init", value_name = "NAME=VALUE")]
    pub init: Vec<String>,
    /// Set a parameter at every reset, e.g. `tank.area=2 m^2`. Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub param: Vec<String>,
    /// Add a `state:<name>` column per state to the trace (in declared units).
    #[arg(long)]
    pub states: bool,
    /// Write the trace to this file (`.csv` or `.jsonl`) instead of stdout (CSV).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Plot series against time into this SVG file.
    #[arg(long, value_name = "PATH.svg")]
    pub plot: Option<PathBuf>,
    /// What to plot (default: every observation): obs/act/reward/state names, like
    /// `tank.level,act:speed,reward`.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub series: Vec<String>,
    /// Which kernel runs the model.
    #[arg(long, value_enum, default_value_t = BackendArg::Jit)]
    pub backend: BackendArg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Debug)]
pub enum BackendArg {
    /// Native code (the default).
    Jit,
    /// The reference interpreter.
    Interp,
}

impl BackendArg {
    pub fn name(self) -> &'static str {
        match self {
            BackendArg::Jit => "jit",
            BackendArg::Interp => "interp",
        }
    }
}

impl From<BackendArg> for plantc::Backend {
    fn from(b: BackendArg) -> plantc::Backend {
        match b {
            BackendArg::Jit => plantc::Backend::Jit,
            BackendArg::Interp => plantc::Backend::Interp,
        }
    }
}

/// Compile `file`; on errors print the diagnostics as `plantc check` does.
pub fn compile(file: &str, plant: Option<&str>, backend: BackendArg) -> Result<Model, ExitCode> {
    let options = plantc::Options {
        plant: plant.map(str::to_string),
        backend: backend.into(),
    };
    plantc::compile_file_with(file, &options).map_err(|e| {
        eprint!("{}", e.rendered);
        let errors = e.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!(
            "error: {file} with {errors} error{}",
            if errors == 1 { "" } else { "s" }
        );
        ExitCode::from(1)
    })
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

pub fn run(args: &RunArgs) -> ExitCode {
    let format = match &args.out {
        None => Format::Csv,
        Some(p) => match p.extension().and_then(|e| e.to_str()) {
            Some("csv") => Format::Csv,
            Some("jsonl" | "ndjson") => Format::Jsonl,
            _ => {
                return fail(format!(
                    "--out {}: name the file `.csv` or `.jsonl` to choose the format",
                    p.display()
                ));
            }
        },
    };
    if !(args.policy_timeout > 0.0 && args.policy_timeout.is_finite()) {
        return fail("--policy-timeout must be a positive number of seconds");
    }
    if args.plot.is_none() && !args.series.is_empty() {
        return fail("--series chooses what --plot draws: give --plot PATH.svg too");
    }
    let model = match compile(&args.file, args.plant.as_deref(), args.backend) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let info = model.info().clone();
    let units = Units::of_file(&args.file);
    let options = match overrides(&info, &units, &args.init, &args.param) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let mut plot = match &args.plot {
        Some(_) => match Plot::new(&info, &args.series) {
            Ok(p) => Some(p),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let timeout = Duration::from_secs_f64(args.policy_timeout);
    let mut policy = match policy::from_arg(&args.policy, &info, &units, args.seed, timeout) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let (sink, to_stdout): (Box<dyn Write>, bool) = match &args.out {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => (Box::new(BufWriter::new(f)), false),
            Err(e) => return fail(format!("cannot create {}: {e}", path.display())),
        },
        None => (Box::new(BufWriter::new(io::stdout())), true),
    };
    let trace = match Trace::new(sink, format, &info, args.states) {
        Ok(t) => t,
        Err(e) if to_stdout && e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => return fail(format!("cannot write the trace: {e}")),
    };
    let max_steps = args.steps.unwrap_or(if args.episodes.is_some() {
        u64::MAX
    } else {
        1000
    });
    let mut runner = Runner {
        info: &info,
        trace,
        to_stdout,
        plot: plot.as_mut(),
        with_states: args.states,
        totals: vec![0.0; info.agents.len()],
        steps: 0,
        ended: 0,
        episode: 0,
        plant_time: 0.0,
        clipped_steps: 0,
        states: Vec::new(),
    };
    let end = runner.run(
        Env::new(model),
        &options,
        &mut *policy,
        args.seed,
        max_steps,
        args.episodes,
    );
    policy.finish();
    let flushed = runner.trace.flush();
    let rows = runner.trace.rows;
    let summary = runner.summary();
    drop(runner);

    if let End::OutputClosed = end {
        return ExitCode::SUCCESS;
    }
    let mut code = ExitCode::SUCCESS;
    if let Err(e) = flushed {
        if to_stdout && e.kind() == io::ErrorKind::BrokenPipe {
            return ExitCode::SUCCESS;
        }
        eprintln!("error: cannot write the trace: {e}");
        code = ExitCode::from(1);
    }
    if let (Some(p), Some(path)) = (&plot, &args.plot)
        && let Err(e) = p.write(path, &info.name)
    {
        eprintln!("error: cannot write the plot {}: {e}", path.display());
        code = ExitCode::from(1);
    }
    match end {
        End::Finished | End::OutputClosed => {}
        End::PolicyDone(note) => eprintln!("note: {note}; the run ends here"),
        End::Failed(message) => {
            eprintln!("error: {message}");
            if let Some(out) = &args.out {
                eprintln!(
                    "note: the trace up to here ({rows} row{}) is in {}",
                    if rows == 1 { "" } else { "s" },
                    out.display()
                );
            }
            code = ExitCode::from(1);
        }
    }
    eprintln!("{summary}");
    code
}

/// How a run ended.
enum End {
    /// The step or episode limit was reached.
    Finished,
    /// The policy had no more actions (a note for the user).
    PolicyDone(String),
    /// An error (policy, environment, output).
    Failed(String),
    /// stdout was closed (`plantc run ... | head`): stop quietly.
    OutputClosed,
}

struct Runner<'a> {
    info: &'a ModelInfo,
    trace: Trace,
    to_stdout: bool,
    plot: Option<&'a mut Plot>,
    with_states: bool,
    totals: Vec<f64>,
    steps: u64,
    ended: u64,
    episode: u64,
    /// Plant time of the episodes that ended.
    plant_time: f64,
    clipped_steps: u64,
    states: Vec<f64>,
}

/// The values of one row, owned (the environment's slices are borrowed only briefly).
struct RowData {
    step: u64,
    time: f64,
    obs: Vec<f64>,
    action: Option<Vec<f64>>,
    rewards: Option<Vec<f64>>,
    terminated: bool,
    truncated: bool,
}

impl Runner<'_> {
    fn run(
        &mut self,
        mut env: Env,
        options: &ResetOptions,
        policy: &mut dyn policy::Policy,
        seed: u64,
        max_steps: u64,
        max_episodes: Option<u64>,
    ) -> End {
        if let Err(e) = env.set_default_options(options) {
            return End::Failed(e.to_string());
        }
        let mut last = match self.reset(&mut env, Some(seed)) {
            Ok(r) => r,
            Err(end) => return end,
        };
        let started = Instant::now();
        let mut progress: Option<indicatif::ProgressBar> = None;
        let show_progress = io::stderr().is_terminal();
        let end = loop {
            let episodes_done = max_episodes.is_some_and(|n| self.ended >= n);
            if self.steps >= max_steps || episodes_done {
                break End::Finished;
            }
            if show_progress && progress.is_none() && self.steps.is_multiple_of(64) {
                if started.elapsed() > Duration::from_secs(1) {
                    progress = Some(progress_bar(max_steps, max_episodes));
                }
            } else if let Some(p) = &progress
                && self.steps.is_multiple_of(64)
            {
                p.set_position(if max_steps == u64::MAX {
                    self.ended
                } else {
                    self.steps
                });
            }
            let action = {
                let row = self.row(&last);
                match policy.act(&env, &row) {
                    Ok(a) => a,
                    Err(Stop::Done(note)) => break End::PolicyDone(note),
                    Err(Stop::Failed(e)) => break End::Failed(e),
                }
            };
            let data = match env.step(&action) {
                Ok(s) => {
                    if !s.info.clipped.is_empty() {
                        self.clipped_steps += 1;
                    }
                    RowData {
                        step: s.info.steps,
                        time: s.info.time,
                        obs: s.obs.to_vec(),
                        action: Some(action),
                        rewards: Some(s.rewards.to_vec()),
                        terminated: s.terminated,
                        truncated: s.truncated,
                    }
                }
                Err(e) => {
                    let step = last.step + 1;
                    break End::Failed(match e {
                        EnvError::Action(a) => format!(
                            "episode {}, step {step}: the policy's action was refused: {a}",
                            self.episode
                        ),
                        e => format!("episode {}, step {step}: {e}", self.episode),
                    });
                }
            };
            self.steps += 1;
            for (t, r) in self.totals.iter_mut().zip(data.rewards.iter().flatten()) {
                *t += r;
            }
            if let Err(end) = self.record(&env, &data) {
                break end;
            }
            last = data;
            if last.terminated || last.truncated {
                self.ended += 1;
                self.plant_time += last.time;
                if let Err(Stop::Failed(e) | Stop::Done(e)) =
                    policy.episode_end(&env, &self.row(&last))
                {
                    break End::Failed(e);
                }
                let episodes_done = max_episodes.is_some_and(|n| self.ended >= n);
                if self.steps >= max_steps || episodes_done {
                    break End::Finished;
                }
                self.episode += 1;
                last = match self.reset(&mut env, None) {
                    Ok(r) => r,
                    Err(end) => break end,
                };
            }
        };
        if let Some(p) = progress {
            p.finish_and_clear();
        }
        if !(last.terminated || last.truncated) {
            self.plant_time += last.time;
        }
        end
    }

    fn reset(&mut self, env: &mut Env, seed: Option<u64>) -> Result<RowData, End> {
        let obs = match env.reset(seed, None) {
            Ok(o) => o.to_vec(),
            Err(e) => {
                return Err(End::Failed(format!("episode {}, reset: {e}", self.episode)));
            }
        };
        let data = RowData {
            step: 0,
            time: 0.0,
            obs,
            action: None,
            rewards: None,
            terminated: false,
            truncated: false,
        };
        self.record(env, &data)?;
        Ok(data)
    }

    fn row<'r>(&'r self, d: &'r RowData) -> Row<'r> {
        Row {
            episode: self.episode,
            step: d.step,
            time: d.time,
            obs: &d.obs,
            action: d.action.as_deref(),
            rewards: d.rewards.as_deref(),
            terminated: d.terminated,
            truncated: d.truncated,
            states: &self.states,
        }
    }

    /// Write a row to the trace and the plot.
    fn record(&mut self, env: &Env, d: &RowData) -> Result<(), End> {
        let need_states = self.with_states || self.plot.as_ref().is_some_and(|p| p.needs_states());
        self.states.clear();
        if need_states {
            let mem = env.memory();
            self.states.extend(
                self.info
                    .states
                    .iter()
                    .map(|&s| mem[s] / self.info.vars[s].unit.scale),
            );
        }
        let row = Row {
            episode: self.episode,
            step: d.step,
            time: d.time,
            obs: &d.obs,
            action: d.action.as_deref(),
            rewards: d.rewards.as_deref(),
            terminated: d.terminated,
            truncated: d.truncated,
            states: if self.with_states { &self.states } else { &[] },
        };
        if let Err(e) = self.trace.row(&row) {
            return Err(if self.to_stdout && e.kind() == io::ErrorKind::BrokenPipe {
                End::OutputClosed
            } else {
                End::Failed(format!("cannot write the trace: {e}"))
            });
        }
        if let Some(p) = self.plot.as_mut() {
            p.record(&row, &self.states);
        }
        Ok(())
    }

    /// The one-line summary printed at the end.
    fn summary(&self) -> String {
        let plural = |n: u64, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut s = format!(
            "{}: {}, {} ({} ended), {} s of plant time",
            self.info.name,
            plural(self.steps, "step"),
            plural(self.episode + 1, "episode"),
            self.ended,
            short(self.plant_time),
        );
        if self.info.agents_declared {
            let parts: Vec<String> = self
                .info
                .agents
                .iter()
                .zip(&self.totals)
                .map(|(a, t)| format!("{} {}", a.name, short(*t)))
                .collect();
            s.push_str(&format!(", total reward: {}", parts.join(", ")));
        } else if let Some(t) = self.totals.first() {
            s.push_str(&format!(", total reward {}", short(*t)));
        }
        if self.clipped_steps > 0 {
            s.push_str(&format!(
                ", {} with clipped actions",
                plural(self.clipped_steps, "step")
            ));
        }
        s
    }
}

/// A number for the summary: at most 7 significant digits (`20.000000000000004` is `20`).
fn short(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..15).contains(&magnitude) {
        return format!("{x:.6e}");
    }
    let decimals = (6 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn progress_bar(max_steps: u64, max_episodes: Option<u64>) -> indicatif::ProgressBar {
    let (len, what) = if max_steps == u64::MAX {
        (max_episodes.unwrap_or(0), "episodes")
    } else {
        (max_steps, "steps")
    };
    let p = indicatif::ProgressBar::new(len);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        p.set_style(style);
    }
    p
}

/// `--init` and `--param` as reset options, each value checked against its unit.
fn overrides(
    info: &ModelInfo,
    units: &Units,
    inits: &[String],
    params: &[String],
) -> Result<ResetOptions, String> {
    let mut options = ResetOptions::new();
    let groups = [("--init", inits, true), ("--param", params, false)];
    for (flag, items, states) in groups {
        for item in items {
            let Some((name, value)) = item.split_once('=') else {
                return Err(format!(
                    "`{flag} {item}`: write NAME=VALUE, like `{flag} {}`",
                    if states {
                        "tank.h=0.5 m"
                    } else {
                        "tank.area=2 m^2"
                    }
                ));
            };
            let name = name.trim();
            let what = if states { "state" } else { "parameter" };
            let fits = |k: VarKind| {
                if states {
                    // What a reset starts from: states, and the parameters that set
                    // them (`--init silo_a.initial=0.07`, as a recorded episode gives it).
                    matches!(k, VarKind::State | VarKind::DiscreteState | VarKind::Param)
                } else {
                    k == VarKind::Param
                }
            };
            let Some(var) = info.vars.iter().find(|v| v.name == name) else {
                let candidates: Vec<&str> = info
                    .vars
                    .iter()
                    .filter(|v| fits(v.kind))
                    .map(|v| v.name.as_str())
                    .collect();
                let mut m = format!(
                    "`{flag} {item}`: plant `{}` has no {what} `{name}`",
                    info.name
                );
                let close: Vec<&str> =
                    match plantc::units::closest(name, candidates.iter().copied()) {
                        Some(c) => vec![c],
                        None => candidates
                            .iter()
                            .copied()
                            .filter(|c| {
                                c.rsplit('.').next()
                                    == Some(name.rsplit('.').next().unwrap_or(name))
                            })
                            .take(3)
                            .collect(),
                    };
                if !close.is_empty() {
                    let quoted: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
                    m.push_str(&format!(" (did you mean {}?)", quoted.join(" or ")));
                } else if candidates.is_empty() {
                    m.push_str(&format!(" (it has no {what}s)"));
                }
                return Err(m);
            };
            if !fits(var.kind) {
                let kind = match var.kind {
                    VarKind::Param => "a parameter: set it with `--param`",
                    VarKind::State | VarKind::DiscreteState => {
                        "a state: set its initial value with `--init`"
                    }
                    VarKind::Action => "an action: the policy sets it (`--policy const:...`)",
                    VarKind::Algebraic => {
                        "computed from other values: only parameters (`--param`) and states \
                         (`--init`) can be set"
                    }
                };
                return Err(format!("`{flag} {item}`: `{name}` is {kind}"));
            }
            let q = units
                .quantity(value, &var.unit)
                .map_err(|e| format!("`{flag} {item}`: {e}"))?;
            options = options.set_si(name, q.si(&var.unit));
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn summary_numbers() {
        assert_eq!(short(20.000000000000004), "20");
        assert_eq!(short(-2.107864938035643), "-2.107865");
        assert_eq!(short(1000.0), "1000");
        assert_eq!(short(0.00012345678), "0.0001234568");
        assert_eq!(short(1e20), "1.000000e20");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(-1e-9), "-1.000000e-9");
    }
}
