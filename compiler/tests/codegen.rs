//! The native kernel (`plantc::codegen`) on small plants with hand-computed trajectories,
//! and against the reference interpreter: every example and every plant here, several
//! seeds, 1,000 steps of random valid actions, bit-identical memory after every call.

use std::sync::Arc;

use plant_runtime::{Env, Model, Rng, SKIP, Status};
use plantc::{Backend, ir, layout};

struct Built {
    ir: Arc<ir::Model>,
    jit: Model,
    interp: Model,
}

fn build(src: &str) -> Built {
    let models = plantc::lower_str("test.plant", src).unwrap_or_else(|e| panic!("{e}"));
    let ir = models.last().expect("a plant").clone();
    let jit = plantc::build::build(ir.clone(), Backend::Jit).unwrap();
    let interp = plantc::build::build(ir.clone(), Backend::Interp).unwrap();
    assert_eq!(jit.kernel().name(), "jit");
    Built { ir, jit, interp }
}

fn slot(m: &Model, name: &str) -> usize {
    m.info()
        .var(name)
        .unwrap_or_else(|| panic!("no variable {name}"))
}

/// A fresh instance after `reset(seed)` without overrides.
fn reset(m: &Model, seed: u64) -> (Vec<f64>, Rng) {
    let info = m.info();
    let mut mem = vec![0.0; info.layout.slots];
    let mut rng = Rng::seeded(seed);
    m.kernel()
        .reset(&mut mem, &mut rng, &vec![f64::NAN; info.vars.len()]);
    (mem, rng)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Memory without the algebraic slots (which are only defined after a reset, an
/// `observe` or a successful step).
fn without_algebraic(m: &Model, mem: &[f64]) -> Vec<u64> {
    let mut v = bits(mem);
    for &a in &m.info().algebraic {
        v[a] = 0;
    }
    v
}

const DECAY: &str = r#"
plant Decay {
    dt 0.1 s
    integrator INTEGRATOR
    state x: m = 1 m
    der x = -x / 1 s
    observe x
}
"#;

fn decay(integrator: &str) -> Built {
    build(&DECAY.replace("INTEGRATOR", integrator))
}

#[test]
fn euler_matches_hand_arithmetic() {
    let b = decay("euler");
    let (mut mem, mut rng) = reset(&b.jit, 0);
    let x = slot(&b.jit, "x");
    let mut want = 1.0f64;
    for n in 1..=50 {
        assert_eq!(b.jit.kernel().tick(&mut mem, &mut rng), Status::Ok);
        want += 0.1 * (-want / 1.0);
        assert_eq!(mem[x].to_bits(), want.to_bits(), "tick {n}");
        let l = &b.jit.info().layout;
        assert_eq!(mem[l.ticks], n as f64);
        assert_eq!(mem[l.time], n as f64 * 0.1);
    }
}

#[test]
fn rk4_matches_hand_arithmetic_and_the_closed_form() {
    let b = decay("rk4");
    let (mut mem, mut rng) = reset(&b.jit, 0);
    let x = slot(&b.jit, "x");
    let f = |x: f64| -x / 1.0;
    let (dt, h2) = (0.1f64, 0.1f64 * 0.5);
    let mut want = 1.0f64;
    for n in 1..=100 {
        assert_eq!(b.jit.kernel().tick(&mut mem, &mut rng), Status::Ok);
        let k1 = f(want);
        let k2 = f(want + h2 * k1);
        let k3 = f(want + h2 * k2);
        let k4 = f(want + dt * k3);
        want += (dt / 6.0) * (((k1 + 2.0 * k2) + 2.0 * k3) + k4);
        assert_eq!(mem[x].to_bits(), want.to_bits(), "tick {n}");
    }
    assert!((mem[x] - (-10.0f64).exp()).abs() < 1e-8);
}

#[test]
fn rk45_follows_the_exponential_within_tolerance() {
    let b = decay("rk45(rtol: 1e-8, atol: 1e-10)");
    let (mut mem, mut rng) = reset(&b.jit, 0);
    let x = slot(&b.jit, "x");
    let h = mem.len() - 1;
    assert_eq!(mem[h], 0.1, "h starts at dt");
    for n in 1..=100 {
        assert_eq!(b.jit.kernel().tick(&mut mem, &mut rng), Status::Ok);
        let t = n as f64 * 0.1;
        let exact = (-t).exp();
        assert!(
            ((mem[x] - exact) / exact).abs() < 1e-7,
            "t = {t}: {} vs {exact}",
            mem[x]
        );
    }
    assert!(mem[h] > 0.1, "the step size grows on a smooth problem");
}

#[test]
fn rk45_reports_max_steps_and_leaves_the_tick_uncommitted() {
    let b = decay("rk45(rtol: 1e-14, atol: 1e-14, max_steps: 1)");
    for m in [&b.jit, &b.interp] {
        let (mut mem, mut rng) = reset(m, 0);
        let before = mem.clone();
        assert_eq!(
            m.kernel().tick(&mut mem, &mut rng),
            Status::IntegratorMaxSteps
        );
        assert_eq!(bits(&mem), bits(&before), "{}", m.kernel().name());
        assert_eq!(
            m.kernel().step(&mut mem, &mut rng),
            Status::IntegratorMaxSteps
        );
    }
}

#[test]
fn next_equations_read_the_start_of_the_tick() {
    let b = build(
        r#"
plant Swap {
    dt 1 s
    state a: 1 = 1
    state b: 1 = 2
    state n: 1 = 0
    next a = b
    next b = a
    next n = n + 1
    observe a
}
"#,
    );
    let (mut mem, mut rng) = reset(&b.jit, 0);
    let (a, bb, n) = (slot(&b.jit, "a"), slot(&b.jit, "b"), slot(&b.jit, "n"));
    for k in 1..=5 {
        assert_eq!(b.jit.kernel().step(&mut mem, &mut rng), Status::Ok);
        let (wa, wb) = if k % 2 == 1 { (2.0, 1.0) } else { (1.0, 2.0) };
        assert_eq!((mem[a], mem[bb], mem[n]), (wa, wb, k as f64));
        let l = &b.jit.info().layout;
        assert_eq!(mem[l.obs], wa);
        assert_eq!(mem[l.steps], k as f64);
    }
}

const EVENTS: &str = r#"
plant Events {
    dt 0.25 s
    integrator euler
    state x: m = 0 m
    state count: 1 = 0
    state y: 1 = 0
    der x = 1 m/s
    let doubled: m = 2 * x
    when x >= 1 m { x = 0 m; count = count + 1 }
    when count >= 2 and doubled < 1 m { y = count * 10 + doubled / 1 m }
    observe doubled
}
"#;

#[test]
fn events_run_in_order_and_see_each_other() {
    let b = build(EVENTS);
    let (mut mem, mut rng) = reset(&b.jit, 0);
    let (x, count, y) = (slot(&b.jit, "x"), slot(&b.jit, "count"), slot(&b.jit, "y"));
    for _ in 0..4 {
        assert_eq!(b.jit.kernel().step(&mut mem, &mut rng), Status::Ok);
    }
    assert_eq!((mem[x], mem[count], mem[y]), (0.0, 1.0, 0.0));
    for _ in 0..4 {
        assert_eq!(b.jit.kernel().step(&mut mem, &mut rng), Status::Ok);
    }
    // The second clause sees the count and x the first clause just set.
    assert_eq!((mem[x], mem[count], mem[y]), (0.0, 2.0, 20.0));
    assert_eq!(mem[slot(&b.jit, "doubled")], 0.0);
    assert_eq!(mem[b.jit.info().layout.obs], 0.0);
}

const SHOP: &str = r#"
node Worker {
    state remaining: s = 0 s
    der remaining = if remaining > 0 s then -1 else 0
    out idle: bool = remaining <= 0 s
}
plant Shop {
    dt 1 s
    decide when worker.idle
    integrator euler
    worker = Worker()
    state stock: 1 = 3
    state started: 1 = 0
    action job: choice 3 mask [true, stock > 0, stock > 1]
    on decide {
        worker.remaining = if job == 0 then 2 s else if job == 1 then 4 s else 7 s
        stock = stock - job
        started = started + uniform(0, 1)
    }
    observe stock
    observe worker.remaining in 0 min .. 1 min
    reward = stock
    terminate when stock < 0
    truncate after 1 min
}
"#;

#[test]
fn on_decide_decide_when_and_masks() {
    let b = build(SHOP);
    let info = b.jit.info().clone();
    let l = &info.layout;
    let job = slot(&b.jit, "job");
    let (mut mem, mut rng) = reset(&b.jit, 3);
    let mut draws = Rng::seeded(3);
    let mask = info.actions[0].space.clone();
    let mask_at = match mask {
        plant_runtime::ActionSpace::Choice {
            mask_slot: Some(s), ..
        } => s,
        _ => panic!("masked choice"),
    };
    assert_eq!(&mem[mask_at..mask_at + 3], &[1.0, 1.0, 1.0]);
    let mut started = 0.0;
    let mut time = 0.0;
    for (j, ticks, stock) in [(1.0, 4.0, 2.0), (2.0, 7.0, 0.0), (0.0, 2.0, 0.0)] {
        mem[job] = j;
        assert_eq!(b.jit.kernel().step(&mut mem, &mut rng), Status::Ok);
        started += draws.uniform(0.0, 1.0);
        time += ticks;
        assert_eq!(
            mem[l.time], time,
            "decide when stops when the worker is idle"
        );
        assert_eq!(mem[slot(&b.jit, "stock")], stock);
        assert_eq!(mem[slot(&b.jit, "started")], started);
        assert_eq!(mem[l.rewards], stock);
        assert_eq!(mem[slot(&b.jit, "worker.idle")], 1.0);
    }
    assert_eq!(&mem[mask_at..mask_at + 3], &[1.0, 0.0, 0.0]);
    // Observations in their declared unit: 0 s remaining is 0 min.
    assert_eq!(mem[l.obs + 1], 0.0);
    mem[job] = 2.0;
    // 7 s more: stock -2 terminates.
    assert_eq!(b.jit.kernel().step(&mut mem, &mut rng), Status::Ok);
    assert_eq!(mem[l.terminated], 1.0);
    assert_eq!(mem[l.truncated], 0.0);
}

#[test]
fn decide_when_stops_at_the_truncation_time() {
    let b = build(&SHOP.replace("truncate after 1 min", "truncate after 5 s"));
    let l = b.jit.info().layout.clone();
    let (mut mem, mut rng) = reset(&b.jit, 3);
    mem[slot(&b.jit, "job")] = 2.0;
    assert_eq!(b.jit.kernel().step(&mut mem, &mut rng), Status::Ok);
    assert_eq!((mem[l.ticks], mem[l.truncated]), (5.0, 1.0));
}

#[test]
fn decide_when_gives_up_after_the_tick_limit() {
    let b = build(
        r#"
plant Never {
    dt 1 s
    integrator euler
    decide when x < 0 m
    state x: m = 0 m
    der x = 1 m/s
    observe x
}
"#,
    );
    let (mut mem, mut rng) = reset(&b.jit, 0);
    assert_eq!(b.jit.kernel().step(&mut mem, &mut rng), Status::TickLimit);
    let l = &b.jit.info().layout;
    assert_eq!(mem[l.ticks], layout::MAX_TICKS_PER_STEP as f64);
    assert_eq!(mem[l.steps], 0.0);
}

const DRAWS: &str = r#"
plant Draws {
    dt 1 s
    param p: 1 = uniform(5, 6)
    param q: 1 = p * 2
    state a: 1 = uniform(0, 1)
    state b: 1 = uniform(-2, 3)
    state c: 1 = normal(q, 1)
    next a = a
    observe a noise normal(0, 0.1)
    observe b noise uniform(0, 1)
}
"#;

#[test]
fn draws_follow_the_generator_in_model_order() {
    let b = build(DRAWS);
    for seed in [0, 7, 42] {
        let (mem, rng) = reset(&b.jit, seed);
        let mut r = Rng::seeded(seed);
        let p = r.uniform(5.0, 6.0);
        let a = r.uniform(0.0, 1.0);
        let bb = r.uniform(-2.0, 3.0);
        let c = r.normal(p * 2.0, 1.0);
        let oa = a + r.normal(0.0, 0.1);
        let ob = bb + r.uniform(0.0, 1.0);
        let s = |n| mem[slot(&b.jit, n)];
        assert_eq!(
            [s("p"), s("q"), s("a"), s("b"), s("c")],
            [p, p * 2.0, a, bb, c]
        );
        let l = &b.jit.info().layout;
        assert_eq!(&mem[l.obs..l.obs + 2], &[oa, ob]);
        assert_eq!(rng, r, "the same number of draws");
        assert_eq!(&mem[l.prev_states..l.prev_states + 3], &[a, bb, c]);
    }
}

#[test]
fn observation_noise_is_deterministic_per_seed() {
    let b = build(DRAWS);
    let run = |seed| {
        let (mut mem, mut rng) = reset(&b.jit, seed);
        let mut obs = Vec::new();
        for _ in 0..10 {
            b.jit.kernel().step(&mut mem, &mut rng);
            let l = &b.jit.info().layout;
            obs.extend_from_slice(&mem[l.obs..l.obs + 2]);
        }
        obs
    };
    assert_eq!(bits(&run(5)), bits(&run(5)));
    assert_ne!(bits(&run(5)), bits(&run(6)));
}

#[test]
fn overrides_replace_values_but_keep_the_draws() {
    let b = build(DRAWS);
    let info = b.jit.info();
    let mut ov = vec![f64::NAN; info.vars.len()];
    ov[slot(&b.jit, "p")] = 10.0;
    ov[slot(&b.jit, "a")] = 0.5;
    let (plain, _) = reset(&b.jit, 1);
    let mut mem = vec![0.0; info.layout.slots];
    let mut rng = Rng::seeded(1);
    b.jit.kernel().reset(&mut mem, &mut rng, &ov);
    let s = |m: &[f64], n| m[slot(&b.jit, n)];
    assert_eq!(
        (s(&mem, "p"), s(&mem, "q"), s(&mem, "a")),
        (10.0, 20.0, 0.5)
    );
    assert_eq!(s(&mem, "b"), s(&plain, "b"), "later draws unchanged");
    // Shorter override vectors mean no overrides for the rest.
    let mut short = vec![0.0; info.layout.slots];
    b.jit.kernel().reset(&mut short, &mut Rng::seeded(1), &[]);
    assert_eq!(bits(&short), bits(&plain));
}

#[test]
fn non_finite_states_stop_the_step_with_prev_states() {
    let b = build(
        r#"
plant Blow {
    dt 1 s
    decide every 5 s
    integrator euler
    state x: 1 = 1e100
    state k: 1 = 0
    der x = x * x / 1 s
    next k = k + 1
    observe x
}
"#,
    );
    for m in [&b.jit, &b.interp] {
        let (mut mem, mut rng) = reset(m, 0);
        assert_eq!(m.kernel().step(&mut mem, &mut rng), Status::NonFinite);
        let l = &m.info().layout;
        let x1 = 1e100 + 1.0 * (1e100 * 1e100);
        assert_eq!(mem[slot(m, "x")], f64::INFINITY);
        assert_eq!(&mem[l.prev_states..l.prev_states + 2], &[x1, 1.0]);
        assert_eq!((mem[l.ticks], mem[l.time], mem[l.steps]), (2.0, 2.0, 0.0));
        assert_eq!(mem[slot(m, "k")], 2.0);
    }
    let mut env = Env::new(b.jit.clone());
    env.reset(Some(0), None).unwrap();
    let err = env.step(&[]).unwrap_err().to_string();
    assert!(err.contains("`x` became inf at step 1"), "{err}");
}

#[test]
fn step_batch_runs_every_instance_but_skipped_ones() {
    let b = build(SHOP);
    let slots = b.jit.info().layout.slots;
    let n = 5;
    let mut mems = Vec::new();
    let mut rngs = Vec::new();
    for i in 0..n {
        let (mut mem, rng) = reset(&b.jit, i as u64);
        mem[slot(&b.jit, "job")] = (i % 3) as f64;
        mems.extend(mem);
        rngs.push(rng);
    }
    let (mut want, mut want_rngs) = (mems.clone(), rngs.clone());
    let mut status = vec![0u32, SKIP, 0, 0, SKIP];
    b.jit.kernel().step_batch(&mut mems, &mut rngs, &mut status);
    for i in 0..n {
        let mem = &mut want[i * slots..(i + 1) * slots];
        if i == 1 || i == 4 {
            assert_eq!(status[i], SKIP);
        } else {
            assert_eq!(
                b.interp.kernel().step(mem, &mut want_rngs[i]).code(),
                status[i]
            );
        }
    }
    assert_eq!(bits(&mems), bits(&want));
    assert_eq!(rngs, want_rngs);
}

#[test]
fn tick_and_observe_match_the_interpreter() {
    for src in [EVENTS, SHOP, DRAWS, &DECAY.replace("INTEGRATOR", "rk45")] {
        let b = build(src);
        let (mut jm, mut jr) = reset(&b.jit, 9);
        let (mut im, mut ir) = reset(&b.interp, 9);
        assert_eq!(bits(&jm), bits(&im));
        for _ in 0..30 {
            let js = b.jit.kernel().tick(&mut jm, &mut jr);
            let is = b.interp.kernel().tick(&mut im, &mut ir);
            assert_eq!(js, is);
            assert_eq!(
                without_algebraic(&b.jit, &jm),
                without_algebraic(&b.jit, &im)
            );
            assert_eq!(jr, ir);
        }
        b.jit.kernel().observe(&mut jm, &mut jr);
        b.interp.kernel().observe(&mut im, &mut ir);
        assert_eq!(bits(&jm), bits(&im), "{}", b.ir.name);
    }
}

#[test]
fn emit_clif_lists_every_function() {
    let b = build(SHOP);
    let plan = layout::plan(&b.ir);
    let text = plantc::codegen::emit_clif(&b.ir, &plan).unwrap();
    for f in [
        "plant_reset",
        "plant_tick",
        "plant_step",
        "plant_observe",
        "plant_batch",
    ] {
        assert!(text.contains(&format!("; {f}\n")), "{f}");
    }
    assert!(text.contains("call"), "draws are calls");
}

// ----- differential testing against the interpreter ------------------------------------

/// More plants for the differential test: every integrator, units, several agents,
/// branches with draws, pure calls, events that fire and invalidate algebraic values.
const EXTRA: &[&str] = &[
    r#"
plant Pendulum {
    dt 0.05 s
    decide every 0.2 s
    integrator rk4
    param g: m/s^2 = 9.81 m/s^2
    param len: m = uniform(0.8 m, 1.2 m)
    state theta: rad = uniform(-1, 1)
    state omega: 1/s = 0 / 1 s
    action torque: 1/s^2 in -2 / 1 s^2 .. 2 / 1 s^2
    let s: 1 = sin(theta)
    let accel: 1/s^2 = -g / len * s + torque - 0.1 * omega / 1 s
    der theta = omega
    der omega = accel
    let energy: 1 = 0.5 * omega^2 * 1 s^2 + (1 - cos(theta)) * 9.81
    observe theta in -3.2 .. 3.2
    observe omega noise normal(0 / 1 s, 0.01 / 1 s)
    observe height = len * (1 - cos(theta)) in 0 cm .. 300 cm
    reward = -abs(theta) - 0.01 * abs(torque) * 1 s^2 + min(energy, 1) - max(s, 0)
        + clamp(theta, -0.5, 0.5) + sign(omega * 1 s) * 0.1 + round(theta * 3) / 10
        + floor(theta) / 100 + ceil(theta) / 100 + sqrt(abs(theta)) / 100
        + exp(-abs(theta)) / 100 + log(1 + abs(theta)) / 100 + log10(2 + theta) / 100
        + tan(theta / 4) / 100 + atan(theta) / 100 + tanh(theta) / 100
        + sinh(theta / 4) / 100 + cosh(theta / 4) / 100 + pow(2, theta) / 100
        + atan2(theta, 2) / 100 + asin(theta / 4) / 100 + acos(theta / 4) / 100
        + theta^3 / 100
    terminate when abs(theta) > 3 and omega > 100 / 1 s
    truncate after 300 steps
}
"#,
    r#"
node Reactor {
    param k: 1/s = 0.5 / 1 s
    in feed: 1/s
    state c: 1 = 1
    state hot: bool = false
    der c = feed - k * c * c
    out rate: 1/s = k * c
    when c > 1.5 { hot = true }
    when c < 0.5 { hot = false }
}
plant Stiffish {
    dt 0.5 s
    decide every 1 s
    integrator rk45(rtol: 1e-5, atol: 1e-8, max_steps: 1000)
    r1 = Reactor(k: 0.4 / 1 s)
    r2 = Reactor()
    state jumps: 1 = 0
    when r1.c > 1.9 { r1.c = r1.c / 2 + uniform(0, 0.1); jumps = jumps + 1 }
    when jumps > 3 and r2.rate > 0.2 / 1 s { jumps = if r2.c > 1 then normal(0, 1) else 0 }
    agent a {
        action f1: 1/s in 0 / 1 s .. 4 / 1 s -> r1.feed
        action go: bool
        observe r1.c
        reward = -abs(r1.c - 1)
    }
    agent b {
        action f2: 1/s in 0 / 1 s .. 1 / 1 s normalized -> r2.feed
        observe r2.rate in 0 / 1 min .. 60 / 1 min
        observe jumps
    }
}
"#,
    r#"
plant Counter {
    dt 10 ms
    decide when t >= 0.05 s or n > 3
    state t: s = 0 s
    state n: 1 = 0
    state m: 1 = 0
    der t = 1
    next n = if n > 3 then 0 else n + 1
    next m = m + n
    action pick: choice 4 mask [n < 10, n >= 0, m > 5, not (m > 1000)]
    on decide { t = 0 s; m = m + pick }
    observe m
    observe n
    reward = if pick == 2 then 1 else 0
    terminate when m > 500
    truncate after 20 s
}
"#,
    r#"
plant Unstable {
    dt 1 s
    integrator euler
    state x: 1 = uniform(0.5, 1)
    action gain: 1/s in 0 / 1 s .. 300 / 1 s
    der x = gain * x
    observe x
}
"#,
    r#"
plant Stiff {
    dt 1 s
    integrator rk45(rtol: 1e-6, atol: 1e-9, max_steps: 100)
    state y: 1 = 1
    action lam: 1/s in 0 / 1 s .. 400 / 1 s
    action u: 1 in -1 .. 1
    der y = -lam * (y - u)
    observe y
    reward = -abs(y - u)
}
"#,
];

/// A random valid action for the current state of `env`.
fn random_action(env: &Env, r: &mut Rng) -> Vec<f64> {
    env.info()
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| match &a.space {
            plant_runtime::ActionSpace::Box { lo, hi, normalized } => {
                let (lo, hi) = if *normalized { (0.0, 1.0) } else { (*lo, *hi) };
                // Sometimes outside the bounds, to exercise clipping.
                r.uniform(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))
            }
            plant_runtime::ActionSpace::Bool => r.below(2) as f64,
            plant_runtime::ActionSpace::Choice { n, .. } => {
                let allowed: Vec<u32> = (0..*n).filter(|&k| env.allowed(i, k)).collect();
                if allowed.is_empty() {
                    0.0
                } else {
                    allowed[r.below(allowed.len() as u64) as usize] as f64
                }
            }
        })
        .collect()
}

