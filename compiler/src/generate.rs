//! Generated plants of any size, for benchmarks and scaling tests.

use std::fmt::Write;

/// A plant of `n` node instances: a chain of reservoirs, each feeding the next through a
/// valve, with a summing inflow, a parameter per instance, and one observation per
/// hundred instances. Every instance is a separate node instance in the flat model.
pub fn chain_plant(n: usize) -> String {
    let mut s = String::with_capacity(n * 120 + 512);
    s.push_str(
        "node Cell {\n    param area: m^2 = 1 m^2\n    param k: m^2/s = 0.01 m^2/s\n    in inflow: m^3/s sum\n    state h: m = 1 m\n    out outflow: m^3/s = k * h\n    der h = (inflow - outflow) / area\n}\n\nplant Chain {\n    dt 0.1 s\n    decide every 1 s\n",
    );
    for i in 0..n {
        let _ = writeln!(s, "    c{i} = Cell(area: {} m^2)", 1 + i % 7);
    }
    for i in 1..n {
        let _ = writeln!(s, "    bond c{}.outflow -> c{i}.inflow", i - 1);
    }
    if n > 0 {
        s.push_str("    action feed: m^3/s in 0 m^3/s .. 1 m^3/s -> c0.inflow\n");
        for i in (0..n).step_by(100) {
            let _ = writeln!(s, "    observe c{i}.h in 0 m .. 10 m");
        }
        let _ = writeln!(s, "    reward = -abs(c{}.h - 1 m) / 1 m", n - 1);
    }
    s.push_str("}\n");
    s
}
