//! Prints how long checking and flattening takes for generated plants of 1k, 10k and
//! 100k node instances (median of 5 runs each), as JSON lines.
//! Run: `cargo run --release -p plantc --example scaling`.

use std::time::Instant;

fn main() {
    for n in [1_000usize, 10_000, 100_000] {
        let text = plantc::generate::chain_plant(n);
        let mut times = Vec::new();
        let mut vars = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let mut s = plantc::Session::new();
            let f = s.set_source("chain.plant", text.clone());
            let diags = s.diagnostics(f);
            assert!(diags.is_empty(), "{:?}", diags.first());
            vars = s.models(f)[0].vars.len();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{{\"instances\": {n}, \"bytes\": {}, \"vars\": {vars}, \"median_ms\": {:.1}, \"min_ms\": {:.1}, \"us_per_instance\": {:.2}}}",
            text.len(),
            times[2],
            times[0],
            times[2] * 1e3 / n as f64
        );
    }
}
