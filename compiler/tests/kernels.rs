//! The native kernel against the reference interpreter: every example, and every plant in
//! the stdlib's test plants, runs under both for 1,000 steps from several seeds with random
//! valid actions (some continuous ones out of bounds, to exercise clipping), and the whole
//! memory of the instance must be bit-identical after every reset and step.

use plant_runtime::{ActionSpace, Env, Model, Rng};
use plantc::{Backend, Options};

fn build(path: &str, plant: Option<&str>, backend: Backend) -> Model {
    plantc::compile_file_with(
        path,
        &Options {
            plant: plant.map(str::to_string),
            backend,
        },
    )
    .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A random valid action for `env`'s next step.
fn random_action(env: &Env, rng: &mut Rng) -> Vec<f64> {
    env.info()
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| match &a.space {
            ActionSpace::Box { lo, hi, normalized } => {
                let (lo, hi) = if *normalized { (0.0, 1.0) } else { (*lo, *hi) };
                let w = hi - lo;
                rng.uniform(lo - 0.1 * w, hi + 0.1 * w)
            }
            ActionSpace::Bool => rng.below(2) as f64,
            ActionSpace::Choice { n, .. } => {
                let allowed: Vec<u32> = (0..*n).filter(|&k| env.allowed(i, k)).collect();
                if allowed.is_empty() {
                    0.0
                } else {
                    allowed[rng.below(allowed.len() as u64) as usize] as f64
                }
            }
        })
        .collect()
}

fn same_bits(a: &[f64], b: &[f64]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x.to_bits() != y.to_bits())
}

fn compare(path: &str, plant: Option<&str>, steps: usize, seeds: &[u64]) {
    let jit = build(path, plant, Backend::Jit);
    let interp = build(path, plant, Backend::Interp);
    let info = jit.info().clone();
    for &seed in seeds {
        let mut a = Env::new(jit.clone());
        let mut b = Env::new(interp.clone());
        let ra = a.reset(Some(seed), None).map(|o| o.to_vec());
        let rb = b.reset(Some(seed), None).map(|o| o.to_vec());
        assert_eq!(ra, rb, "{path}: reset results differ");
        let mut policy = Rng::seeded(seed ^ 0x5eed);
        for step in 0..steps {
            if let Some(i) = same_bits(a.memory(), b.memory()) {
                panic!(
                    "{path} seed {seed}: memory differs before step {step} at slot {i} ({}): jit {} vs interp {}",
                    slot_name(&info, i),
                    a.memory()[i],
                    b.memory()[i]
                );
            }
            let act = random_action(&b, &mut policy);
            let sa = a
                .step(&act)
                .map(|s| (s.terminated || s.truncated, s.obs.to_vec()));
            let sb = b
                .step(&act)
                .map(|s| (s.terminated || s.truncated, s.obs.to_vec()));
            assert_eq!(
                sa.as_ref().map_err(|e| e.to_string()),
                sb.as_ref().map_err(|e| e.to_string()),
                "{path} seed {seed} step {step}"
            );
            match sa {
                Ok((true, _)) | Err(_) => {
                    let ra = a.reset(None, None).map(|o| o.to_vec());
                    let rb = b.reset(None, None).map(|o| o.to_vec());
                    assert_eq!(ra, rb);
                }
                Ok(_) => {}
            }
        }
    }
}

fn slot_name(info: &plant_runtime::ModelInfo, i: usize) -> String {
    if let Some(v) = info.vars.get(i) {
        return v.name.clone();
    }
    let l = &info.layout;
    match i {
        _ if i == l.time => "time".into(),
        _ if i == l.ticks => "ticks".into(),
        _ if i == l.steps => "steps".into(),
        _ if i >= l.obs && i < l.obs + info.observations.len() => {
            format!("obs {}", info.observations[i - l.obs].name)
        }
        _ if i >= l.prev_states && i < l.prev_states + info.states.len() => "prev state".into(),
        _ => format!("slot {i}"),
    }
}

#[test]
fn every_example_runs_bit_identically_under_both_kernels() {
    let mut n = 0;
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("../examples")];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        if path.extension().is_some_and(|e| e == "plant") {
            let p = path.to_string_lossy().into_owned();
            for m in plantc::lower_file(&p).unwrap_or_else(|e| panic!("{e}")) {
                compare(&p, Some(&m.name), 1000, &[0, 1, 42]);
                n += 1;
            }
        }
    }
    assert!(n >= 12, "examples found: {n}");
}

