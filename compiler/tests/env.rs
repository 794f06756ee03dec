//! The environment API on compiled plants, through `plantc::compile_str_with` and
//! `plant_runtime::{Env, VecEnv}`, on both kernels: action validation and clipping,
//! masks, overrides, non-finite diagnosis, episode ends, multi-agent rewards, and the
//! vector environment's autoreset and thread-count independence.

use plant_runtime::{ActionError, Env, EnvError, ResetOptions, VecEnv};
use plantc::{Backend, Options};

const BACKENDS: [Backend; 2] = [Backend::Interp, Backend::Jit];

fn model(src: &str, backend: Backend) -> plant_runtime::Model {
    plantc::compile_str_with(
        "test.plant",
        src,
        &Options {
            backend,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn example(name: &str, backend: Backend) -> plant_runtime::Model {
    plantc::compile_file_with(
        &format!("../examples/{name}"),
        &Options {
            backend,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
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
    state stock: 1 = 2
    action job: choice 3 mask [true, stock > 0, stock > 1]
    action speed: L/min in 0 L/min .. 60 L/min
    action fast: bool
    on decide {
        worker.remaining = if job == 0 then 3 s else if job == 1 then 6 s else 12 s
        stock = stock - job
    }
    observe stock
    observe worker.remaining
    observe speed
    reward = stock
    terminate when stock < 0
}
"#;

#[test]
fn invalid_actions_are_errors_and_change_nothing() {
    for b in BACKENDS {
        let mut env = Env::new(model(SHOP, b));
        env.reset(Some(1), None).unwrap();
        let before = env.memory().to_vec();
        let cases: [(&[f64], &str); 6] = [
            (&[0.0, 1.0], "expected 3 action values, got 2"),
            (&[f64::NAN, 0.0, 0.0], "action `job` is NaN"),
            (&[3.0, 0.0, 0.0], "action `job` is a choice of 3"),
            (&[0.5, 0.0, 0.0], "action `job` is a choice of 3"),
            (&[0.0, 0.0, 0.5], "action `fast` is a bool"),
            (&[0.0, f64::NAN, 0.0], "action `speed` is NaN"),
        ];
        for (action, want) in cases {
            let err = env.step(action).unwrap_err();
            assert!(err.to_string().contains(want), "{err} / {want}");
        }
        assert_eq!(
            env.memory(),
            &before[..],
            "a refused action changes nothing"
        );
        // Two jobs of kind 1 use the stock: then choices 1 and 2 are masked.
        env.step(&[1.0, 0.0, 0.0]).unwrap();
        env.step(&[1.0, 0.0, 0.0]).unwrap();
        assert!(env.allowed(0, 0) && !env.allowed(0, 1) && !env.allowed(0, 2));
        match env.step(&[2.0, 0.0, 0.0]).unwrap_err() {
            EnvError::Action(ActionError::Masked { choice, mask, .. }) => {
                assert_eq!(choice, 2);
                assert_eq!(mask, "stock > 1");
            }
            e => panic!("{e:?}"),
        }
    }
}

#[test]
fn continuous_actions_are_clipped_in_their_declared_unit_and_flagged() {
    for b in BACKENDS {
        let mut env = Env::new(model(SHOP, b));
        env.reset(Some(1), None).unwrap();
        let s = env.step(&[0.0, 90.0, 1.0]).unwrap();
        assert_eq!(s.info.clipped, &[1]);
        assert_eq!(s.obs[2], 60.0, "observed back in L/min");
        let s = env.step(&[0.0, 30.0, 0.0]).unwrap();
        assert!(s.info.clipped.is_empty());
        assert_eq!(env.value("speed"), Some(30.0 / 60000.0), "SI inside");
    }
}

#[test]
fn decide_when_makes_steps_of_different_lengths() {
    for b in BACKENDS {
        let mut env = Env::new(model(SHOP, b));
        env.reset(Some(1), None).unwrap();
        let t0 = env.step(&[0.0, 0.0, 0.0]).unwrap().info.time;
        let t1 = env.step(&[1.0, 0.0, 0.0]).unwrap().info.time;
        assert_eq!((t0, t1 - t0), (3.0, 6.0));
    }
}

#[test]
fn terminated_episodes_need_a_reset() {
    for b in BACKENDS {
        let src = SHOP.replace("stock > 0, stock > 1", "true, true");
        let mut env = Env::new(model(&src, b));
        env.reset(Some(1), None).unwrap();
        let s = env.step(&[2.0, 0.0, 0.0]).unwrap();
        assert!(!s.terminated);
        let s = env.step(&[1.0, 0.0, 0.0]).unwrap();
        assert!(s.terminated && s.reward() == -1.0);
        assert_eq!(
            env.step(&[0.0, 0.0, 0.0]).unwrap_err(),
            EnvError::NeedsReset
        );
        env.reset(None, None).unwrap();
        env.step(&[0.0, 0.0, 0.0]).unwrap();
    }
}

#[test]
fn overrides_replace_values_and_keep_other_draws() {
    let src = r#"
plant P {
    dt 1 s
    param a: m = uniform(1 m, 2 m)
    param b: m = 2 * a
    state x: m = uniform(0 m, 1 m)
    state y: m = uniform(0 m, 1 m)
    der x = 0 m/s
    der y = 0 m/s
    observe a
    observe b
    observe x
    observe y
}
"#;
    for back in BACKENDS {
        let mut env = Env::new(model(src, back));
        let plain = env.reset(Some(5), None).unwrap().to_vec();
        let opts = ResetOptions::new().set("a", 10.0).set_si("x", 0.25);
        let o = env.reset(Some(5), Some(&opts)).unwrap().to_vec();
        assert_eq!(o, [10.0, 20.0, 0.25, plain[3]]);
        let err = ResetOptions::new()
            .set("z", 1.0)
            .resolve(env.info())
            .unwrap_err();
        assert!(err.to_string().contains("`z` is not a parameter or state"));
    }
}

#[test]
fn non_finite_values_name_the_first_culprit() {
    let src = r#"
plant P {
    dt 1 s
    integrator euler
    state x: 1 = 0
    der x = 1 / 1 s
    let r: 1 = 1 / (3 - x)
    state y: 1 = 0
    der y = r / 1 s
    observe y
}
"#;
    for back in BACKENDS {
        let mut env = Env::new(model(src, back));
        env.reset(Some(0), None).unwrap();
        env.step(&[]).unwrap();
        env.step(&[]).unwrap();
        env.step(&[]).unwrap();
        match env.step(&[]).unwrap_err() {
            EnvError::NonFinite {
                var, step, time, ..
            } => assert_eq!((var.as_str(), step, time), ("r", 4, 3.0)),
            e => panic!("{e:?}"),
        }
        assert_eq!(env.step(&[]).unwrap_err(), EnvError::NeedsReset);
    }
}

#[test]
fn multi_agent_plants_report_one_reward_per_agent() {
    for b in BACKENDS {
        let mut env = Env::new(example("cascade.plant", b));
        env.reset(Some(3), None).unwrap();
        assert_eq!(env.info().agents.len(), 2);
        let s = env.step(&[0.5, 1.0]).unwrap();
        assert_eq!(s.rewards.len(), 2);
        assert_eq!(env.agent_obs(1).len(), 1);
    }
}

#[test]
fn same_seed_same_trajectory() {
    for b in BACKENDS {
        let m = example("tank.plant", b);
        let actions: Vec<Vec<f64>> = (0..200).map(|i| vec![(i * 37 % 1800) as f64]).collect();
        let a = plant_runtime::env::trace(&m, 9, &actions).unwrap();
        let c = plant_runtime::env::trace(&m, 9, &actions).unwrap();
        let d = plant_runtime::env::trace(&m, 10, &actions).unwrap();
        assert_eq!(a, c);
        assert_ne!(a, d);
    }
}

#[test]
fn vec_env_autoresets_on_the_next_step() {
    let m = example("cartpole.plant", Backend::Jit);
    let mut v = VecEnv::new(m.clone(), 4, 1).unwrap();
    let first = v.reset(Some(42)).unwrap().to_vec();
    // Instance 0 is seeded 42: Gymnasium's reset.
    assert_eq!(first[0], 0.027395604855596334);
    let mut ended = None;
    for k in 0..40 {
        let s = v.step(&[1.0; 4]).unwrap();
        if let Some(at) = ended {
            assert_eq!(at + 1, k);
            assert!(s.autoreset[0] && !s.terminated[0] && s.rewards[0] == 0.0);
            break;
        }
        if s.terminated[0] {
            ended = Some(k);
        }
    }
    assert_eq!(ended, Some(9), "always right from seed 42 ends at step 10");
}

#[test]
fn vec_env_results_do_not_depend_on_thread_count() {
    let m = example("cartpole.plant", Backend::Jit);
    let n = 64;
    let run = |threads: usize| {
        let mut v = VecEnv::new(m.clone(), n, threads).unwrap();
        let mut all = v.reset(Some(7)).unwrap().to_vec();
        for k in 0..300 {
            let acts: Vec<f64> = (0..n).map(|i| ((i * 7 + k * 3) % 2) as f64).collect();
            let s = v.step(&acts).unwrap();
            all.extend_from_slice(s.obs);
            all.extend_from_slice(s.rewards);
            all.extend(s.terminated.iter().map(|&t| t as u8 as f64));
        }
        all
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn plant_level_observations_are_shared_by_every_agent() {
    let src = r#"
plant Two {
    dt 1 s
    state level: 1 = 0.5
    der level = (a + b - 1) / 10 s
    observe level
    agent first {
        action a: 1 in 0 .. 1
        observe a
        reward = -abs(level - 0.5)
    }
    agent second {
        action b: 1 in 0 .. 1
        reward = -abs(level - 0.4)
    }
}
"#;
    for back in BACKENDS {
        let mut env = Env::new(model(src, back));
        let info = env.info().clone();
        assert_eq!(info.agents[0].observations, [0, 1]);
        assert_eq!(info.agents[1].observations, [0]);
        assert_eq!(info.observations[0].agent, None);
        env.reset(Some(0), None).unwrap();
        let s = env.step(&[1.0, 1.0]).unwrap();
        assert_eq!(s.rewards.len(), 2);
        assert_eq!(env.agent_obs(1), [0.6]);
    }
}
