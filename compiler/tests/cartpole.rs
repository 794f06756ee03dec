//! CartPole against Gymnasium's golden values (reference/cartpole.md D.6), through the
//! public embedding API and `Env`, on both kernels.

use plant_runtime::Env;
use plantc::{Backend, Options};

const GOLDEN_RESET_42: [f64; 4] = [
    0.027395604855596334,
    -0.006112156024794771,
    0.03585979199113824,
    0.019736802905936393,
];

const GOLDEN_STEPS: [[f64; 4]; 5] = [
    [
        0.02727336173510044,
        0.18847766618842926,
        0.03625452804925697,
        -0.26141976017845603,
    ],
    [
        0.031042915058869025,
        -0.007142550327267516,
        0.031026132845687848,
        0.04247424107791564,
    ],
    [
        0.030900064052323675,
        0.18752107397406803,
        0.03187561766724616,
        -0.2402604465166686,
    ],
    [
        0.03465048553180503,
        0.38217351999064497,
        0.027070408736912792,
        -0.52272095021401,
    ],
    [
        0.04229395593161793,
        0.1866812242286434,
        0.01661598973263259,
        -0.22163221543388395,
    ],
];

fn env(backend: Backend) -> Env {
    let model = plantc::compile_file_with(
        "../examples/cartpole.plant",
        &Options {
            backend,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Env::new(model)
}

#[test]
fn golden_trajectory_from_seed_42() {
    for backend in [Backend::Interp, Backend::Jit] {
        let mut env = env(backend);
        assert_eq!(env.reset(Some(42), None).unwrap(), GOLDEN_RESET_42);
        for (a, want) in [1.0, 0.0, 1.0, 1.0, 0.0].iter().zip(GOLDEN_STEPS) {
            let s = env.step(&[*a]).unwrap();
            assert_eq!(s.obs, want, "{backend:?}");
            assert_eq!(s.reward(), 1.0);
            assert!(!s.terminated && !s.truncated);
        }
    }
}

#[test]
fn always_right_terminates_after_ten_steps() {
    for backend in [Backend::Interp, Backend::Jit] {
        let mut env = env(backend);
        env.reset(Some(42), None).unwrap();
        let mut n = 0;
        loop {
            n += 1;
            let s = env.step(&[1.0]).unwrap();
            if s.terminated {
                assert_eq!(s.obs[2], -0.22034578765190743);
                assert_eq!(s.reward(), 1.0, "the terminating step is rewarded");
                break;
            }
            assert!(n < 10);
        }
        assert_eq!(n, 10);
    }
}

#[test]
fn reset_with_seed_123_matches_float32_observation() {
    let mut env = env(Backend::Jit);
    let obs = env.reset(Some(123), None).unwrap();
    // NumPy prints float32 with 8 significant digits.
    for (got, want) in obs
        .iter()
        .zip([0.01823519, -0.0446179, -0.02796401, -0.03156282])
    {
        assert!(
            ((*got as f32) as f64 - want).abs() < 5e-9,
            "{got} vs {want}"
        );
    }
}
