//! The trace of `plantc run`: one row after every reset and one after every environment
//! step, written as CSV or JSON Lines while the run goes on (so a run that fails still
//! leaves the rows before the failure).
//!
//! Columns, in this order:
//!
//! - `episode` (from 0), `step` (steps since the episode's reset; 0 on the reset row),
//!   `time` (plant time in seconds since the reset);
//! - `obs:<name>` for every observation in declaration order, in the observation's unit;
//! - `act:<name>` for every action, the value the policy gave (in the action's declared
//!   unit, or in `[0, 1]` for a `normalized` action; before clipping);
//! - `reward` for a plant without `agent` blocks, else `reward:<agent>` per agent;
//! - `terminated`, `truncated` (`0`/`1` in CSV, booleans in JSON);
//! - with `--states`, `state:<name>` for every state (flat name, e.g. `cascade.h[2]`), in
//!   the state's declared unit (not SI).
//!
//! The reset row has empty action and reward cells (`null` in JSON). Numbers are written
//! in the shortest form that reads back to the same `f64` (plain decimals between 1e-5 and
//! 1e16, exponent form outside), so a trace can be replayed exactly.

use std::fmt::Write as _;
use std::io::{self, Write};

use plant_runtime::ModelInfo;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Csv,
    Jsonl,
}

/// One row of the trace.
pub struct Row<'a> {
    pub episode: u64,
    pub step: u64,
    pub time: f64,
    pub obs: &'a [f64],
    /// `None` on a reset row.
    pub action: Option<&'a [f64]>,
    /// `None` on a reset row.
    pub rewards: Option<&'a [f64]>,
    pub terminated: bool,
    pub truncated: bool,
    /// Every state in its declared unit (empty without `--states`).
    pub states: &'a [f64],
}

/// The column names of a model's trace.
pub fn columns(info: &ModelInfo, with_states: bool) -> Vec<String> {
    let mut c = vec!["episode".to_string(), "step".into(), "time".into()];
    c.extend(info.observations.iter().map(|o| format!("obs:{}", o.name)));
    c.extend(info.actions.iter().map(|a| format!("act:{}", a.name)));
    c.extend(reward_columns(info));
    c.push("terminated".into());
    c.push("truncated".into());
    if with_states {
        c.extend(
            info.states
                .iter()
                .map(|&s| format!("state:{}", info.vars[s].name)),
        );
    }
    c
}

/// `reward` for the implicit single agent, else `reward:<agent>` per agent.
pub fn reward_columns(info: &ModelInfo) -> Vec<String> {
    if info.agents_declared {
        info.agents
            .iter()
            .map(|a| format!("reward:{}", a.name))
            .collect()
    } else {
        vec!["reward".into(); info.agents.len().min(1)]
    }
}

/// Writes rows as they come.
pub struct Trace {
    out: Box<dyn Write>,
    format: Format,
    columns: Vec<String>,
    /// JSON-quoted column names (JSONL keys).
    keys: Vec<String>,
    line: String,
    pub rows: u64,
}

impl Trace {
    /// A trace writing to `out`; the CSV header is written at once.
    pub fn new(
        out: Box<dyn Write>,
        format: Format,
        info: &ModelInfo,
        with_states: bool,
    ) -> io::Result<Trace> {
        let columns = columns(info, with_states);
        let keys = columns
            .iter()
            .map(|c| serde_json::Value::String(c.clone()).to_string())
            .collect();
        let mut t = Trace {
            out,
            format,
            columns,
            keys,
            line: String::new(),
            rows: 0,
        };
        if format == Format::Csv {
            let header = t.columns.join(",");
            writeln!(t.out, "{header}")?;
        }
        Ok(t)
    }

    pub fn row(&mut self, r: &Row<'_>) -> io::Result<()> {
        let mut cells: Vec<Cell> = Vec::with_capacity(self.columns.len());
        cells.push(Cell::Int(r.episode));
        cells.push(Cell::Int(r.step));
        cells.push(Cell::Num(r.time));
        cells.extend(r.obs.iter().map(|&x| Cell::Num(x)));
        let n_actions = self
            .columns
            .iter()
            .filter(|c| c.starts_with("act:"))
            .count();
        match r.action {
            Some(a) => cells.extend(a.iter().map(|&x| Cell::Num(x))),
            None => cells.extend((0..n_actions).map(|_| Cell::Empty)),
        }
        let n_rewards = self
            .columns
            .iter()
            .filter(|c| *c == "reward" || c.starts_with("reward:"))
            .count();
        match r.rewards {
            Some(rw) => cells.extend(rw.iter().take(n_rewards).map(|&x| Cell::Num(x))),
            None => cells.extend((0..n_rewards).map(|_| Cell::Empty)),
        }
        cells.push(Cell::Bool(r.terminated));
        cells.push(Cell::Bool(r.truncated));
        cells.extend(r.states.iter().map(|&x| Cell::Num(x)));

        self.line.clear();
        match self.format {
            Format::Csv => {
                for (i, c) in cells.iter().enumerate() {
                    if i > 0 {
                        self.line.push(',');
                    }
                    match c {
                        Cell::Int(n) => {
                            let _ = write!(self.line, "{n}");
                        }
                        Cell::Num(x) => push_f64(&mut self.line, *x),
                        Cell::Bool(b) => self.line.push(if *b { '1' } else { '0' }),
                        Cell::Empty => {}
                    }
                }
            }
            Format::Jsonl => {
                self.line.push('{');
                for (i, (c, key)) in cells.iter().zip(&self.keys).enumerate() {
                    if i > 0 {
                        self.line.push(',');
                    }
                    self.line.push_str(key);
                    self.line.push(':');
                    match c {
                        Cell::Int(n) => {
                            let _ = write!(self.line, "{n}");
                        }
                        Cell::Num(x) => push_json_f64(&mut self.line, *x),
                        Cell::Bool(b) => self.line.push_str(if *b { "true" } else { "false" }),
                        Cell::Empty => self.line.push_str("null"),
                    }
                }
                self.line.push('}');
            }
        }
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        self.rows += 1;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

enum Cell {
    Int(u64),
    Num(f64),
    Bool(bool),
    Empty,
}

/// Append `x` in the shortest form that reads back to the same `f64`: plain decimals for
/// 1e-5 <= |x| < 1e16 (and 0), exponent form (`1.5e-7`, `2e20`) outside.
pub fn push_f64(s: &mut String, x: f64) {
    let a = x.abs();
    let _ = if a == 0.0 || !x.is_finite() || (1e-5..1e16).contains(&a) {
        write!(s, "{x}")
    } else {
        write!(s, "{x:e}")
    };
}

/// A JSON number (`null` for NaN and infinities, which JSON cannot hold).
pub fn push_json_f64(s: &mut String, x: f64) {
    if x.is_finite() {
        push_f64(s, x);
    } else {
        s.push_str("null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt_f64(x: f64) -> String {
        let mut s = String::new();
        push_f64(&mut s, x);
        s
    }

    #[test]
    fn floats_round_trip() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -2.5,
            0.1 + 0.2,
            1e-5,
            9.999e-6,
            1.5e-7,
            123456789.123,
            1e16,
            2e20,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            std::f64::consts::PI,
        ];
        for x in values {
            let s = fmt_f64(x);
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{s}");
            let j: f64 = serde_json::from_str(&s).unwrap();
            assert_eq!(j, x, "{s}");
            assert!(s.len() < 30, "{s}");
        }
        assert_eq!(fmt_f64(1.0), "1");
        assert_eq!(fmt_f64(1.5e-7), "1.5e-7");
    }
}
