//! `std::sensors`: each component driven through a small plant on both kernels, checked
//! exactly where the behaviour is deterministic (quantisation, lag against the exponential,
//! delay, range, the noise replayed from the seeded generator) and statistically for the
//! noise (mean and standard deviation over many ticks with a fixed seed).

use plant_runtime::{Env, Rng};

mod common;
use common::{BACKENDS, env};

fn value(env: &Env, name: &str) -> f64 {
    env.value(name)
        .unwrap_or_else(|| panic!("no variable `{name}`"))
}

/// A ramp `x = x0 + rate * t` (exact in binary for these numbers, with `euler`), measured
/// through `PROBE`; one tick per step.
fn ramp_plant(use_: &str, probe: &str, x0: &str, rate: &str) -> String {
    format!(
        "use std::sensors::{use_}
plant P {{
    dt 1 s
    integrator euler
    state x: 1 = {x0}
    der x = {rate} / 1 s
    probe = {probe}
    bond x -> probe.value
    observe probe.output
}}
"
    )
}

#[test]
fn noise_is_the_seeded_normal_draw_with_additive_and_proportional_sd() {
    let src = ramp_plant("Noise", "Noise(sd: 0.1, cv: 0.05)", "0.5", "0.25");
    for b in BACKENDS {
        let mut env = env(&src, b);
        let obs = env.reset(Some(7), None).unwrap().to_vec();
        assert_eq!(obs, [0.5], "no noise before the first tick");
        let mut rng = Rng::seeded(7);
        for k in 1..=200 {
            let s = env.step(&[]).unwrap();
            let x = 0.5 + 0.25 * k as f64;
            let sd = (0.1f64 * 0.1 + (0.05 * x) * (0.05 * x)).sqrt();
            let want = x + rng.normal(0.0, sd);
            assert_eq!(s.obs[0].to_bits(), want.to_bits(), "{b:?} tick {k}");
        }
    }
}

#[test]
fn noise_statistics_over_many_ticks() {
    // A constant value 2 with sd 0.1 and cv 0.05: sd = sqrt(0.01 + 0.01) = 0.1414.
    let src = ramp_plant("Noise", "Noise(sd: 0.1, cv: 0.05)", "2", "0");
    let n = 20_000;
    let want_sd = 0.02f64.sqrt();
    for b in BACKENDS {
        let mut env = env(&src, b);
        env.reset(Some(42), None).unwrap();
        let xs: Vec<f64> = (0..n).map(|_| env.step(&[]).unwrap().obs[0]).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        // 4 standard errors of the mean, 3 % on the standard deviation (its standard
        // error is 1/sqrt(2n) = 0.5 %).
        assert!(
            (mean - 2.0).abs() < 4.0 * want_sd / (n as f64).sqrt(),
            "{b:?} mean {mean}"
        );
        assert!(
            (sd / want_sd - 1.0).abs() < 0.03,
            "{b:?} sd {sd} vs {want_sd}"
        );
        // Consecutive readings are independent draws.
        let lag1 = xs
            .windows(2)
            .map(|w| (w[0] - mean) * (w[1] - mean))
            .sum::<f64>()
            / (n - 1) as f64
            / (sd * sd);
        assert!(lag1.abs() < 0.03, "{b:?} lag-1 correlation {lag1}");
    }
}

#[test]
fn noise_off_is_the_value_itself() {
    let src = ramp_plant("Noise", "Noise()", "0.5", "0.25");
    for b in BACKENDS {
        let mut env = env(&src, b);
        env.reset(Some(1), None).unwrap();
        for k in 1..=10 {
            assert_eq!(env.step(&[]).unwrap().obs[0], 0.5 + 0.25 * k as f64);
        }
    }
}

#[test]
fn quantizer_rounds_to_the_nearest_step() {
    // A ramp from -1.3 by 0.0137 per tick through a resolution of 0.05.
    let src = ramp_plant("Quantizer", "Quantizer(step: 0.05)", "-1.3", "0.0137");
    for b in BACKENDS {
        let mut env = env(&src, b);
        env.reset(Some(0), None).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let got = env.step(&[]).unwrap().obs[0];
            let x = value(&env, "x");
            assert_eq!(got.to_bits(), ((x / 0.05).round() * 0.05).to_bits());
            assert!((got - x).abs() <= 0.025 + 1e-12, "{got} vs {x}");
            seen.insert((got / 0.05).round() as i64);
        }
        // The ramp moves less than a step per tick: it meets every multiple on its way.
        let (lo, hi) = (*seen.first().unwrap(), *seen.last().unwrap());
        assert_eq!((lo, hi), (-26, 29), "{b:?}");
        assert_eq!(seen.len() as i64, hi - lo + 1, "{b:?}");
    }
    // Halves round away from zero.
    let src = ramp_plant("Quantizer", "Quantizer(step: 1)", "-2.5", "1");
    for b in BACKENDS {
        let mut env = env(&src, b);
        assert_eq!(env.reset(Some(0), None).unwrap(), [-3.0]);
        let got: Vec<f64> = (0..5).map(|_| env.step(&[]).unwrap().obs[0]).collect();
        assert_eq!(got, [-2.0, -1.0, 1.0, 2.0, 3.0]);
    }
}

