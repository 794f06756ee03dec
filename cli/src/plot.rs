//! `plantc run --plot PATH.svg`: series against time, one panel per series (each with its
//! own unit and scale), stacked over a shared time axis.
//!
//! The time axis is the run's plant time: episodes follow one another, each starting where
//! the previous one ended, with a dashed line at every reset. Observations and states are
//! drawn at every row, actions as steps (held over the step they were given for), rewards
//! at the end of each step. Long series are thinned to the minimum and maximum of each
//! pixel-wide bucket, so spikes stay visible.

use std::path::Path;

use plant_runtime::ModelInfo;
use plotters::prelude::*;

use crate::trace::Row;

/// Where a series' values come from.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Source {
    Obs(usize),
    Act(usize),
    Reward(usize),
    /// Index into `ModelInfo::states`.
    State(usize),
}

struct Series {
    label: String,
    source: Source,
    /// One polyline per episode.
    segments: Vec<Vec<(f64, f64)>>,
}

pub struct Plot {
    series: Vec<Series>,
    /// Run time at which the current episode started.
    offset: f64,
    /// Run time of the previous row.
    last_x: f64,
    /// Run times of the resets after the first.
    resets: Vec<f64>,
    rows: u64,
}

fn with_unit(name: String, unit: &str) -> String {
    if unit == "1" || unit.is_empty() {
        name
    } else {
        format!("{name} [{unit}]")
    }
}

impl Plot {
    /// A plot of `names` (every observation when empty). A name is `obs:<name>`,
    /// `act:<name>`, `reward`, `reward:<agent>`, `state:<name>`, or a bare name looked up
    /// among observations, actions, states and agents, in that order.
    pub fn new(info: &ModelInfo, names: &[String]) -> Result<Plot, String> {
        let mut all: Vec<(String, Source, String)> = Vec::new();
        for (i, o) in info.observations.iter().enumerate() {
            all.push((o.name.clone(), Source::Obs(i), o.unit.display.clone()));
        }
        for (i, a) in info.actions.iter().enumerate() {
            let unit = match a.space {
                plant_runtime::ActionSpace::Box {
                    normalized: true, ..
                } => "normalized".to_string(),
                _ => a.unit.display.clone(),
            };
            all.push((a.name.clone(), Source::Act(i), unit));
        }
        for (k, &s) in info.states.iter().enumerate() {
            let v = &info.vars[s];
            all.push((v.name.clone(), Source::State(k), v.unit.display.clone()));
        }
        for (i, a) in info.agents.iter().enumerate() {
            all.push((a.name.clone(), Source::Reward(i), String::new()));
        }
        let prefix = |s: Source| match s {
            Source::Obs(_) => "obs",
            Source::Act(_) => "act",
            Source::Reward(_) => "reward",
            Source::State(_) => "state",
        };
        let label = |name: &str, s: Source, unit: &str| match s {
            Source::Reward(_) if !info.agents_declared => "reward".to_string(),
            _ => with_unit(format!("{}:{name}", prefix(s)), unit),
        };
        let mut series = Vec::new();
        let wanted: Vec<String> = if names.is_empty() {
            info.observations
                .iter()
                .map(|o| format!("obs:{}", o.name))
                .collect()
        } else {
            names.iter().map(|n| n.trim().to_string()).collect()
        };
        for want in &wanted {
            let found = if want == "reward" {
                all.iter()
                    .find(|(_, s, _)| matches!(s, Source::Reward(_)))
                    .filter(|_| !info.agents_declared || info.agents.len() == 1)
            } else if let Some((p, rest)) = want.split_once(':')
                && ["obs", "act", "reward", "state"].contains(&p)
            {
                all.iter().find(|(n, s, _)| n == rest && prefix(*s) == p)
            } else {
                all.iter().find(|(n, _, _)| n == want)
            };
            match found {
                Some((n, s, u)) => series.push(Series {
                    label: label(n, *s, u),
                    source: *s,
                    segments: vec![Vec::new()],
                }),
                None => {
                    let mut candidates: Vec<String> = all
                        .iter()
                        .map(|(n, s, _)| format!("{}:{n}", prefix(*s)))
                        .collect();
                    candidates.extend(all.iter().map(|(n, _, _)| n.clone()));
                    let mut m = format!("--series: `{want}` is not a series of this plant");
                    if let Some(c) =
                        plantc::units::closest(want, candidates.iter().map(String::as_str))
                    {
                        m.push_str(&format!(" (did you mean `{c}`?)"));
                    } else {
                        let some: Vec<String> = all
                            .iter()
                            .take(8)
                            .map(|(n, s, _)| format!("`{}:{n}`", prefix(*s)))
                            .collect();
                        m.push_str(&format!("; try {}", some.join(", ")));
                    }
                    return Err(m);
                }
            }
        }
        if series.is_empty() {
            return Err(
                "this plant has no observations to plot: choose series with --series".into(),
            );
        }
        Ok(Plot {
            series,
            offset: 0.0,
            last_x: 0.0,
            resets: Vec::new(),
            rows: 0,
        })
    }

    /// Whether the plot reads state values (which `record` then needs).
    pub fn needs_states(&self) -> bool {
        self.series
            .iter()
            .any(|s| matches!(s.source, Source::State(_)))
    }