/// Step both kernels in lockstep from `seed` and compare memory after every call.
fn compare(name: &str, jit: &Model, interp: &Model, seed: u64, steps: usize) {
    let mut a = Env::new(jit.clone());
    let mut b = Env::new(interp.clone());
    let mut r = Rng::seeded(seed ^ 0x5eed);
    let ra = a.reset(Some(seed), None).map(<[f64]>::to_vec);
    let rb = b.reset(Some(seed), None).map(<[f64]>::to_vec);
    assert_eq!(format!("{ra:?}"), format!("{rb:?}"), "{name} reset");
    assert_eq!(
        bits(a.memory()),
        bits(b.memory()),
        "{name} seed {seed} reset"
    );
    for k in 0..steps {
        let act = random_action(&a, &mut r);
        let sa = a
            .step(&act)
            .map(|s| (s.terminated || s.truncated, s.info.clipped.to_vec()));
        let sb = b
            .step(&act)
            .map(|s| (s.terminated || s.truncated, s.info.clipped.to_vec()));
        assert_eq!(
            format!("{sa:?}"),
            format!("{sb:?}"),
            "{name} seed {seed} step {k}"
        );
        assert_eq!(a.rng(), b.rng(), "{name} seed {seed} step {k}: draws");
        match sa {
            Ok(done) => {
                assert_eq!(
                    bits(a.memory()),
                    bits(b.memory()),
                    "{name} seed {seed} step {k}"
                );
                if done.0 {
                    a.reset(None, None).unwrap();
                    b.reset(None, None).unwrap();
                    assert_eq!(bits(a.memory()), bits(b.memory()), "{name} reset after {k}");
                }
            }
            Err(_) => {
                assert_eq!(
                    without_algebraic(jit, a.memory()),
                    without_algebraic(jit, b.memory()),
                    "{name} seed {seed} failed step {k}"
                );
                let ra = a.reset(None, None).is_ok();
                let rb = b.reset(None, None).is_ok();
                assert_eq!(ra, rb);
                if !ra {
                    return;
                }
            }
        }
    }
}

