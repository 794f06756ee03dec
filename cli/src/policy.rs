//! Policies for `plantc run`: where each step's actions come from.
//!
//! - `zero`: every continuous action 0 clipped into its bounds, `bool` false, choice 0 (or
//!   the first allowed choice when the choice is masked).
//! - `random`: uniform in each action's bounds, a fair bool, a uniformly drawn allowed
//!   choice; from a generator of its own seeded from `--seed`, so runs repeat exactly.
//! - `const:V1,V2,...`: one value per action, in declaration order, in the action's
//!   declared unit unless a unit is written (`const:30 L/min,true`).
//! - `csv:PATH`: one row per step from a CSV file whose header names the actions
//!   (`act:<name>` or `<name>`); other columns are ignored and rows without any action
//!   value (the reset rows of a trace) are skipped, so a trace replays as it is.
//! - `exec:CMD`: a program (`sh -c CMD`) reading one JSON object per line on its stdin and
//!   answering each with one line: a JSON array of action values, an object naming them,
//!   or (for a single action) a number. See `docs/running.md` for the protocol.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use plant_runtime::{ActionInfo, ActionSpace, Env, ModelInfo, Rng};
use plantc::quantity::Units;

use crate::trace::{Row, push_json_f64};

/// Why a policy gave no action.
#[derive(Debug)]
pub enum Stop {
    /// The policy has nothing more to give (a CSV file ran out of rows): the run ends
    /// normally with this note.
    Done(String),
    /// The policy failed: the run ends with this error.
    Failed(String),
}

