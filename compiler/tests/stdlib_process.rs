//! `std::process`: `Tank` (a linear tank against its closed form and one Euler and one RK4
//! step by hand), `Valve`, `Pump` and `FirstOrderLag` (step response against
//! `1 - exp(-t / tau)`). `DeadTime` and `Delay` are in `stdlib_control.rs`. Every plant
//! runs on both kernels, which must agree bit for bit.

use plant_runtime::Env;

mod common;
use common::both;

/// Reset, then one step per action; the observations after each.
fn trace(env: &mut Env, actions: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut out = vec![env.reset(Some(1), None).unwrap().to_vec()];
    for a in actions {
        out.push(env.step(a).unwrap().obs.to_vec());
    }
    out
}

fn near(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (off by {:e})",
        got - want
    );
}

// ---------------------------------------------------------------------------------------
// Tank

/// A linear tank: inflow `q`, outflow `k * h`, area `A`, so
/// `h(t) = q / k + (h0 - q / k) exp(-k t / A)`.
fn linear_tank(integrator: &str) -> String {
    format!(
        "use std::process::Tank
plant P {{
    dt 0.5 s
    integrator {integrator}
    tank = Tank(area: 2 m^2, h0: 1 m)
    action q: m^3/s in 0 m^3/s .. 1 m^3/s -> tank.inflow
    bond tank.level * 0.5 m^2/s -> tank.outflow
    observe tank.level
    observe tank.volume
}}
"
    )
}

#[test]
fn tank_linear_outflow_matches_the_closed_form() {
    let (q, k, a, h0) = (0.3, 0.5, 2.0, 1.0);
    let got = both(&linear_tank("rk45(rtol: 1e-10, atol: 1e-12)"), |e| {
        trace(e, &vec![&[q][..]; 40])
    });
    for (n, row) in got.iter().enumerate() {
        let t = n as f64 * 0.5;
        let h = q / k + (h0 - q / k) * (-k * t / a).exp();
        near(&format!("level at {t} s"), row[0], h, 1e-8);
        near(&format!("volume at {t} s"), row[1], h * a, 2e-8);
    }
}

/// One Euler step and one RK4 step of `dh/dt = (q - k h) / A`, written out.
#[test]
fn tank_one_euler_and_one_rk4_step_by_hand() {
    let (q, k, a, h0, dt) = (0.3, 0.5, 2.0, 1.0, 0.5);
    let f = |h: f64| (q - k * h) / a;
    let euler = h0 + dt * f(h0);
    let h2 = dt * 0.5;
    let k1 = f(h0);
    let k2 = f(h0 + h2 * k1);
    let k3 = f(h0 + h2 * k2);
    let k4 = f(h0 + dt * k3);
    let rk4 = h0 + (dt / 6.0) * (((k1 + 2.0 * k2) + 2.0 * k3) + k4);
    near("Euler step", euler, 0.95, 1e-15);
    for (integrator, want) in [("euler", euler), ("rk4", rk4)] {
        let got = both(&linear_tank(integrator), |e| trace(e, &[&[q]]));
        near(integrator, got[1][0], want, 1e-15);
        near(&format!("{integrator}: volume"), got[1][1], want * a, 1e-15);
    }
}

/// Summing ports: two inflows and two outflows add up, and the tank's level is the
/// volume balance over its area.
#[test]
fn tank_sums_every_bond_to_its_ports() {
    let src = "use std::process::Tank
plant P {
    dt 1 s
    integrator euler
    tank = Tank(area: 4 m^2, h0: 2 m)
    action q1: m^3/s in 0 m^3/s .. 1 m^3/s -> tank.inflow
    bond 0.5 m^3/s -> tank.inflow
    bond 0.25 m^3/s -> tank.outflow
    bond 0.125 m^3/s -> tank.outflow
    observe tank.level
    observe tank.volume
}
";
    let got = both(src, |e| trace(e, &[&[0.0], &[1.0], &[1.0]]));
    // dh = (q1 + 0.5 - 0.375) / 4 per second.
    let want = [2.0, 2.03125, 2.3125, 2.59375];
    for (row, h) in got.iter().zip(want) {
        near("level", row[0], h, 1e-15);
        near("volume", row[1], 4.0 * h, 1e-14);
    }
}

// ---------------------------------------------------------------------------------------
// Valve and Pump

/// `max_flow * clamp(opening, 0, 1)`, fully open when nothing drives the opening.
#[test]
fn valve_flow_is_proportional_to_the_clamped_opening() {
    let src = "use std::process::Valve
plant P {
    dt 1 s
    v = Valve(max_flow: 0.02 m^3/s)
    free = Valve(max_flow: 3 L/s)
    action opening: 1 in -1 .. 2 -> v.opening
    observe v.flow
    let free_lps: L/s = free.flow
    observe free_lps
}
";
    let got = both(src, |e| {
        trace(e, &[&[0.25], &[1.0], &[1.5], &[-0.5], &[0.0]])
    });
    let want = [0.0, 0.005, 0.02, 0.02, 0.0, 0.0];
    for (row, q) in got.iter().zip(want) {
        near("valve flow", row[0], q, 1e-15);
        near("undriven valve (fully open)", row[1], 3.0, 1e-12);
    }
}