    /// Add a row; `states` holds every state in its declared unit when
    /// [`Plot::needs_states`].
    pub fn record(&mut self, row: &Row<'_>, states: &[f64]) {
        let reset = row.action.is_none();
        if reset && self.rows > 0 {
            self.offset = self.last_x;
            self.resets.push(self.offset);
            for s in &mut self.series {
                s.segments.push(Vec::new());
            }
        }
        self.rows += 1;
        let x = self.offset + row.time;
        for s in &mut self.series {
            let seg = s.segments.last_mut().expect("one segment per episode");
            match s.source {
                Source::Obs(i) => seg.extend(row.obs.get(i).map(|&y| (x, y))),
                Source::State(k) => seg.extend(states.get(k).map(|&y| (x, y))),
                Source::Act(i) => {
                    if let Some(&y) = row.action.and_then(|a| a.get(i)) {
                        seg.push((self.last_x, y));
                        seg.push((x, y));
                    }
                }
                Source::Reward(i) => {
                    seg.extend(row.rewards.and_then(|r| r.get(i)).map(|&y| (x, y)));
                }
            }
        }
        self.last_x = x;
    }

    /// Draw the SVG.
    pub fn write(&self, path: &Path, title: &str) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<_>| e.to_string();
        const WIDTH: u32 = 1000;
        const PANEL: u32 = 190;
        let height = 50 + PANEL * self.series.len() as u32;
        let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let root = root
            .titled(title, ("sans-serif", 22).into_font())
            .map_err(e)?;
        let x_end = if self.last_x > 0.0 { self.last_x } else { 1.0 };
        let panels = root.split_evenly((self.series.len(), 1));
        for (i, (panel, s)) in panels.iter().zip(&self.series).enumerate() {
            let segments: Vec<Vec<(f64, f64)>> = s
                .segments
                .iter()
                .map(|seg| thin(seg, WIDTH as usize))
                .collect();
            let (mut lo, mut hi) = segments
                .iter()
                .flatten()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, y)| {
                    (lo.min(y), hi.max(y))
                });
            if !(lo.is_finite() && hi.is_finite()) {
                (lo, hi) = (0.0, 1.0);
            }
            let pad = if hi > lo {
                (hi - lo) * 0.05
            } else {
                lo.abs().max(1.0) * 0.1
            };
            let (lo, hi) = (lo - pad, hi + pad);
            let last = i + 1 == self.series.len();
            let mut chart = ChartBuilder::on(panel)
                .caption(&s.label, ("sans-serif", 15).into_font())
                .margin_left(10)
                .margin_right(20)
                .margin_top(4)
                .x_label_area_size(if last { 36 } else { 22 })
                .y_label_area_size(80)
                .build_cartesian_2d(0.0..x_end, lo..hi)
                .map_err(e)?;
            // Enough decimals for the tick spacing, and no `-0.0`.
            let decimals = (-((hi - lo) / 10.0).log10()).ceil().clamp(0.0, 12.0) as usize;
            let y_label = move |y: &f64| {
                let s = format!("{y:.decimals$}");
                if s.trim_start_matches('-')
                    .chars()
                    .all(|c| c == '0' || c == '.')
                {
                    s.trim_start_matches('-').to_string()
                } else {
                    s
                }
            };
            let mut mesh = chart.configure_mesh();
            mesh.light_line_style(WHITE)
                .max_light_lines(0)
                .y_label_formatter(&y_label);
            if last {
                mesh.x_desc("time [s]");
            }
            mesh.draw().map_err(e)?;
            let grey = BLACK.mix(0.35);
            for &r in &self.resets {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(r, lo), (r, hi)],
                        4,
                        4,
                        grey.stroke_width(1),
                    ))
                    .map_err(e)?;
            }
            let color = PALETTE[i % PALETTE.len()].stroke_width(2);
            for seg in segments.iter().filter(|seg| !seg.is_empty()) {
                if seg.len() == 1 {
                    chart
                        .draw_series(std::iter::once(Circle::new(seg[0], 2, color.filled())))
                        .map_err(e)?;
                } else {
                    chart
                        .draw_series(LineSeries::new(seg.iter().copied(), color))
                        .map_err(e)?;
                }
            }
        }
        root.present().map_err(e)
    }
}

/// Distinct, readable line colours (matplotlib's `tab10`).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// At most about `2 * buckets` points: the first and last point and, per bucket of
/// consecutive points, its lowest and highest point in time order.
fn thin(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    if points.len() <= 2 * buckets.max(1) {
        return points.to_vec();
    }
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(2 * buckets + 2);
    out.push(points[0]);
    for chunk in points.chunks(size) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    out.extend(points.last().copied());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_extremes() {
        let mut pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, 0.0)).collect();
        pts[5_000].1 = 7.0;
        pts[7_000].1 = -3.0;
        let t = thin(&pts, 100);
        assert!(t.len() <= 202, "{}", t.len());
        assert!(t.contains(&(5_000.0, 7.0)));
        assert!(t.contains(&(7_000.0, -3.0)));
        assert!(t.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(thin(&pts[..50], 100).len(), 50);
    }
}