/// Plants that exercise every construct the examples may not: `next`, events that draw,
/// `on decide`, `decide when`, masks, observation noise, normal draws, every built-in
/// function, rk45 with rejections, time truncation, normalized and bool actions.
const FEATURES: &[(&str, &str)] = &[
    (
        "events.plant",
        r#"
node Worker {
    state remaining: s = 0 s
    der remaining = if remaining > 0 s then -1 else 0
    out idle: bool = remaining <= 0 s
}
plant Shop {
    dt 0.5 s
    decide when worker.idle
    integrator euler
    worker = Worker()
    state stock: 1 = 3
    state made: 1 = 0
    state a: 1 = 1
    state b: 1 = 2
    next a = b
    next b = a
    action job: choice 3 mask [true, stock > 0, stock > 1]
    on decide {
        worker.remaining = if job == 0 then uniform(1 s, 2 s) else normal(4 s, 0.5 s)
        stock = stock - job
    }
    when stock < 1 { stock = stock + uniform(1, 4); made = made + 1 }
    observe stock noise normal(0, 0.1)
    observe made
    observe a - b
    reward = made
    truncate after 2 min
}
"#,
    ),
    (
        "functions.plant",
        r#"
plant F {
    dt 0.1 s
    integrator rk45(rtol: 1e-6, atol: 1e-9)
    decide every 0.5 s
    action u: 1 in 0.1 .. 0.9 normalized
    action on: bool
    state x: 1 = uniform(0.1, 0.9)
    state y: 1 = 0.5
    let s: 1 = sin(x) + cos(y) + tan(x * 0.5) + asin(x * 0.5) + acos(y * 0.5) + atan(x)
    let h: 1 = sinh(x) + cosh(y) + tanh(x) + exp(-x) + log(1 + x) + log10(2 + y)
    let r: 1 = min(x, y) + max(x, y) + clamp(x, 0.2, 0.4) + abs(-x) + floor(x * 3)
    let q: 1 = ceil(y * 3) + round(x * 4) + sign(x - 0.5) + sqrt(y * y + 1) + pow(y * y, 0.75)
    let z: 1 = atan2(x, y) + x ^ 2 + y ^ 3 + (x * x + 0.01) ^ 0.5
    der x = -10 * (x - u) / 1 s + (if on then 0.05 else -0.05) / 1 s
    der y = (s + h + r + q + z) * 0.001 / 1 s - 2 * (y - x) / 1 s
    observe x
    observe y
    observe s + h + r + q + z
    reward = -abs(x - 0.5)
    terminate when not (x > -5 and x < 5) or y > 10
    truncate after 300 steps
}
"#,
    ),
    (
        "blowup.plant",
        r#"
plant B {
    dt 0.1 s
    integrator rk45(max_steps: 40)
    action k: 1 in 0 .. 3
    state x: 1 = 1
    der x = k * x * x / 1 s
    observe x
    reward = 0
}
"#,
    ),
];

#[test]
fn feature_plants_run_bit_identically_under_both_kernels() {
    let dir = std::env::temp_dir().join(format!("plantc-kernels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, src) in FEATURES {
        let p = dir.join(name);
        std::fs::write(&p, src).unwrap();
        compare(&p.to_string_lossy(), None, 1000, &[0, 7]);
    }
}

/// Calls mixed at the kernel level: `tick`, `step` and `observe` in random order, with
/// action slots set between calls. The native `step` takes the algebraic values that
/// read only parameters and states from memory (docs/language.md, "Memory after each
/// call"), so every call must leave them right for the next: the memories must agree
/// after every call (after `tick`, except the algebraic slots it leaves unspecified).
#[test]
fn mixed_kernel_calls_agree_under_both_kernels() {
    let examples = [
        "../examples/cartpole.plant",
        "../examples/bglp.plant",
        "../examples/factory.plant",
        "../examples/tank.plant",
    ];
    for path in examples {
        let jit = build(path, None, Backend::Jit);
        let interp = build(path, None, Backend::Interp);
        let info = jit.info().clone();
        let overrides = vec![f64::NAN; info.vars.len()];
        let mut calls = Rng::seeded(7);
        let (mut ma, mut ra) = (vec![0.0; info.layout.slots], Rng::seeded(3));
        let (mut mb, mut rb) = (ma.clone(), ra);
        jit.kernel().reset(&mut ma, &mut ra, &overrides);
        interp.kernel().reset(&mut mb, &mut rb, &overrides);
        for call in 0..200 {
            for a in &info.actions {
                let v = match &a.space {
                    ActionSpace::Box { lo, hi, .. } => calls.uniform(*lo, *hi),
                    ActionSpace::Bool => calls.below(2) as f64,
                    ActionSpace::Choice { .. } => 0.0,
                };
                ma[a.var] = v;
                mb[a.var] = v;
            }
            let what = calls.below(3);
            let (sa, sb) = match what {
                0 => (
                    jit.kernel().tick(&mut ma, &mut ra),
                    interp.kernel().tick(&mut mb, &mut rb),
                ),
                1 => (
                    jit.kernel().step(&mut ma, &mut ra),
                    interp.kernel().step(&mut mb, &mut rb),
                ),
                _ => {
                    jit.kernel().observe(&mut ma, &mut ra);
                    interp.kernel().observe(&mut mb, &mut rb);
                    (plant_runtime::Status::Ok, plant_runtime::Status::Ok)
                }
            };
            assert_eq!(sa, sb, "{path} call {call}");
            let (mut xa, mut xb) = (ma.clone(), mb.clone());
            if what == 0 || sa != plant_runtime::Status::Ok {
                for &a in &info.algebraic {
                    xa[a] = 0.0;
                    xb[a] = 0.0;
                }
            }
            if let Some(i) = same_bits(&xa, &xb) {
                panic!(
                    "{path}: memory differs after call {call} ({}) at slot {i} ({}): jit {} vs interp {}",
                    ["tick", "step", "observe"][what as usize],
                    slot_name(&info, i),
                    xa[i],
                    xb[i]
                );
            }
            if sa != plant_runtime::Status::Ok {
                jit.kernel().reset(&mut ma, &mut ra, &overrides);
                interp.kernel().reset(&mut mb, &mut rb, &overrides);
            }
        }
    }
}
