//! The SimReinforce factory: a scripted heuristic manufactures at least 27 items in an
//! episode, and random masked policies respect the masks and never exceed the bound of
//! 30 items (20 worker-seconds per item, two workers, 300 s).

use plant_runtime::{ActionError, Env, EnvError, Rng};
use plantc::{Backend, Options};

fn factory(backend: Backend) -> Env {
    let model = plantc::compile_file_with(
        "../examples/factory.plant",
        &Options {
            backend,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Env::new(model)
}

// Observation layout: filling_a, filling_b, worker_1, worker_2, time, actor.
const A: usize = 0;
const B: usize = 1;
const TIME: usize = 4;
const ACTOR: usize = 5;

/// A scripted two-worker schedule (found by a random search over its thresholds):
/// worker 0 alternates between stage 1 (station 0) and the far stage-2 station (2),
/// worker 1 between the near stage-2 station (1) and stage 3 (3), each moving on when
/// the depot it feeds is stocked or the one it takes from runs dry, and both stopping to
/// walk in the last minute, when a walk no longer pays off. Orders: 0 work (worker 0),
/// 1..=4 walk worker 0 to station k-1, 5 work (worker 1), 6..=9 walk worker 1.
fn heuristic(obs: &[f64], w0_station: f64, w1_station: f64) -> f64 {
    let (a, b) = (obs[A], obs[B]);
    let time_left = (1.0 - obs[TIME]) * 300.0;
    if obs[ACTOR] == 0.0 {
        match w0_station as u32 {
            0 if a < 9.0 && time_left > 58.0 => 0.0,
            0 => 3.0, // to station 2
            2 if a > 2.0 || time_left < 58.0 => 0.0,
            2 => 1.0, // back to stage 1
            _ => 0.0,
        }
    } else {
        match w1_station as u32 {
            1 if b > 0.0 && (b >= 6.0 || a <= 4.0 || time_left < 55.0) => 9.0, // to stage 3
            1 => 5.0,
            3 if b > 0.0 || time_left < 55.0 => 5.0,
            3 if a > 1.0 => 7.0, // back to station 1
            _ => 5.0,
        }
    }
}

fn run_heuristic(backend: Backend) -> f64 {
    let mut env = factory(backend);
    let mut obs = env.reset(Some(0), None).unwrap().to_vec();
    for _ in 0..10_000 {
        let w0 = env.value("w0.station").unwrap();
        let w1 = env.value("w1.station").unwrap();
        let s = env.step(&[heuristic(&obs, w0, w1)]).unwrap();
        obs.copy_from_slice(s.obs);
        if s.terminated {
            return env.value("items").unwrap();
        }
    }
    panic!("the episode did not end");
}

#[test]
fn scripted_heuristic_makes_at_least_27_items() {
    for backend in [Backend::Jit, Backend::Interp] {
        let items = run_heuristic(backend);
        assert!(items >= 27.0, "{backend:?}: {items} items");
    }
}

#[test]
fn random_masked_policies_respect_masks_and_the_bound() {
    let mut env = factory(Backend::Jit);
    for seed in 0..5 {
        let mut rng = Rng::seeded(100 + seed);
        env.reset(Some(seed), None).unwrap();
        let mut total = 0.0;
        let mut steps = 0;
        loop {
            let allowed: Vec<u32> = (0..10).filter(|&k| env.allowed(0, k)).collect();
            assert!(!allowed.is_empty());
            // Only the deciding worker's block is enabled.
            let actor = env.obs()[ACTOR] as u32;
            assert!(allowed.iter().all(|k| k / 5 == actor), "{allowed:?}");
            // A forbidden choice is an error naming its mask.
            if let Some(bad) = (0..10).find(|k| !allowed.contains(k)) {
                match env.step(&[bad as f64]).unwrap_err() {
                    EnvError::Action(ActionError::Masked { choice, mask, .. }) => {
                        assert_eq!(choice, bad);
                        assert!(mask.contains("turn"), "{mask}");
                    }
                    e => panic!("{e:?}"),
                }
            }
            let k = allowed[rng.below(allowed.len() as u64) as usize];
            let s = env.step(&[k as f64]).unwrap();
            total += s.reward();
            steps += 1;
            if s.terminated {
                break;
            }
            assert!(steps < 20_000);
        }
        let items = env.value("items").unwrap();
        assert!(items <= 30.0, "{items}");
        // Rewards: 0.01 + 0.01 per hand-over, 0.98 per item.
        assert!(total >= 0.98 * items - 1e-9);
    }
}