#[test]
fn native_code_matches_the_interpreter_bit_for_bit() {
    let mut plants: Vec<(String, Model, Model)> = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir("../examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "plant"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 3);
    for p in paths {
        let models = plantc::lower_file(p.to_str().unwrap()).unwrap_or_else(|e| panic!("{e}"));
        for m in models {
            let jit = plantc::build::build(m.clone(), Backend::Jit).unwrap();
            let interp = plantc::build::build(m.clone(), Backend::Interp).unwrap();
            plants.push((format!("{} ({})", m.name, p.display()), jit, interp));
        }
    }
    for src in EXTRA.iter().copied().chain([EVENTS, SHOP, DRAWS]) {
        let b = build(src);
        plants.push((b.ir.name.clone(), b.jit, b.interp));
    }
    for (name, jit, interp) in &plants {
        for seed in [0, 1, 42, 1234] {
            compare(name, jit, interp, seed, 1000);
        }
    }
}

/// `decide when` checks its condition before each tick: a step that starts with the
/// condition holding makes no tick, and `prev_states` keeps the value of the last tick.
#[test]
fn decide_when_makes_no_tick_when_the_condition_holds() {
    let src = r#"
plant Gate {
    dt 1 s
    decide when open
    state x: 1 = 0
    state wait: 1 = 0
    next x = x + 1
    next wait = if wait > 0 then wait - 1 else 0
    let open: bool = wait <= 0
    action hold: choice 3
    on decide { wait = hold }
    observe x
}
"#;
    let b = build(src);
    for m in [&b.jit, &b.interp] {
        let l = m.info().layout.clone();
        let (mut mem, mut rng) = reset(m, 1);
        let x = slot(m, "x");
        let hold = slot(m, "hold");
        mem[hold] = 2.0;
        assert_eq!(m.kernel().step(&mut mem, &mut rng), Status::Ok);
        assert_eq!((mem[l.ticks], mem[x]), (2.0, 2.0), "{}", m.kernel().name());
        assert_eq!(mem[l.prev_states], 1.0, "x before the last tick");
        mem[hold] = 0.0;
        assert_eq!(m.kernel().step(&mut mem, &mut rng), Status::Ok);
        assert_eq!((mem[l.ticks], mem[x], mem[l.steps]), (2.0, 2.0, 2.0));
        assert_eq!(mem[l.prev_states], 1.0, "no tick: prev_states unchanged");
    }
    let (mut a, mut ra) = reset(&b.jit, 1);
    let (mut c, mut rc) = reset(&b.interp, 1);
    for h in [1.0, 0.0, 0.0, 2.0, 0.0] {
        let hold = slot(&b.jit, "hold");
        a[hold] = h;
        c[hold] = h;
        b.jit.kernel().step(&mut a, &mut ra);
        b.interp.kernel().step(&mut c, &mut rc);
        assert_eq!(bits(&a), bits(&c));
    }
}

/// `min` and `max` with more than two arguments fold from the left, on both kernels.
#[test]
fn min_and_max_take_any_number_of_arguments() {
    let b = build(
        "plant M {\n    dt 1 s\n    state x: 1 = 2\n    next x = x + 1\n    \
         let hi: 1 = max(1, x, 3, -x)\n    let lo: 1 = min(x, 5, -1, x * 2)\n    \
         observe hi\n    observe lo\n}\n",
    );
    for m in [&b.jit, &b.interp] {
        let (mut mem, mut rng) = reset(m, 0);
        let l = m.info().layout.clone();
        assert_eq!(
            &mem[l.obs..l.obs + 2],
            &[3.0, -1.0],
            "{}",
            m.kernel().name()
        );
        m.kernel().step(&mut mem, &mut rng);
        m.kernel().step(&mut mem, &mut rng);
        assert_eq!(
            &mem[l.obs..l.obs + 2],
            &[4.0, -1.0],
            "{}",
            m.kernel().name()
        );
    }
}
