//! `examples/perfusion.plant`, the CHO perfusion bioreactor of perfusio 0.1.1: the
//! reproduction table of `reference/perfusion.md` §3.4 (default controls, noiseless, clone
//! X), the check of perfusio's `tests/integration/test_virtual_ambr.py`, golden values from
//! perfusio's own simulator, the quirks (ignored controls, clipping, the clone switch), the
//! noise model and the reward.
//!
//! The golden values come from perfusio 0.1.1's `integrate_run` (its `CHOKinetics`,
//! SciPy's `solve_ivp` RK45 with rtol 1e-6, atol 1e-9, max_step 1 h, reported every 24 h)
//! under constant controls. The plant agrees with them within 6e-8 relative except for
//! lactate on day 3 (2.9e-4 relative, see `golden_values_of_perfusio`).

use plant_runtime::{Env, ResetOptions};
use plantc::{Backend, Options};

const BACKENDS: [Backend; 2] = [Backend::Interp, Backend::Jit];

/// The reference's default controls in action order: perfusion_rate [vvd], bleed_rate
/// [vvd], glucose_setpoint [g/L], temperature [K] (37 °C), agitation [rpm], pyruvate_feed
/// [mM].
const DEFAULTS: [f64; 6] = [1.0, 0.15, 5.0, 310.15, 250.0, 0.0];

const SPECIES: [&str; 9] = [
    "VCD", "Via", "Glc", "Gln", "Glu", "Lac", "Amm", "Pyr", "Titer",
];

fn env(backend: Backend) -> Env {
    let model = plantc::compile_file_with(
        "../examples/perfusion.plant",
        &Options {
            backend,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Env::new(model)
}

/// The observations at reset (index 0) and after each of `days` days under constant
/// controls.
fn run(env: &mut Env, options: &ResetOptions, controls: &[f64; 6], days: usize) -> Vec<Vec<f64>> {
    let mut out = vec![env.reset(Some(0), Some(options)).unwrap().to_vec()];
    for _ in 0..days {
        out.push(env.step(controls).unwrap().obs.to_vec());
    }
    out
}

fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        (got - want).abs() / want.abs()
    }
}

/// The table "My reproduction (defaults, CloneX)" of perfusion.md §3.4: (day, species,
/// value as printed).
const TABLE: [(usize, &str, &str); 24] = [
    (1, "VCD", "1.839"),
    (1, "Glc", "4.227"),
    (1, "Lac", "13.64"),
    (1, "Titer", "43.46"),
    (3, "VCD", "5.268"),
    (3, "Glc", "1.332"),
    (3, "Lac", "14.22"),
    (3, "Titer", "173.2"),
    (7, "VCD", "9.003"),
    (7, "Glc", "0.111"),
    (7, "Lac", "0.0"),
    (7, "Titer", "423.4"),
    (20, "VCD", "10.193"),
    (20, "Via", "97.95"),
    (20, "Glc", "0.0556"),
    (20, "Gln", "0.651"),
    (20, "Lac", "0.0"),
    (20, "Amm", "3.447"),
    (20, "Titer", "522.9"),
    (28, "VCD", "10.206"),
    (28, "Titer", "524.0"),
    // Pyruvate is neither fed nor present: exactly 0 throughout.
    (7, "Pyr", "0.0"),
    (20, "Pyr", "0.0"),
    (28, "Pyr", "0.0"),
];