pub trait Policy {
    /// The actions for the next step, given the row just recorded (a reset row or a step
    /// that did not end the episode).
    fn act(&mut self, env: &Env, row: &Row<'_>) -> Result<Vec<f64>, Stop>;
    /// The episode ended with `row` (no action is asked for).
    fn episode_end(&mut self, _env: &Env, _row: &Row<'_>) -> Result<(), Stop> {
        Ok(())
    }
    /// The run is over (normally or not).
    fn finish(&mut self) {}
}

/// Build the policy a `--policy` argument names.
pub fn from_arg(
    spec: &str,
    info: &ModelInfo,
    units: &Units,
    seed: u64,
    timeout: Duration,
) -> Result<Box<dyn Policy>, String> {
    let (kind, rest) = match spec.split_once(':') {
        Some((k, r)) => (k, Some(r)),
        None => (spec, None),
    };
    match (kind, rest) {
        ("zero", None) => Ok(Box::new(Zero)),
        ("random", None) => Ok(Box::new(Random {
            // Its own stream: the environment's generator is seeded with `seed` itself.
            rng: Rng::seeded(seed ^ 0x706f_6c69_6379),
        })),
        ("const", Some(values)) => Ok(Box::new(Const::parse(values, info, units)?)),
        ("csv", Some(path)) => Ok(Box::new(Csv::open(path, info, units.clone())?)),
        ("exec", Some(cmd)) => Ok(Box::new(Exec::spawn(cmd, info, units.clone(), timeout)?)),
        ("zero" | "random", Some(_)) => Err(format!("`--policy {kind}` takes no `:` argument")),
        ("const" | "csv" | "exec", None) => Err(format!(
            "`--policy {kind}` needs an argument: {}",
            match kind {
                "const" => "`const:V1,V2,...`, one value per action",
                "csv" => "`csv:PATH`",
                _ => "`exec:CMD`",
            }
        )),
        _ => {
            let mut m = format!(
                "unknown policy `{spec}`: use zero, random, const:V1,V2,..., csv:PATH or exec:CMD"
            );
            let kinds = ["zero", "random", "const", "csv", "exec"];
            if let Some(k) = plantc::units::closest(kind, kinds) {
                m.push_str(&format!(" (did you mean `{k}`?)"));
            }
            Err(m)
        }
    }
}

/// Every action's name, quoted, for messages.
fn action_names(info: &ModelInfo) -> String {
    info.actions
        .iter()
        .map(|a| format!("`{}`", a.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value an environment takes for action `a` from text written by a user: a number,
/// with or without a unit (converted to the declared unit, or into `[0, 1]` for a
/// `normalized` action); `true`/`false` for a bool.
pub fn action_value(units: &Units, text: &str, a: &ActionInfo) -> Result<f64, String> {
    let text = text.trim();
    match &a.space {
        ActionSpace::Box { lo, hi, normalized } => {
            let q = units
                .quantity(text, &a.unit)
                .map_err(|e| format!("action `{}`: {e}", a.name))?;
            let v = q.in_declared(&a.unit);
            Ok(if *normalized && q.unit.is_some() {
                if hi > lo { (v - lo) / (hi - lo) } else { 0.0 }
            } else {
                v
            })
        }
        ActionSpace::Bool => match text {
            "true" | "1" => Ok(1.0),
            "false" | "0" => Ok(0.0),
            _ => Err(format!(
                "action `{}` is a bool: give true, false, 1 or 0, not `{text}`",
                a.name
            )),
        },
        ActionSpace::Choice { n, .. } => match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!(
                "action `{}` is a choice of {n}: give a whole number from 0 to {}, not `{text}`",
                a.name,
                n.saturating_sub(1)
            )),
        },
    }
}

/// The allowed choices of choice action `k` at the next step.
fn allowed(env: &Env, k: usize, n: u32) -> Vec<u32> {
    (0..n).filter(|&c| env.allowed(k, c)).collect()
}

fn no_choice(a: &ActionInfo, row: &Row<'_>) -> Stop {
    Stop::Failed(format!(
        "no choice of action `{}` is allowed after step {} of episode {} (every mask is false)",
        a.name, row.step, row.episode
    ))
}

/// 0 clipped into the bounds, false, the first allowed choice.
pub struct Zero;

impl Policy for Zero {
    fn act(&mut self, env: &Env, row: &Row<'_>) -> Result<Vec<f64>, Stop> {
        let info = env.info();
        let mut out = Vec::with_capacity(info.actions.len());
        for (k, a) in info.actions.iter().enumerate() {
            out.push(match &a.space {
                ActionSpace::Box { lo, hi, normalized } => {
                    let v = 0.0f64.clamp(*lo, *hi);
                    if *normalized {
                        if hi > lo { (v - lo) / (hi - lo) } else { 0.0 }
                    } else {
                        v
                    }
                }
                ActionSpace::Bool => 0.0,
                ActionSpace::Choice { n, .. } => {
                    let first = (0..*n).find(|&c| env.allowed(k, c));
                    f64::from(first.ok_or_else(|| no_choice(a, row))?)
                }
            });
        }
        Ok(out)
    }
}

/// Uniform over each action's space (allowed choices only).
pub struct Random {
    rng: Rng,
}

impl Policy for Random {
    fn act(&mut self, env: &Env, row: &Row<'_>) -> Result<Vec<f64>, Stop> {
        let info = env.info();
        let mut out = Vec::with_capacity(info.actions.len());
        for (k, a) in info.actions.iter().enumerate() {
            out.push(match &a.space {
                ActionSpace::Box {
                    normalized: true, ..
                } => self.rng.next_f64(),
                ActionSpace::Box { lo, hi, .. } => self.rng.uniform(*lo, *hi),
                ActionSpace::Bool => self.rng.below(2) as f64,
                ActionSpace::Choice { n, .. } => {
                    let ok = allowed(env, k, *n);
                    if ok.is_empty() {
                        return Err(no_choice(a, row));
                    }
                    f64::from(ok[self.rng.below(ok.len() as u64) as usize])
                }
            });
        }
        Ok(out)
    }
}

/// The same values at every step.
pub struct Const {
    values: Vec<f64>,
}

impl Const {
    fn parse(spec: &str, info: &ModelInfo, units: &Units) -> Result<Const, String> {
        let parts: Vec<&str> = if spec.trim().is_empty() {
            Vec::new()
        } else {
            spec.split(',').collect()
        };
        if parts.len() != info.actions.len() {
            return Err(format!(
                "`--policy const:` needs {} value{} (one per action, in order: {}), got {}",
                info.actions.len(),
                if info.actions.len() == 1 { "" } else { "s" },
                action_names(info),
                parts.len()
            ));
        }
        let values = parts
            .iter()
            .zip(&info.actions)
            .map(|(p, a)| action_value(units, p, a))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("`--policy const:{spec}`: {e}"))?;
        Ok(Const { values })
    }
}

impl Policy for Const {
    fn act(&mut self, _env: &Env, _row: &Row<'_>) -> Result<Vec<f64>, Stop> {
        Ok(self.values.clone())
    }
}

/// Actions read from a CSV file, one row per step.
pub struct Csv {
    path: String,
    /// Lines after the header, with their line numbers (1-based).
    lines: std::vec::IntoIter<(usize, String)>,
    /// For each action, its column.
    columns: Vec<usize>,
    units: Units,
    actions: Vec<ActionInfo>,
    used: u64,
}

/// Split one CSV line into cells (double-quoted cells may hold commas; `""` is a quote).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    cells.push(cur);
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

impl Csv {
    fn open(path: &str, info: &ModelInfo, units: Units) -> Result<Csv, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the policy file `{path}`: {e}"))?;
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r').to_string()))
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(format!("the policy file `{path}` is empty"));
        };
        let header = csv_cells(&header);
        let mut columns = Vec::new();
        for a in &info.actions {
            let prefixed = format!("act:{}", a.name);
            let found = header
                .iter()
                .position(|h| *h == prefixed)
                .or_else(|| header.iter().position(|h| *h == a.name));
            match found {
                Some(c) => columns.push(c),
                None => {
                    let mut m = format!(
                        "the policy file `{path}` has no column for action `{}` (name it \
                         `act:{}` or `{}`)",
                        a.name, a.name, a.name
                    );
                    let bare: Vec<&str> = header
                        .iter()
                        .map(|h| h.strip_prefix("act:").unwrap_or(h))
                        .collect();
                    if let Some(c) = plantc::units::closest(&a.name, bare) {
                        m.push_str(&format!("; did you mean the column `{c}`?"));
                    }
                    return Err(m);
                }
            }
        }
        Ok(Csv {
            path: path.to_string(),
            lines: lines.collect::<Vec<_>>().into_iter(),
            columns,
            units,
            actions: info.actions.clone(),
            used: 0,
        })
    }
}