/// Off: no flow; on: `max_flow * clamp(speed, 0, 1)`; on at full speed by default.
#[test]
fn pump_flow_follows_on_and_the_clamped_speed() {
    let src = "use std::process::{Pump, Tank}
plant P {
    dt 1 s
    integrator euler
    p = Pump(max_flow: 0.04 m^3/s)
    plain = Pump(max_flow: 0.01 m^3/s)
    tank = Tank(area: 1 m^2)
    action on: bool -> p.on
    action speed: 1 in -1 .. 2 -> p.speed
    bond p.flow -> tank.inflow
    observe p.flow
    observe plain.flow
    observe tank.level
}
";
    let got = both(src, |e| {
        trace(
            e,
            &[
                &[1.0, 0.5],
                &[0.0, 0.5],
                &[1.0, 2.0],
                &[1.0, -1.0],
                &[1.0, 1.0],
            ],
        )
    });
    let flows = [0.0, 0.02, 0.0, 0.04, 0.0, 0.04];
    let mut h = 0.0;
    for (n, (row, q)) in got.iter().zip(flows).enumerate() {
        h += q;
        near(&format!("pump flow, step {n}"), row[0], q, 1e-15);
        near("undriven pump (on, full speed)", row[1], 0.01, 1e-15);
        near(&format!("tank level, step {n}"), row[2], h, 1e-15);
    }
}

// ---------------------------------------------------------------------------------------
// FirstOrderLag

fn lag_plant(integrator: &str) -> String {
    format!(
        "use std::process::FirstOrderLag
plant P {{
    dt 0.1 s
    integrator {integrator}
    lag = FirstOrderLag(tau: 2 s, gain: 3, y0: 0.5)
    action u: 1 in -10 .. 10 -> lag.u
    observe lag.output
}}
"
    )
}

/// `y(t) = gain u + (y0 - gain u) exp(-t / tau)`: within 1e-9 with `rk45` and the
/// integrator's truncation error (about 1e-7 here) with `rk4`; one Euler step by hand.
#[test]
fn first_order_lag_step_response() {
    let (tau, gain, y0, u) = (2.0, 3.0, 0.5, 1.5);
    for (integrator, tol) in [("rk45(rtol: 1e-11, atol: 1e-12)", 1e-9), ("rk4", 1e-7)] {
        let got = both(&lag_plant(integrator), |e| trace(e, &vec![&[u][..]; 100]));
        for (n, row) in got.iter().enumerate() {
            let t = n as f64 * 0.1;
            let want = gain * u + (y0 - gain * u) * (-t / tau).exp();
            near(&format!("{integrator} at {t} s"), row[0], want, tol);
        }
        // After 5 tau, 99.3 % of the way.
        let done = (got[100][0] - y0) / (gain * u - y0);
        near(
            "fraction done after 5 tau",
            done,
            1.0 - (-5.0f64).exp(),
            1e-8,
        );
    }
    // RK4 on a linear equation is exact up to its amplification factor per tick.
    let x: f64 = 0.1 / tau;
    let r = 1.0 - x + x * x / 2.0 - x * x * x / 6.0 + x * x * x * x / 24.0;
    let got = both(&lag_plant("rk4"), |e| trace(e, &vec![&[u][..]; 100]));
    for (n, row) in got.iter().enumerate() {
        let want = gain * u + (y0 - gain * u) * r.powi(n as i32);
        near(
            &format!("rk4 tick {n} (discrete closed form)"),
            row[0],
            want,
            1e-13,
        );
    }
    let got = both(&lag_plant("euler"), |e| trace(e, &[&[u]]));
    near(
        "one Euler step",
        got[1][0],
        y0 + 0.1 * ((gain * u - y0) / tau),
        1e-15,
    );
}

// ---------------------------------------------------------------------------------------
// std::units

/// Actions in one unit, observations in another: each `std::units` unit converts by its
/// definition (`rpm = 1/min`, `rps = 1/s`, `psi = 6894.757293168361 Pa`, `gal = 3.785411784 L`,
/// `cP = 0.001 Pa*s`, `slpm = 1 L/min`), both ways.
#[test]
fn units_convert_through_a_plant() {
    let src = "use std::units::{rpm, rps, psi, gal, cP, slpm}
plant P {
    dt 1 s
    action speed: rpm in 0 rpm .. 6000 rpm
    action p: bar in 0 bar .. 10 bar
    action v: L in 0 L .. 100 L
    action mu: Pa*s in 0 Pa*s .. 1 Pa*s
    action q: m^3/h in 0 m^3/h .. 10 m^3/h
    action p_in_psi: psi in 0 psi .. 1000 psi
    action v_in_gal: gal in 0 gal .. 100 gal
    let speed_rps: rps = speed
    let speed_si: 1/s = speed
    let p_psi: psi = p
    let v_gal: gal = v
    let mu_cp: cP = mu
    let q_slpm: slpm = q
    let p_bar: bar = p_in_psi
    let v_l: L = v_in_gal
    observe speed_rps
    observe speed_si
    observe p_psi
    observe v_gal
    observe mu_cp
    observe q_slpm
    observe p_bar
    observe v_l
    observe speed
}
";
    let got = both(src, |e| {
        trace(
            e,
            &[&[1500.0, 1.0, 37.85411784, 0.001, 0.06, 145.03773773, 2.0]],
        )
    });
    let want = [
        25.0,
        25.0,
        1e5 / 6894.757293168361,
        10.0,
        1.0,
        1.0,
        145.03773773 * 6894.757293168361 / 1e5,
        2.0 * 3.785411784,
        1500.0,
    ];
    assert_eq!(got[1].len(), want.len());
    for (i, (g, w)) in got[1].iter().zip(want).enumerate() {
        near(&format!("value {i}"), *g, w, 1e-9 * w.abs());
    }
    near("1 bar in psi", got[1][2], 14.503773773, 1e-8);
    near("145.03773773 psi in bar", got[1][6], 10.0, 1e-9);
}