/// The reference prints 3 to 5 significant digits: every value is within 1e-3 relative
/// of it or within the rounding of its last printed digit, and zeros are exactly zero.
/// Observed (both kernels): 2.9e-3 for glucose on day 7 (printed 0.111; perfusio itself
/// gives 0.11132, as the plant), 7.9e-4 for glutamine on day 20 (printed 0.651; perfusio
/// gives 0.65048, as the plant: the table misrounds), 3.6e-4 glucose on day 3, 2.3e-4
/// lactate on day 3 (see `golden_values_of_perfusio`), every other value below 1.3e-4.
#[test]
fn reproduction_table_of_the_reference() {
    for b in BACKENDS {
        let mut env = env(b);
        let days = run(&mut env, &ResetOptions::new(), &DEFAULTS, 28);
        let mut worst = (0.0, 0, "");
        for (day, species, printed) in TABLE {
            let i = SPECIES.iter().position(|s| *s == species).unwrap();
            let got = days[day][i];
            let want: f64 = printed.parse().unwrap();
            let decimals = printed.split('.').nth(1).map_or(0, str::len) as i32;
            let rounding = 0.5 * 10f64.powi(-decimals);
            let r = rel(got, want);
            if want == 0.0 {
                assert_eq!(got, 0.0, "{b:?} day {day} {species}");
            } else {
                assert!(
                    r <= 1e-3 || (got - want).abs() <= rounding,
                    "{b:?} day {day} {species}: {got} vs {printed}"
                );
            }
            if r > worst.0 {
                worst = (r, day, species);
            }
        }
        eprintln!(
            "{b:?}: largest deviation from the printed table {:.2e} (day {} {})",
            worst.0, worst.1, worst.2
        );
    }
}

/// perfusio's `tests/integration/test_virtual_ambr.py`: noiseless VCD on day 20 within
/// ±35 % of 10e6 cells/mL.
#[test]
fn vcd_on_day_20_as_perfusio_tests_it() {
    let mut env = env(Backend::Jit);
    let days = run(&mut env, &ResetOptions::new(), &DEFAULTS, 20);
    let vcd = days[20][0];
    assert!((vcd - 10.0).abs() <= 0.35 * 10.0, "{vcd}");
}

/// (day, the nine species) as perfusio reports them.
type Golden = [(usize, [f64; 9])];
/// (name, reset options, constant controls, golden values).
type Case<'a> = (&'a str, &'a ResetOptions, [f64; 6], &'a Golden);

/// Default controls, clone X.
const CLONE_X: [(usize, [f64; 9]); 6] = [
    (
        1,
        [
            1.8387747090643998,
            98.96334415350906,
            4.226827637153859,
            3.3424114463689696,
            0.26679577841302715,
            13.638774681011892,
            1.1162087773909943,
            0.0,
            43.4611603507639,
        ],
    ),
    (
        3,
        [
            5.267566508178136,
            98.88595225461356,
            1.3315264884141702,
            0.9786396396660977,
            0.22264714515981354,
            14.220755429637533,
            3.1603481396833994,
            0.0,
            173.2217657289121,
        ],
    ),
    (
        7,
        [
            9.002506160951222,
            98.71340396271522,
            0.11131680833896011,
            0.4613970997660771,
            0.21343521207623317,
            0.0,
            3.6075518811469727,
            0.0,
            423.3946100765924,
        ],
    ),
    (
        14,
        [
            10.098327286028614,
            98.344670636843,
            0.058101126057552535,
            0.6333573673617668,
            0.2036294048200287,
            0.0,
            3.4616455587020165,
            0.0,
            514.8685811809348,
        ],
    ),
    (
        20,
        [
            10.193390955842245,
            97.94556678935608,
            0.05556189919136257,
            0.6504832401077434,
            0.20276997488020582,
            0.0,
            3.447089241768481,
            0.0,
            522.9244735272131,
        ],
    ),
    (
        28,
        [
            10.206373049688564,
            97.25988469947008,
            0.055230231728419114,
            0.6528380153134695,
            0.2026522169028128,
            0.0,
            3.44508768697894,
            0.0,
            524.0255009912332,
        ],
    ),
];

/// Default controls, clone Y.
const CLONE_Y: [(usize, [f64; 9]); 4] = [
    (
        1,
        [
            1.8387747090643998,
            98.96334415350906,
            4.226827637153859,
            3.3424114463689696,
            0.26679577841302715,
            13.638774681011892,
            1.1162087773909943,
            0.0,
            43.4611603507639,
        ],
    ),
    (
        3,
        [
            5.2675665081851895,
            98.88595225461357,
            1.331526488411899,
            0.9786396396651605,
            0.22264714515989983,
            44.97547198314603,
            3.160348139684187,
            0.0,
            173.22176572937923,
        ],
    ),
    (
        7,
        [
            9.00250615777389,
            98.71340396271526,
            0.1113168128491428,
            0.46139710388767663,
            0.21343521187016903,
            57.69258025385185,
            3.607551877643608,
            0.0,
            423.39461007891094,
        ],
    ),
    (
        28,
        [
            10.206373049688562,
            97.25988469947005,
            0.0552302317284203,
            0.6528380153134709,
            0.20265221690281274,
            58.271227094165866,
            3.4450876869789395,
            0.0,
            524.0255009912332,
        ],
    ),
];