impl Policy for Csv {
    fn act(&mut self, _env: &Env, _row: &Row<'_>) -> Result<Vec<f64>, Stop> {
        loop {
            let Some((no, line)) = self.lines.next() else {
                return Err(Stop::Done(format!(
                    "the policy file `{}` has no more rows after {} step{}",
                    self.path,
                    self.used,
                    if self.used == 1 { "" } else { "s" }
                )));
            };
            let cells = csv_cells(&line);
            let cell = |c: usize| cells.get(c).map(String::as_str).unwrap_or("");
            if self.columns.iter().all(|&c| cell(c).is_empty()) {
                // A reset row of a trace.
                continue;
            }
            let mut out = Vec::with_capacity(self.columns.len());
            for (a, &c) in self.actions.iter().zip(&self.columns) {
                let text = cell(c);
                if text.is_empty() {
                    return Err(Stop::Failed(format!(
                        "{}:{no}: no value for action `{}`",
                        self.path, a.name
                    )));
                }
                out.push(
                    action_value(&self.units, text, a)
                        .map_err(|e| Stop::Failed(format!("{}:{no}: {e}", self.path)))?,
                );
            }
            self.used += 1;
            return Ok(out);
        }
    }
}

/// An external program answering JSON lines.
pub struct Exec {
    cmd: String,
    child: Child,
    stdin: Option<ChildStdin>,
    answers: Receiver<std::io::Result<String>>,
    timeout: Duration,
    info: ModelInfo,
    units: Units,
    sent: u64,
    message: String,
}

