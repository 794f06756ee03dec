//! Checking and flattening cost as plants grow (1k, 10k, 100k node instances), and the
//! cost of checking each example from source, and re-parsing after an edit. Run: `cargo bench -p plantc --bench check`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use plantc::driver::Session;

fn check_and_lower(path: &str, text: &str) -> usize {
    let mut s = Session::new();
    let f = s.set_source(path, text.to_string());
    let d = s.diagnostics(f);
    assert!(d.is_empty(), "{:?}", d.first());
    s.models(f).iter().map(|m| m.vars.len()).sum()
}

fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("check_and_flatten");
    g.sample_size(10);
    // Under `cargo test` (no `--bench`) each benchmark runs once as a smoke test: keep the
    // largest size for real benchmark runs.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if benchmarking {
        &[1_000, 10_000, 100_000]
    } else {
        &[1_000]
    };
    for &n in sizes {
        let text = plantc::generate::chain_plant(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, t| {
            b.iter(|| check_and_lower("chain.plant", t))
        });
    }
    g.finish();
}

/// Parsing a 2,000-line file from scratch, and again after a one-character edit near its
/// middle with the member memo of the previous parse (what the language server does).
fn reparse(c: &mut Criterion) {
    let text = plantc::generate::chain_plant(1000);
    let edited = text.replacen("c500 = Cell(area: 3", "c500 = Cell(area: 35", 1);
    let mut g = c.benchmark_group("parse_2000_lines");
    g.bench_function("fresh", |b| {
        b.iter(|| plantc::syntax::parse("chain.plant", &text))
    });
    let mut memo = plantc::syntax::MemberMemo::default();
    let mut flip = false;
    g.bench_function("after_edit_with_memo", |b| {
        b.iter(|| {
            flip = !flip;
            let t = if flip { &edited } else { &text };
            plantc::syntax::parse_reusing("chain.plant", t, &mut memo)
        })
    });
    g.finish();
}

fn examples(c: &mut Criterion) {
    let mut g = c.benchmark_group("examples");
    for entry in std::fs::read_dir("../examples")
        .expect("examples")
        .flatten()
    {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "plant") {
            let text = std::fs::read_to_string(&p).expect("read");
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            g.bench_function(&name, |b| b.iter(|| check_and_lower(&name, &text)));
        }
    }
    g.finish();
}

criterion_group!(benches, scaling, reparse, examples);
criterion_main!(benches);