/// perfusion 1.5 vvd, bleed 0.1 vvd, 36 °C, feed with 8 g/L glucose and 2 mM pyruvate
/// (`glucose_feed_conc`, `pyr_feed_conc` given to the rate equations), clone X.
const CONTROLS: [(usize, [f64; 9]); 3] = [
    (
        1,
        [
            1.984159592160373,
            98.97570968210935,
            6.587766592463216,
            3.299040091180077,
            0.1691093779581875,
            11.522779288880447,
            0.5645944001708271,
            1.2769457640595347,
            37.43087705588378,
        ],
    ),
    (
        7,
        [
            15.810617113150494,
            98.81706338935213,
            2.866059395015952,
            0.17718237273912643,
            0.2054535292828218,
            57.051822253055875,
            2.112972175953217,
            0.7634441089425714,
            454.93215438766833,
        ],
    ),
    (
        28,
        [
            23.792941259799285,
            98.04185029364108,
            2.027637620871863,
            0.09634597493488405,
            0.20946841553897017,
            65.43790950556709,
            2.1678473550502395,
            0.7497414337448913,
            738.5203603338916,
        ],
    ),
];

/// Against perfusio's simulator itself, all nine species: within 1e-6 relative (observed:
/// at most 5.4e-8, glucose on day 7), except lactate on day 3 of clone X. There the
/// clone's lactate switch (at 61.9 h, when glucose falls below 2 g/L) makes the right-hand
/// side jump, and two RK45 runs at rtol 1e-6 place it differently: the exact solution is
/// 14.22098 mM, perfusio reports 14.22076 (1.6e-5 off) and the plant 14.21668 (3.0e-4
/// off; with rtol 1e-7 it is 14.22090). That value gets 1e-3.
#[test]
fn golden_values_of_perfusio() {
    let follow = ResetOptions::new().set("feeds_follow_controls", 1.0);
    let clone_y = ResetOptions::new().set("clone_x", 0.0);
    // 36 °C; glucose_setpoint and pyruvate_feed set the feed.
    let controls = [1.5, 0.1, 8.0, 309.15, 800.0, 2.0];
    let cases: [Case; 3] = [
        ("clone X", &ResetOptions::new(), DEFAULTS, &CLONE_X),
        ("clone Y", &clone_y, DEFAULTS, &CLONE_Y),
        ("controls", &follow, controls, &CONTROLS),
    ];
    for b in BACKENDS {
        let mut env = env(b);
        let mut worst = (0.0, "", 0, "");
        for (name, options, controls, golden) in &cases {
            let days = run(&mut env, options, controls, 28);
            for (day, want) in golden.iter() {
                for (i, species) in SPECIES.iter().enumerate() {
                    let got = days[*day][i];
                    let r = rel(got, want[i]);
                    let tol = if *name == "clone X" && *day == 3 && *species == "Lac" {
                        1e-3
                    } else {
                        if r > worst.0 {
                            worst = (r, *name, *day, *species);
                        }
                        1e-6
                    };
                    assert!(
                        r <= tol,
                        "{b:?} {name} day {day} {species}: {got} vs {}",
                        want[i]
                    );
                }
            }
        }
        eprintln!(
            "{b:?}: largest deviation from perfusio (lactate on day 3 aside) {:.2e} ({} day {} {})",
            worst.0, worst.1, worst.2, worst.3
        );
    }
}