/// At most this many characters of a line in a message.
const SHOW: usize = 300;

fn shorten(s: &str) -> String {
    let s = s.trim_end();
    if s.chars().count() <= SHOW {
        s.to_string()
    } else {
        let cut: String = s.chars().take(SHOW).collect();
        format!("{cut}...")
    }
}

impl Exec {
    fn spawn(cmd: &str, info: &ModelInfo, units: Units, timeout: Duration) -> Result<Exec, String> {
        if cmd.trim().is_empty() {
            return Err("`--policy exec:` needs a command, like `exec:python3 policy.py`".into());
        }
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(cmd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // Its own process group, so stopping it stops what `sh` started too.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start the policy `{cmd}` with sh: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let (tx, rx) = channel();
        if let Some(stdout) = stdout {
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let failed = line.is_err();
                    if tx.send(line).is_err() || failed {
                        break;
                    }
                }
            });
        }
        Ok(Exec {
            cmd: cmd.to_string(),
            child,
            stdin,
            answers: rx,
            timeout,
            info: info.clone(),
            units,
            sent: 0,
            message: String::new(),
        })
    }

    /// The JSON line describing `row`.
    fn message(&self, env: &Env, row: &Row<'_>) -> String {
        let info = &self.info;
        let key = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        let mut m = String::with_capacity(256);
        m.push_str(&format!(
            "{{\"episode\":{},\"step\":{},\"time\":",
            row.episode, row.step
        ));
        push_json_f64(&mut m, row.time);
        m.push_str(",\"obs\":{");
        for (i, (o, &x)) in info.observations.iter().zip(row.obs).enumerate() {
            if i > 0 {
                m.push(',');
            }
            m.push_str(&key(&o.name));
            m.push(':');
            push_json_f64(&mut m, x);
        }
        m.push_str("},\"reward\":");
        match row.rewards {
            None => m.push_str("null"),
            Some(r) if !info.agents_declared => {
                push_json_f64(&mut m, r.first().copied().unwrap_or(0.0))
            }
            Some(r) => {
                m.push('{');
                for (i, (a, &x)) in info.agents.iter().zip(r).enumerate() {
                    if i > 0 {
                        m.push(',');
                    }
                    m.push_str(&key(&a.name));
                    m.push(':');
                    push_json_f64(&mut m, x);
                }
                m.push('}');
            }
        }
        m.push_str(&format!(
            ",\"terminated\":{},\"truncated\":{},\"mask\":{{",
            row.terminated, row.truncated
        ));
        let mut first = true;
        for (k, a) in info.actions.iter().enumerate() {
            if let ActionSpace::Choice {
                n,
                mask_slot: Some(_),
                ..
            } = &a.space
            {
                if !first {
                    m.push(',');
                }
                first = false;
                m.push_str(&key(&a.name));
                m.push_str(":[");
                let bools: Vec<&str> = (0..*n)
                    .map(|c| if env.allowed(k, c) { "true" } else { "false" })
                    .collect();
                m.push_str(&bools.join(","));
                m.push(']');
            }
        }
        m.push_str("}}");
        m
    }

    /// What the child's exit looks like, waiting briefly for it to exit.
    fn exit_status(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => return format!("exited ({s})"),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => return "closed its output".into(),
            }
        }
    }

    fn send(&mut self, env: &Env, row: &Row<'_>) -> Result<(), Stop> {
        self.message = self.message(env, row);
        self.sent += 1;
        let ok = match self.stdin.as_mut() {
            Some(w) => writeln!(w, "{}", self.message)
                .and_then(|()| w.flush())
                .is_ok(),
            None => false,
        };
        if ok {
            Ok(())
        } else {
            let status = self.exit_status();
            Err(Stop::Failed(format!(
                "the policy `{}` {status} before reading line {}: {}",
                self.cmd,
                self.sent,
                shorten(&self.message)
            )))
        }
    }

    fn parse_answer(&self, answer: &str) -> Result<Vec<f64>, String> {
        let actions = &self.info.actions;
        let value: serde_json::Value =
            serde_json::from_str(answer).map_err(|e| format!("it is not JSON ({e})"))?;
        let one = |v: &serde_json::Value, a: &ActionInfo| -> Result<f64, String> {
            match v {
                serde_json::Value::Number(n) => n
                    .as_f64()
                    .ok_or_else(|| format!("action `{}`: {n} is not a number", a.name)),
                serde_json::Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
                serde_json::Value::String(s) => action_value(&self.units, s, a),
                other => Err(format!(
                    "action `{}`: expected a number, not {other}",
                    a.name
                )),
            }
        };
        match &value {
            serde_json::Value::Array(items) => {
                if items.len() != actions.len() {
                    return Err(format!(
                        "expected {} action value{} ({}), got {}",
                        actions.len(),
                        if actions.len() == 1 { "" } else { "s" },
                        action_names(&self.info),
                        items.len()
                    ));
                }
                items.iter().zip(actions).map(|(v, a)| one(v, a)).collect()
            }
            serde_json::Value::Object(map) => {
                for k in map.keys() {
                    if !actions.iter().any(|a| a.name == *k) {
                        let mut m = format!("`{k}` is not an action of this plant");
                        if let Some(c) =
                            plantc::units::closest(k, actions.iter().map(|a| a.name.as_str()))
                        {
                            m.push_str(&format!(" (did you mean `{c}`?)"));
                        } else {
                            m.push_str(&format!("; the actions are {}", action_names(&self.info)));
                        }
                        return Err(m);
                    }
                }
                actions
                    .iter()
                    .map(|a| match map.get(&a.name) {
                        Some(v) => one(v, a),
                        None => Err(format!("no value for action `{}`", a.name)),
                    })
                    .collect()
            }
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) if actions.len() == 1 => {
                Ok(vec![one(&value, &actions[0])?])
            }
            _ => Err(format!(
                "expected a JSON array of {} action value{} or an object naming the actions",
                actions.len(),
                if actions.len() == 1 { "" } else { "s" }
            )),
        }
    }
}

