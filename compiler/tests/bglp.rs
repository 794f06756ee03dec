//! MLPro's BGLP: `examples/bglp.plant` against the golden values of
//! reference/bglp.md A.9 (seed 7's initial levels given as overrides, the published
//! action rows), observations and all five rewards within 1e-12.

use plant_runtime::{Env, ResetOptions};
use plantc::{Backend, Options};

const INITIAL: [f64; 6] = [
    0.07630828937395717,
    0.7799187922401146,
    0.4384092314408935,
    0.7234651778309412,
    0.9779895119966027,
    0.5384958704104337,
];
const BINS: [&str; 6] = [
    "silo_a", "hopper_a", "silo_b", "hopper_b", "silo_c", "hopper_c",
];

/// (action a0..a4, observation after the step, rewards r0..r4)
type Row = ([f64; 5], [f64; 6], [f64; 5]);

const GOLDEN: [Row; 6] = [
    (
        [
            0.6964691855978616,
            0.28613933495037946,
            0.2268514535642031,
            0.5513147690828912,
            0.7194689697855631,
        ],
        [
            0.07630828937395717,
            0.8952039314044009,
            0.5145286344259682,
            0.5186849580507215,
            0.9441000098254054,
            0.6961271420701708,
        ],
        [
            1.2752424461229301,
            2.2421840469547765,
            2.99009900990099,
            2.021354938255557,
            2.0193183753130777,
        ],
    ),
    (
        [
            0.42310646012446096,
            0.9807641983846155,
            0.6848297385848633,
            0.48093190148436094,
            0.3921175181941505,
        ],
        [
            0.07630828937395717,
            0.5906817783227617,
            0.5437134794317097,
            0.7739431998089635,
            0.9397453618896505,
            0.7788752703164155,
        ],
        [
            1.1746881086629677,
            2.1351487129774704,
            2.99009900990099,
            2.0250402001453813,
            2.0247359365693995,
        ],
    ),
    (
        [
            0.3431780161508694,
            0.7290497073840416,
            0.4385722446796244,
            0.05967789660956835,
            0.3980442553304314,
        ],
        [
            0.07630828937395717,
            0.38223658099880903,
            0.7416239271929037,
            0.7534651778309416,
            0.8491026834637315,
            0.8629791668196587,
        ],
        [
            2.03029212422566,
            2.9925558312655087,
            2.99009900990099,
            2.0458052012871293,
            2.0414883739396643,
        ],
    ),
    (
        [1.0; 5],
        [
            0.07630828937395717,
            0.19649299125521935,
            0.78603265279566,
            0.824421221786986,
            0.86838416069297,
            1.0,
        ],
        [
            2.028951551184936,
            2.99009900990099,
            2.338847553626882,
            1.4320725945706148,
            2.083324050844723,
        ],
    ),
    (
        [0.0; 5],
        [
            0.07630828937395717,
            0.278910573672802,
            0.78603265279566,
            0.8039431998089639,
            0.8253072376160464,
            0.9930494505494502,
        ],
        [
            1.9971121470419941,
            2.9651191509280057,
            2.491749394121997,
            1.5873517009869735,
            2.0831072090936917,
        ],
    ),
    (
        [1.0; 5],
        [
            0.07630828937395717,
            0.09316698392921229,
            0.8304413783984165,
            0.8748992437650083,
            0.8445887148452849,
            1.0,
        ],
        [
            1.2229713257291934,
            1.6630704146098296,
            1.5509137924070568,
            1.239532521618953,
            2.1576693692774684,
        ],
    ),
];

fn mlpro_seed_7() -> ResetOptions {
    BINS.iter()
        .zip(INITIAL)
        .fold(ResetOptions::new(), |o, (bin, l)| {
            o.set(&format!("{bin}.initial"), l)
        })
}

#[test]
fn golden_values_of_mlpro_within_1e_12() {
    for backend in [Backend::Interp, Backend::Jit] {
        let model = plantc::compile_file_with(
            "../examples/bglp.plant",
            &Options {
                backend,
                ..Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut env = Env::new(model);
        let obs = env.reset(Some(0), Some(&mlpro_seed_7())).unwrap();
        assert_eq!(
            obs, INITIAL,
            "levels at reset are exactly the initial levels"
        );
        for (k, (action, want_obs, want_rewards)) in GOLDEN.iter().enumerate() {
            let s = env.step(action).unwrap();
            for (i, (got, want)) in s.obs.iter().zip(want_obs).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-12,
                    "{backend:?} step {k} obs {i}: {got} vs {want}"
                );
            }
            for (i, (got, want)) in s.rewards.iter().zip(want_rewards).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-12,
                    "{backend:?} step {k} reward {i}: {got} vs {want}"
                );
            }
        }
    }
}