#[test]
fn clone_y_keeps_making_lactate() {
    let mut env = env(Backend::Jit);
    let x = run(&mut env, &ResetOptions::new(), &DEFAULTS, 10);
    let clone_y = ResetOptions::new().set("clone_x", 0.0);
    let y = run(&mut env, &clone_y, &DEFAULTS, 10);
    // Glucose stays above 2 g/L for the first 61.9 h: the clones agree exactly until then.
    assert_eq!(&x[..3], &y[..3]);
    let lac = SPECIES.iter().position(|s| *s == "Lac").unwrap();
    for day in 4..=10 {
        assert_eq!(
            x[day][lac], 0.0,
            "clone X has consumed its lactate by day 4"
        );
        assert!(
            y[day][lac] > 50.0,
            "clone Y: {} mM on day {day}",
            y[day][lac]
        );
    }
    // Lactate is the only difference.
    for day in 0..=10 {
        for i in (0..9).filter(|&i| i != lac) {
            assert!(rel(x[day][i], y[day][i]) < 1e-6, "day {day} {}", SPECIES[i]);
        }
    }
}

/// The shipped simulator ignores glucose_setpoint, agitation and pyruvate_feed; with
/// `feeds_follow_controls` the first and last set the feed (5 g/L glucose and no pyruvate
/// being the default feed).
#[test]
fn ignored_controls_change_nothing_unless_wired() {
    let mut env = env(Backend::Jit);
    let base = run(&mut env, &ResetOptions::new(), &DEFAULTS, 28);
    let others = [1.0, 0.15, 8.0, 310.15, 1050.0, 5.0];
    assert_eq!(run(&mut env, &ResetOptions::new(), &others, 28), base);
    let follow = ResetOptions::new().set("feeds_follow_controls", 1.0);
    assert_eq!(run(&mut env, &follow, &DEFAULTS, 28), base);
    assert_ne!(run(&mut env, &follow, &others, 28), base);
    // The default agitation (250 rpm) is below the design space: clipped and flagged.
    env.reset(Some(0), None).unwrap();
    let s = env.step(&DEFAULTS).unwrap();
    assert_eq!(s.info.clipped, &[4]);
    assert_eq!(env.value("agitation"), Some(700.0 / 60.0));
    // Temperature acts on the death rate: 35 °C keeps viability higher than 37.5 °C.
    let mut via = |t: f64| {
        let controls = [1.0, 0.15, 5.0, t, 700.0, 0.0];
        run(&mut env, &ResetOptions::new(), &controls, 10)[10][1]
    };
    assert!(via(308.15) > via(310.65));
}

/// Negative values are clipped for the rates and the reports, not in the states: after
/// the switch clone X's lactate state runs far below zero while 0 is reported, and
/// lactate shows again only once production has made up for it. `clip_states` clips the
/// states after every tick.
#[test]
fn clipping_as_the_reference_and_clip_states() {
    let lac = 5;
    // Ten days at the defaults, then a rich feed and high perfusion: glucose rises above
    // the switch and clone X makes lactate again.
    let rich = [2.0, 0.3, 8.0, 310.15, 700.0, 0.0];
    let follow = ResetOptions::new().set("feeds_follow_controls", 1.0);
    let clipped = follow.clone().set("clip_states", 1.0);
    let mut shown_again = [0usize; 2];
    for (k, options) in [&follow, &clipped].into_iter().enumerate() {
        let mut env = env(Backend::Jit);
        let days = run(&mut env, options, &DEFAULTS, 10);
        let state = env.value("reactor.lac").unwrap();
        assert_eq!(days[10][lac], 0.0);
        if k == 0 {
            assert!(
                state < -100.0,
                "the lactate state runs negative: {state} mM"
            );
        } else {
            assert_eq!(state, 0.0);
        }
        shown_again[k] = (11..=28)
            .find(|_| env.step(&rich).unwrap().obs[lac] > 0.0)
            .unwrap_or(99);
    }
    eprintln!("lactate shows again on day {shown_again:?} (reference clipping, clip_states)");
    assert!(
        shown_again[1] == 11 && shown_again[0] > 12,
        "lactate reappears on day {} (reference clipping) and {} (clip_states)",
        shown_again[0],
        shown_again[1]
    );
    // With the defaults, clipping the states changes no reported value noticeably.
    let mut env = env(Backend::Jit);
    let a = run(&mut env, &ResetOptions::new(), &DEFAULTS, 28);
    let b = run(
        &mut env,
        &ResetOptions::new().set("clip_states", 1.0),
        &DEFAULTS,
        28,
    );
    for (ra, rb) in a.iter().zip(&b) {
        for (x, y) in ra.iter().zip(rb) {
            assert!(rel(*y, *x) < 1e-5, "{x} vs {y}");
        }
    }
}