impl Policy for Exec {
    fn act(&mut self, env: &Env, row: &Row<'_>) -> Result<Vec<f64>, Stop> {
        self.send(env, row)?;
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.answers.recv_timeout(left) {
                Ok(Ok(line)) if line.trim().is_empty() => continue,
                Ok(Ok(line)) => {
                    return self.parse_answer(line.trim()).map_err(|e| {
                        Stop::Failed(format!(
                            "the policy `{}` answered line {} with `{}`: {e}\n  line {} was: {}",
                            self.cmd,
                            self.sent,
                            shorten(&line),
                            self.sent,
                            shorten(&self.message)
                        ))
                    });
                }
                Ok(Err(e)) => {
                    return Err(Stop::Failed(format!(
                        "cannot read the answer of the policy `{}` to line {}: {e}",
                        self.cmd, self.sent
                    )));
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    return Err(Stop::Failed(format!(
                        "the policy `{}` did not answer line {} within {} s (--policy-timeout): {}",
                        self.cmd,
                        self.sent,
                        self.timeout.as_secs_f64(),
                        shorten(&self.message)
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.exit_status();
                    return Err(Stop::Failed(format!(
                        "the policy `{}` {status} without answering line {}: {}",
                        self.cmd,
                        self.sent,
                        shorten(&self.message)
                    )));
                }
            }
        }
    }

    fn episode_end(&mut self, env: &Env, row: &Row<'_>) -> Result<(), Stop> {
        self.send(env, row)
    }

    fn finish(&mut self) {
        // End of input tells the policy to exit; give it a moment, then stop it.
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => break,
            }
        }
        self.kill();
    }
}

impl Exec {
    /// Stop the policy and everything in its process group.
    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            #[cfg(unix)]
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Exec {
    fn drop(&mut self) {
        self.stdin = None;
        self.kill();
    }
}
