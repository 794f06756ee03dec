//! Diagnostics after a one-character edit of a 2,000-line file: the time from sending
//! `didChange` (incremental, one character) to receiving `publishDiagnostics`, through the
//! real protocol on in-memory pipes. Also prints which queries the edit re-executed, to
//! show that the other open file is not re-checked.
//! Run: `cargo bench -p plant-lsp --bench edit`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use plant_lsp::harness::Harness;
use serde_json::Value;

// The allocator of the `plantc` binary, which serves `plantc lsp`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn edit_to_diagnostics(c: &mut Criterion) {
    // 1,000 instances and 999 bonds: a little over 2,000 lines.
    let text = plantc::generate::chain_plant(1000);
    let lines = text.lines().count();
    assert!(lines >= 2000, "{lines} lines");
    let uri = "file:///bench/chain.plant";
    let other = "file:///bench/other.plant";
    let mut h = Harness::initialized(None);
    h.open(uri, &text);
    assert!(h.diagnostics(uri).is_empty(), "the generated file is clean");
    h.open(
        other,
        "node Other {\n    param k: m = 1 m\n    out y: m = k\n}\n",
    );
    h.diagnostics(other);

    // The digit of `c500 = Cell(area: 3 m^2)`, flipped between two values.
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            l.find("c500 = Cell(area: ")
                .map(|c| (i as u32, (c + 18) as u32))
        })
        .unwrap();
    let mut version = 2;
    let mut flip = false;
    let mut edit = |h: &mut Harness| {
        flip = !flip;
        h.change_range(
            uri,
            version,
            (line, col),
            (line, col + 1),
            if flip { "5" } else { "3" },
        );
        version += 1;
        black_box(h.diagnostics(uri));
    };

    // What one edit re-executes.
    h.request("plant/executionLog", Value::Null).unwrap();
    edit(&mut h);
    let log = h.request("plant/executionLog", Value::Null).unwrap();
    let checks: Vec<&str> = log["executed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|e| e.starts_with("check_file("))
        .collect();
    eprintln!(
        "queries re-executed by one edit: check_file for {} file(s): {checks:?}",
        checks.len()
    );
    eprintln!("(files: {})", log["files"]);

    let mut g = c.benchmark_group("lsp");
    g.sample_size(30);
    g.bench_function(format!("edit_to_diagnostics_{lines}_lines"), |b| {
        b.iter(|| edit(&mut h))
    });
    g.finish();
}

criterion_group!(benches, edit_to_diagnostics);
criterion_main!(benches);