/// `noisy`: proportional Gaussian observation noise with the reference's CVs, drawn anew
/// at every observation; off by default.
#[test]
fn noise_model_as_observation_noise() {
    let mut env = env(Backend::Jit);
    let clean = env.reset(Some(0), None).unwrap().to_vec();
    assert_eq!(
        env.reset(Some(9), None).unwrap(),
        &clean[..],
        "noiseless by default"
    );
    let noisy = ResetOptions::new().set("noisy", 1.0);
    let n = 4000;
    let cv = [0.05, 0.02, 0.07, 0.07, 0.07, 0.07, 0.07, 0.0, 0.0];
    let mut sum = [0.0; 9];
    let mut sum2 = [0.0; 9];
    for seed in 0..n {
        let obs = env.reset(Some(seed), Some(&noisy)).unwrap();
        for i in 0..9 {
            let e = obs[i] / clean[i].max(1e-300) - 1.0;
            sum[i] += e;
            sum2[i] += e * e;
        }
    }
    for i in 0..9 {
        let mean = sum[i] / n as f64;
        let sd = (sum2[i] / n as f64 - mean * mean).max(0.0).sqrt();
        if cv[i] == 0.0 {
            // Pyruvate and titer start at 0: proportional noise leaves them at 0.
            assert_eq!((mean, sd), (-1.0, 0.0), "{}", SPECIES[i]);
            continue;
        }
        assert!(
            mean.abs() < 4.0 * cv[i] / (n as f64).sqrt(),
            "{} mean {mean}",
            SPECIES[i]
        );
        assert!((sd / cv[i] - 1.0).abs() < 0.05, "{} sd {sd}", SPECIES[i]);
    }
    // Titer noise (8 %) once there is titer: 28 days, noisy against clean.
    let clean = run(&mut env, &ResetOptions::new(), &DEFAULTS, 28);
    let noisy_run = run(&mut env, &noisy, &DEFAULTS, 28);
    let e: Vec<f64> = (10..=28)
        .map(|d| noisy_run[d][8] / clean[d][8] - 1.0)
        .collect();
    let sd = (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt();
    assert!(sd > 0.03 && sd < 0.15, "titer noise {sd}");
}

/// The reward: antibody harvested during the day (0.01 per mg) less the medium used (1 per
/// litre) less 1 per percentage point of viability under 95 %.
#[test]
fn reward_is_the_harvest_less_medium_and_viability_penalty() {
    let mut env = env(Backend::Jit);
    env.reset(Some(0), None).unwrap();
    let mut titer = vec![0.0];
    let mut rewards = vec![];
    for day in 1..=28 {
        let s = env.step(&DEFAULTS).unwrap();
        titer.push(s.obs[8]);
        rewards.push(s.reward());
        assert_eq!(s.truncated, day == 28, "28 days per episode");
        assert!(!s.terminated);
    }
    // Day 20: the harvest stream (0.85 vvd of 0.25 L) carries the titer, nearly
    // constant then: about 0.2125 L/d times the day's mean titer.
    let harvest = 0.2125 * (titer[19] + titer[20]) / 2.0;
    let want = 0.01 * harvest - 0.25;
    assert!(
        (rewards[19] - want).abs() < 1e-3,
        "{} vs {want}",
        rewards[19]
    );
    // A culture that starts at 90 % viability is penalised for about 5 points.
    let low = ResetOptions::new().set("reactor.via", 90.0);
    env.reset(Some(0), Some(&low)).unwrap();
    let r = env.step(&DEFAULTS).unwrap().reward();
    assert!(r < -4.5 && r > -6.0, "{r}");
}
