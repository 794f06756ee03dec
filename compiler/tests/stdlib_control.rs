//! The controllers of `std::control` (`PID`, `SampledPID`) and the delays of
//! `std::process` (`DeadTime`, `Delay`) against closed forms and hand computations.

use plant_runtime::Env;
use plantc::{Backend, Options};

fn env(text: &str) -> Env {
    let model = plantc::compile_str_with(
        "test.plant",
        text,
        &Options {
            plant: None,
            backend: Backend::Jit,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Env::new(model)
}

fn near(what: &str, got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

/// A PID whose set-point and measurement are actions; one step is 0.1 s.
fn pid_plant(args: &str) -> Env {
    env(&format!(
        "use std::control::PID
        plant P {{
            dt 0.1 s
            integrator rk45(rtol: 1e-10, atol: 1e-12)
            pid = PID({args})
            action sp: 1 in -10 .. 10 -> pid.setpoint
            action m: 1 in -10 .. 10 -> pid.measurement
            observe pid.output
            observe pid.integral
        }}"
    ))
}

/// P + I on a constant error: `bias + kp e + ki e t`, a straight line.
#[test]
fn pid_pi_step_response_is_a_ramp() {
    let mut e = pid_plant("kp: 2, ki: 0.5 / 1 s, bias: 0.1, out_min: -10, out_max: 10");
    let y0 = e.reset(Some(0), None).unwrap()[0];
    near("output at reset (no error yet)", y0, 0.1, 1e-15);
    for k in 1..=50 {
        let t = k as f64 * 0.1;
        let y = e.step(&[0.5, 0.0]).unwrap().obs[0];
        near(
            &format!("t = {t}"),
            y,
            0.1 + 2.0 * 0.5 + 0.5 * 0.5 * t,
            1e-9,
        );
    }
}

/// At the limit the integral stops (here at 0.9, where the output reaches 2), so when
/// the error turns the output leaves the limit at once; without anti-windup the
/// integral would have grown to 2.5 and held the output at the limit.
#[test]
fn pid_anti_windup_and_limits() {
    let mut e = pid_plant("kp: 2, ki: 0.5 / 1 s, bias: 0.1, out_min: 0, out_max: 2");
    e.reset(Some(0), None).unwrap();
    let mut y = vec![];
    for _ in 0..100 {
        y = e.step(&[0.5, 0.0]).unwrap().obs.to_vec();
    }
    near("limited output", y[0], 2.0, 0.0);
    near("frozen integral", y[1], 0.9, 1e-3);
    // The error turns: -0.1. (A wound-up integral of 2.5 would keep the output at 2.)
    let y = e.step(&[0.5, 0.6]).unwrap().obs.to_vec();
    let expected = 0.1 + 2.0 * -0.1 + 0.9 - 0.5 * 0.1 * 0.1;
    near("output right after the error turned", y[0], expected, 1e-3);
    assert!(y[0] < 1.0, "the output left the limit");
    // Far below: the lower limit holds.
    let y = e.step(&[-10.0, 10.0]).unwrap().obs.to_vec();
    near("lower limit", y[0], 0.0, 0.0);
}

/// The derivative of a ramp `m = r t` through the filter: `-kd r (1 - exp(-t / tf))` on
/// the measurement (and the same on the error under a constant set-point).
#[test]
fn pid_filtered_derivative_of_a_ramp() {
    for on_measurement in [true, false] {
        let mut e = env(&format!(
            "use std::control::PID
            plant P {{
                dt 0.1 s
                integrator rk45(rtol: 1e-10, atol: 1e-12)
                pid = PID(kp: 0, kd: 2 s, tf: 0.5 s, out_min: -100, out_max: 100,
                          derivative_on_measurement: {on_measurement})
                state m: 1 = 0
                der m = 0.3 / 1 s
                bond m -> pid.measurement
                bond 0 -> pid.setpoint
                observe pid.output
            }}"
        ));
        e.reset(Some(0), None).unwrap();
        for k in 1..=30 {
            let t = k as f64 * 0.1;
            let y = e.step(&[]).unwrap().obs[0];
            let want = -2.0 * 0.3 * (1.0 - (-t / 0.5).exp());
            near(&format!("t = {t}"), y, want, 1e-8);
        }
    }
}

/// A set-point step kicks the derivative on the error (`kd / tf`, decaying with `tf`),
/// not the derivative on the measurement.
#[test]
fn pid_set_point_kick_only_on_the_error() {
    for (on_measurement, peak) in [(true, 0.0), (false, 2.0 / 0.5)] {
        let mut e = pid_plant(&format!(
            "kp: 0, kd: 2 s, tf: 0.5 s, out_min: -100, out_max: 100, \
             derivative_on_measurement: {on_measurement}"
        ));
        e.reset(Some(0), None).unwrap();
        let y = e.step(&[1.0, 0.0]).unwrap().obs[0];
        near("after 0.1 s", y, peak * (-0.1f64 / 0.5).exp(), 1e-8);
    }
}

/// The same control law by hand: position form, backward-difference derivative through
/// the filter, back-calculation at the limits, held for a tick.
struct Hand {
    kp: f64,
    ki: f64,
    kd: f64,
    tf: f64,
    bias: f64,
    lo: f64,
    hi: f64,
    period: f64,
    on_measurement: bool,
    integral: f64,
    derivative: f64,
    last: f64,
    sampled: bool,
}

impl Hand {
    fn sample(&mut self, sp: f64, m: f64) -> f64 {
        let e = sp - m;
        let x = if self.on_measurement { -m } else { e };
        let i = self.integral + self.ki * self.period * e;
        let d = if self.sampled {
            (self.tf * self.derivative + self.kd * (x - self.last)) / (self.tf + self.period)
        } else {
            0.0
        };
        let raw = self.bias + self.kp * e + i + d;
        let u = raw.clamp(self.lo, self.hi);
        self.integral = if self.ki == 0.0 { 0.0 } else { i - (raw - u) };
        self.derivative = d;
        self.last = x;
        self.sampled = true;
        u
    }
}

fn sampled_plant(args: &str) -> Env {
    env(&format!(
        "use std::control::SampledPID
        plant P {{
            dt 0.1 s
            pid = SampledPID(period: 0.1 s, {args})
            action sp: 1 in -10 .. 10 -> pid.setpoint
            action m: 1 in -10 .. 10 -> pid.measurement
            observe pid.output
        }}"
    ))
}

const SEQUENCE: [(f64, f64); 12] = [
    (1.0, 0.0),
    (1.0, 0.2),
    (1.0, 0.5),
    (2.0, 0.7),
    (2.0, 1.5),
    (2.0, 2.5),
    (2.0, 2.2),
    (0.0, 2.0),
    (0.0, 0.5),
    (0.0, -0.5),
    (0.0, 0.0),
    (0.0, 0.0),
];

#[test]
fn sampled_pid_matches_the_hand_computation() {
    for on_measurement in [true, false] {
        for (tf, lo, hi) in [(0.0, -100.0, 100.0), (0.05, -0.5, 1.5)] {
            let mut e = sampled_plant(&format!(
                "kp: 2, ki: 0.5 / 1 s, kd: 0.2 s, tf: {tf} s, bias: 0.1, out_min: {lo}, \
                 out_max: {hi}, derivative_on_measurement: {on_measurement}"
            ));
            let mut hand = Hand {
                kp: 2.0,
                ki: 0.5,
                kd: 0.2,
                tf,
                bias: 0.1,
                lo,
                hi,
                period: 0.1,
                on_measurement,
                integral: 0.0,
                derivative: 0.0,
                last: 0.0,
                sampled: false,
            };
            near(
                "before the first sample",
                e.reset(Some(0), None).unwrap()[0],
                0.1,
                0.0,
            );
            for (k, (sp, m)) in SEQUENCE.iter().enumerate() {
                let y = e.step(&[*sp, *m]).unwrap().obs[0];
                near(&format!("sample {k}"), y, hand.sample(*sp, *m), 1e-12);
            }
        }
    }
}

/// With an integral, back-calculation makes the position form the velocity form
/// `u_k = clamp(u_(k-1) + kp (e_k - e_(k-1)) + ki T e_k)` (from `u_0 = bias`, `e_0 = 0`).
#[test]
fn sampled_pid_is_the_velocity_form_at_the_limits() {
    let mut e = sampled_plant("kp: 2, ki: 0.5 / 1 s, bias: 0.1, out_min: 0, out_max: 1");
    e.reset(Some(0), None).unwrap();
    let (mut u, mut e1) = (0.1f64, 0.0);
    let mut saturated = 0;
    for (k, (sp, m)) in SEQUENCE.iter().enumerate() {
        let err = sp - m;
        u = (u + 2.0 * (err - e1) + 0.5 * 0.1 * err).clamp(0.0, 1.0);
        e1 = err;
        if u == 0.0 || u == 1.0 {
            saturated += 1;
        }
        let y = e.step(&[*sp, *m]).unwrap().obs[0];
        near(&format!("sample {k}"), y, u, 1e-12);
    }
    assert!(saturated >= 3, "the sequence exercises the limits");
}

/// Without an integral it is a proportional controller with a plain clamp: no memory of
/// past saturation.
#[test]
fn sampled_p_is_a_clamped_proportional_controller() {
    let mut e = sampled_plant("kp: -100, bias: 26.85, initial: 15, out_min: 15, out_max: 35");
    assert_eq!(e.reset(Some(0), None).unwrap()[0], 15.0);
    for (sp, m) in [
        (0.88, 0.1),
        (0.88, 0.9),
        (0.88, 0.95),
        (0.88, 0.88),
        (0.88, 0.87),
    ] {
        let y = e.step(&[sp, m]).unwrap().obs[0];
        near(
            "P",
            y,
            (100.0 * (m - sp) + 26.85f64).clamp(15.0, 35.0),
            1e-12,
        );
    }
}

/// `n` lags in series of `delay / n` each: the step response is the Erlang distribution.
#[test]
fn dead_time_step_response_is_erlang() {
    let mut e = env("use std::process::DeadTime
        plant P {
            dt 0.25 s
            integrator rk45(rtol: 1e-10, atol: 1e-12)
            dead = DeadTime(delay: 2 s, n: 4)
            bond 1 -> dead.u
            observe dead.output
        }");
    assert_eq!(e.reset(Some(0), None).unwrap()[0], 0.0);
    let tau = 0.5;
    for k in 1..=24 {
        let t = k as f64 * 0.25;
        let s = t / tau;
        let sum = 1.0 + s + s * s / 2.0 + s * s * s / 6.0;
        let want = 1.0 - (-s).exp() * sum;
        near(&format!("t = {t}"), e.step(&[]).unwrap().obs[0], want, 1e-8);
    }
}

/// A shift register: after step k the output is the input of step k - n + 1.
#[test]
fn delay_shifts_by_whole_ticks() {
    let mut e = env("use std::process::Delay
        plant P {
            dt 1 s
            delay = Delay(n: 3, initial: -1)
            action u: 1 in -10 .. 10 -> delay.u
            observe delay.output
        }");
    assert_eq!(e.reset(Some(0), None).unwrap()[0], -1.0);
    let inputs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    for (k, u) in inputs.iter().enumerate() {
        let y = e.step(&[*u]).unwrap().obs[0];
        let want = if k >= 2 { inputs[k - 2] } else { -1.0 };
        assert_eq!(y, want, "step {k}");
    }
}
