//! Environment throughput on CartPole: `Env::step` (native and interpreted) and `VecEnv`
//! with 4,096 instances on one thread. Run: `cargo bench -p plantc --bench env`.
//! The peers (Gymnasium, EnvPool) are measured by `bench/env_peers.py`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plant_runtime::{Env, VecEnv};
use plantc::{Backend, Options};

fn cartpole(backend: Backend) -> plant_runtime::Model {
    plantc::compile_file_with(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/cartpole.plant"),
        &Options {
            backend,
            ..Options::default()
        },
    )
    .expect("cartpole compiles")
}

/// Pseudo-random pushes, fixed in advance so the loop measures only the step.
fn actions(n: usize) -> Vec<f64> {
    let mut s = 0x2545F4914F6CDD1Du64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s & 1) as f64
        })
        .collect()
}

fn env_step(c: &mut Criterion) {
    let acts = actions(4096);
    let mut g = c.benchmark_group("cartpole_env_step");
    g.throughput(Throughput::Elements(1));
    for backend in [Backend::Jit, Backend::Interp] {
        let mut env = Env::new(cartpole(backend));
        env.reset(Some(0), None).unwrap();
        let mut i = 0;
        g.bench_function(format!("{backend:?}").to_lowercase(), |b| {
            b.iter(|| {
                i = (i + 1) & 4095;
                let done = {
                    let s = env.step(&acts[i..i + 1]).unwrap();
                    black_box(s.obs);
                    s.terminated || s.truncated
                };
                if done {
                    env.reset(None, None).unwrap();
                }
            })
        });
    }
    g.finish();
}

fn vec_step(c: &mut Criterion) {
    let n = 4096;
    let acts = actions(n * 8);
    let mut g = c.benchmark_group("cartpole_vec_env_step");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(30);
    let mut v = VecEnv::new(cartpole(Backend::Jit), n, 1).unwrap();
    v.reset(Some(0)).unwrap();
    let mut k = 0;
    g.bench_function("jit_4096_envs_1_thread", |b| {
        b.iter(|| {
            k = (k + 1) % 8;
            black_box(v.step(&acts[k * n..(k + 1) * n]).unwrap().obs);
        })
    });
    g.finish();
}

criterion_group!(benches, env_step, vec_step);
criterion_main!(benches);