#[test]
fn lag_follows_the_first_order_step_response() {
    let src = "use std::sensors::Lag
plant P {
    dt 0.1 s
    integrator rk4
    probe = Lag(tau: 10 s, initial: 0.2)
    bond 1 -> probe.value
    observe probe.output
}
";
    for b in BACKENDS {
        let mut env = env(src, b);
        assert_eq!(env.reset(Some(0), None).unwrap(), [0.2]);
        let mut worst = 0.0f64;
        for k in 1..=500 {
            let got = env.step(&[]).unwrap().obs[0];
            let t = 0.1 * k as f64;
            let want = 1.0 - 0.8 * (-t / 10.0).exp();
            worst = worst.max((got - want).abs());
        }
        // rk4 at dt = tau / 100: a local error of order (dt/tau)^5.
        assert!(worst < 1e-10, "{b:?} worst error {worst}");
        // After 5 time constants: 1 - 0.8 e^-5.
        assert!((value(&env, "probe.output") - 0.99461).abs() < 1e-5);
    }
}

#[test]
fn delay_shifts_by_n_ticks() {
    let src = ramp_plant("Delay", "Delay(n: 5, initial: -1)", "0", "1");
    for b in BACKENDS {
        let mut env = env(&src, b);
        assert_eq!(env.reset(Some(0), None).unwrap(), [-1.0]);
        for k in 1..=30 {
            let got = env.step(&[]).unwrap().obs[0];
            // The value 5 ticks ago: x(t) = t.
            let want = if k < 5 { -1.0 } else { (k - 5) as f64 };
            assert_eq!(got, want, "{b:?} tick {k}");
        }
    }
    // One tick: the value at the start of the tick.
    let src = ramp_plant("Delay", "Delay()", "3", "2");
    for b in BACKENDS {
        let mut env = env(&src, b);
        env.reset(Some(0), None).unwrap();
        for k in 1..=5 {
            assert_eq!(env.step(&[]).unwrap().obs[0], 3.0 + 2.0 * (k - 1) as f64);
        }
    }
}

#[test]
fn range_clamps_and_flags() {
    let src = ramp_plant("Range", "Range(lo: -0.5, hi: 1.5)", "-2", "0.25");
    for b in BACKENDS {
        let mut env = env(&src, b);
        env.reset(Some(0), None).unwrap();
        for _ in 0..20 {
            let got = env.step(&[]).unwrap().obs[0];
            let x = value(&env, "x");
            assert_eq!(got, x.clamp(-0.5, 1.5));
            assert_eq!(value(&env, "probe.under") == 1.0, x < -0.5);
            assert_eq!(value(&env, "probe.over") == 1.0, x > 1.5);
        }
    }
}

#[test]
fn transmitter_chains_lag_delay_noise_range_and_quantizer() {
    // Without noise: quantise(clamp(lagged value, n ticks late)). The lag alone, in a
    // second instance, gives the reference.
    let src = "use std::sensors::{Transmitter, Lag}
plant P {
    dt 1 s
    integrator rk4
    tx = Transmitter(tau: 5 s, n: 3, lo: 0, hi: 0.9, step: 0.01, initial: 0.1)
    lag = Lag(tau: 5 s, initial: 0.1)
    bond 1 -> tx.value
    bond 1 -> lag.value
    observe tx.output
    observe lag.output
}
";
    for b in BACKENDS {
        let mut env = env(src, b);
        assert_eq!(env.reset(Some(0), None).unwrap(), [0.1, 0.1]);
        let mut lagged = vec![0.1f64; 3];
        let mut saturated = false;
        for k in 1..=30 {
            let s = env.step(&[]).unwrap();
            let (got, lag_now) = (s.obs[0], s.obs[1]);
            let late = lagged[k - 1];
            assert_eq!(
                got.to_bits(),
                ((late.clamp(0.0, 0.9) / 0.01).round() * 0.01).to_bits(),
                "{b:?} tick {k}"
            );
            assert_eq!(value(&env, "tx.over") == 1.0, late > 0.9);
            saturated |= late > 0.9;
            lagged.push(lag_now);
        }
        assert!(saturated, "the lagged step reaches the top of the range");
    }
    // With noise, the readings scatter around the settled value.
    let src = "use std::sensors::Transmitter
plant P {
    dt 1 s
    integrator rk4
    tx = Transmitter(tau: 1 s, n: 1, sd: 0.02, lo: 0, hi: 1, step: 0.001, initial: 0.5)
    bond 0.5 -> tx.value
    observe tx.output
}
";
    for b in BACKENDS {
        let mut env = env(src, b);
        env.reset(Some(3), None).unwrap();
        let xs: Vec<f64> = (0..5000).map(|_| env.step(&[]).unwrap().obs[0]).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
        assert!((mean - 0.5).abs() < 0.002, "{b:?} mean {mean}");
        assert!((sd - 0.02).abs() < 0.001, "{b:?} sd {sd}");
        assert!(
            xs.iter()
                .all(|x| (x * 1000.0 - (x * 1000.0).round()).abs() < 1e-9)
        );
    }
}
