//! One CartPole tick: the native kernel's `tick` against a hand-written Rust tick of
//! Gymnasium's equations (reference/cartpole.md D.4) and the reference interpreter, in
//! the same run. Each iteration restores the same state and runs 100 ticks (pushing
//! right), so the numbers are per 100 ticks. Run: `cargo bench -p plantc --bench tick`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plant_runtime::{Kernel, Rng};

const GRAVITY: f64 = 9.8;
const MASSCART: f64 = 1.0;
const MASSPOLE: f64 = 0.1;
const TOTAL_MASS: f64 = MASSPOLE + MASSCART;
const LENGTH: f64 = 0.5;
const POLEMASS_LENGTH: f64 = MASSPOLE * LENGTH;
const FORCE_MAG: f64 = 10.0;
const TAU: f64 = 0.02;

/// Gymnasium's `CartPoleEnv.step` dynamics with the Euler update, in its operation order.
#[inline(never)]
fn hand_tick(s: &mut [f64; 4], action: f64) {
    let [x, x_dot, theta, theta_dot] = *s;
    let force = if action == 1.0 { FORCE_MAG } else { -FORCE_MAG };
    let costheta = theta.cos();
    let sintheta = theta.sin();
    let temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS;
    let thetaacc = (GRAVITY * sintheta - costheta * temp)
        / (LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS));
    let xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
    *s = [
        x + TAU * x_dot,
        x_dot + TAU * xacc,
        theta + TAU * theta_dot,
        theta_dot + TAU * thetaacc,
    ];
}

const TICKS: usize = 100;

fn cartpole_tick(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/cartpole.plant");
    let ir: Arc<plantc::ir::Model> = plantc::lower_file(path).expect("cartpole")[0].clone();
    let plan = plantc::layout::plan(&ir);
    let jit = plantc::codegen::compile(&ir, &plan).expect("compiles");
    let interp = plantc::interp::Interp::new(ir.clone(), plan.clone());
    let slots = plan.info.layout.slots;
    let states: Vec<usize> = plan.info.states.clone();
    let push = ir.find("push").expect("action").index();

    let mut mem = vec![0.0; slots];
    let mut rng = Rng::seeded(42);
    mem[push] = 1.0;
    jit.reset(&mut mem, &mut rng, &vec![f64::NAN; ir.vars.len()]);
    let init: [f64; 4] = std::array::from_fn(|i| mem[states[i]]);

    // Same bits as the hand-written tick before timing anything.
    let mut hand = init;
    for _ in 0..TICKS {
        hand_tick(&mut hand, 1.0);
        jit.tick(&mut mem, &mut rng);
    }
    let got: [f64; 4] = std::array::from_fn(|i| mem[states[i]]);
    assert_eq!(got, hand, "the JIT tick computes Gymnasium's bits");

    let mut g = c.benchmark_group("cartpole_tick");
    g.throughput(Throughput::Elements(TICKS as u64));
    let restore = |mem: &mut [f64]| {
        for (i, &s) in states.iter().enumerate() {
            mem[s] = init[i];
        }
    };
    g.bench_function("jit", |b| {
        b.iter(|| {
            restore(&mut mem);
            for _ in 0..TICKS {
                jit.tick(black_box(&mut mem), &mut rng);
            }
        })
    });
    g.bench_function("hand_written_rust", |b| {
        let action = 1.0;
        b.iter(|| {
            let mut s = init;
            for _ in 0..TICKS {
                hand_tick(black_box(&mut s), black_box(action));
            }
            black_box(s)
        })
    });
    g.bench_function("interp", |b| {
        b.iter(|| {
            restore(&mut mem);
            for _ in 0..TICKS {
                interp.tick(black_box(&mut mem), &mut rng);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, cartpole_tick);
criterion_main!(benches);
