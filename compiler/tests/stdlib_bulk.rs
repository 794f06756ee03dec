//! `std::bulk` component by component: `Reservoir` (integration and clipping),
//! `BeltConveyor` (flow in rpm), `Bin` (one tick of the volume balance by hand),
//! `SpeedConveyor`, `VibratoryConveyor`, `VacuumPump` (start delay and on-duration timer,
//! against the pump timing table of the BGLP reference) and `RotaryFeeder`. Every plant
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

fn rows_near(got: &[Vec<f64>], want: &[&[f64]], tol: f64) {
    assert_eq!(got.len(), want.len(), "number of records");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "record {k}: length");
        for (i, (&g, &w)) in g.iter().zip(w.iter()).enumerate() {
            near(&format!("record {k}, value {i}"), g, w, tol);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reservoir

const RESERVOIR: &str = "use std::bulk::Reservoir
plant P {
    dt 1 s
    integrator INTEGRATOR
    r = Reservoir(capacity: 10 L, initial: 0.5)
    action qin: L/s in 0 L/s .. 20 L/s -> r.inflow
    action qout: L/s in 0 L/s .. 20 L/s -> r.outflow
    bond 0.25 L/s -> r.inflow
    observe r.volume
    observe r.level
}
";

/// `der volume = inflow - outflow` (the summing inflow adds the action and a constant
/// bond), clipped at the capacity and at zero after each tick.
#[test]
fn reservoir_integrates_and_clips_at_capacity_and_zero() {
    for integrator in ["euler", "rk4", "rk45"] {
        let src = RESERVOIR.replace("INTEGRATOR", integrator);
        let got = both(&src, |e| {
            trace(
                e,
                &[
                    &[2.0, 0.5],  // 5 + 2.25 - 0.5 = 6.75
                    &[0.0, 3.0],  // 6.75 + 0.25 - 3 = 4
                    &[10.0, 0.0], // 4 + 10.25 = 14.25: overflows to 10
                    &[0.0, 0.25], // 10 + 0.25 - 0.25: stays full
                    &[0.0, 20.0], // 10 + 0.25 - 20 < 0: empties to 0
                    &[0.75, 0.0], // 0 + 1
                ],
            )
        });
        rows_near(
            &got,
            &[
                &[5.0, 0.5],
                &[6.75, 0.675],
                &[4.0, 0.4],
                &[10.0, 1.0],
                &[10.0, 1.0],
                &[0.0, 0.0],
                &[1.0, 0.1],
            ],
            1e-12,
        );
    }
}

// ---------------------------------------------------------------------------------------
// BeltConveyor

/// `flow = k * speed` with the speed in rpm: 0.01 L per revolution at 1200 rpm is
/// 0.2 L/s, which fills the reservoir behind it by 0.2 L per second.
#[test]
fn belt_conveyor_flow_is_k_times_speed_in_rpm() {
    let src = "use std::units::rpm
use std::bulk::{BeltConveyor, Reservoir}
plant P {
    dt 1 s
    integrator euler
    belt = BeltConveyor(k: 0.01 L)
    r = Reservoir(capacity: 100 L, initial: 0)
    action speed: rpm in 0 rpm .. 3000 rpm -> belt.speed
    bond belt.flow -> r.inflow
    observe belt.speed
    observe belt.flow
    let flow_lpm: L/min = belt.flow
    observe flow_lpm
    observe r.volume
}
";
    let got = both(src, |e| trace(e, &[&[1200.0], &[1200.0], &[300.0], &[0.0]]));
    rows_near(
        &got,
        &[
            &[0.0, 0.0, 0.0, 0.0],
            &[1200.0, 0.2, 12.0, 0.2],
            &[1200.0, 0.2, 12.0, 0.4],
            &[300.0, 0.05, 3.0, 0.45],
            &[0.0, 0.0, 0.0, 0.45],
        ],
        1e-12,
    );
}

// ---------------------------------------------------------------------------------------
// Bin

/// One step = one tick of 0.5 s, so the per-decision sums are this tick's values.
fn bin_plant(args: &str) -> String {
    format!(
        "use std::bulk::Bin
plant P {{
    dt 0.5 s
    b = Bin({args})
    action fed: L in 0 L .. 20 L -> b.fed
    action drawn: L in 0 L .. 20 L -> b.drawn
    observe b.volume
    observe b.level
    observe b.overflow_sum
    observe b.shortfall_sum
    observe b.margin_sum
}}
"
    )
}

/// Volume balance, overflow, shortfall and the margin cost below, inside and above the
/// band, by hand (capacity 10 L, band 0.2 .. 0.8, slope 4, 0.5 s ticks).
#[test]
fn bin_volume_balance_overflow_shortfall_and_margin_by_hand() {
    let src =
        bin_plant("capacity: 10 L, initial: 0.5, low: 0.2, high: 0.8, slope: 4, period: 0.5 s");
    let got = both(&src, |e| {
        trace(
            e,
            &[
                &[1.0, 2.0],  // 5 + 1 - 2 = 4; level 0.5 at the start: no margin
                &[8.0, 1.0],  // 4 + 8 - 1 = 11: 1 L overflows, the bin is full
                &[0.0, 12.0], // takes only the 10 L it holds; 2 L short; level 1: above
                &[0.0, 0.0],  // empty, level 0: below
                &[3.0, 0.0],  // 3 L in; level 0 at the start: below again
                &[0.0, 1.0],  // level 0.3 at the start: inside
            ],
        )
    });
    // Above: 4 / (1 - 0.8) * (1 - 0.8) * 0.5 s; below: -4 / 0.2 * (0 - 0.2) * 0.5 s.
    let above = 4.0 / (1.0 - 0.8) * (1.0 - 0.8) * 0.5;
    let below = (0.0 - 4.0) / 0.2 * (0.0 - 0.2) * 0.5;
    near("margin above the band", above, 2.0, 1e-12);
    near("margin below the band", below, 2.0, 1e-12);
    rows_near(
        &got,
        &[
            &[5.0, 0.5, 0.0, 0.0, 0.0],
            &[4.0, 0.4, 0.0, 0.0, 0.0],
            &[10.0, 1.0, 1.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, -2.0, above],
            &[0.0, 0.0, 0.0, 0.0, below],
            &[3.0, 0.3, 0.0, 0.0, below],
            &[2.0, 0.2, 0.0, 0.0, 0.0],
        ],
        1e-12,
    );
}

/// The margin slopes follow `low`, `high` and `slope`: with the band 0.3 .. 0.6 and slope
/// 2, a level of 0.1 costs `2 / 0.3 * 0.2 * period` and 0.9 costs `2 / 0.4 * 0.3 * period`.
#[test]
fn bin_margin_follows_the_band_parameters() {
    for (initial, want) in [
        (0.1, 2.0 / 0.3 * 0.2 * 0.25),
        (0.45, 0.0),
        (0.9, 2.0 / 0.4 * 0.3 * 0.25),
    ] {
        let src = bin_plant(&format!(
            "capacity: 10 L, initial: {initial}, low: 0.3, high: 0.6, slope: 2, period: 0.25 s"
        ));
        let got = both(&src, |e| trace(e, &[&[0.0, 0.0]]));
        near(&format!("margin at {initial}"), got[1][4], want, 1e-12);
    }
}

/// With `refill`, a level at or below `refill_below` after a tick is topped up to the
/// initial level at once; without it the bin just drains.
#[test]
fn bin_refill_restores_the_initial_level() {
    for refill in [true, false] {
        let src = bin_plant(&format!(
            "capacity: 10 L, initial: 0.5, refill: {refill}, refill_below: 0.2"
        ));
        let got = both(&src, |e| trace(e, &[&[0.0, 2.5], &[0.0, 1.0], &[0.0, 0.5]]));
        let want: Vec<&[f64]> = if refill {
            vec![
                &[5.0, 0.5],
                &[2.5, 0.25], // above 0.2: no refill
                &[5.0, 0.5],  // 1.5 L, level 0.15: refilled
                &[4.5, 0.45],
            ]
        } else {
            vec![&[5.0, 0.5], &[2.5, 0.25], &[1.5, 0.15], &[1.0, 0.1]]
        };
        let got: Vec<Vec<f64>> = got.iter().map(|r| r[..2].to_vec()).collect();
        rows_near(&got, &want, 1e-12);
    }
}

/// The sums run over every tick since the last decision: two ticks per step here.
#[test]
fn bin_sums_restart_at_each_decision() {
    let src = bin_plant("capacity: 10 L, initial: 0.9, period: 0.5 s")
        .replace("dt 0.5 s", "dt 0.5 s\n    decide every 1 s");
    let got = both(&src, |e| trace(e, &[&[2.0, 0.0], &[0.0, 0.0]]));
    // Step 1: 9 + 2 overflows 1 L in the first tick; 10 + 2 overflows 2 L in the second.
    // Margins from the levels at the tick starts: 0.9, then 1.
    let m = |l: f64| 4.0 / (1.0 - 0.8) * (l - 0.8) * 0.5;
    near("overflow over two ticks", got[1][2], 3.0, 1e-12);
    near("margin over two ticks", got[1][4], m(0.9) + m(1.0), 1e-12);
    // Step 2: nothing flows; the sums restarted.
    near("overflow restarted", got[2][2], 0.0, 0.0);
    near("margin restarted", got[2][4], 2.0 * m(1.0), 1e-12);
}

// ---------------------------------------------------------------------------------------
// SpeedConveyor and VibratoryConveyor

/// The setting maps onto `min_speed .. max_speed` and `min_power .. max_power`, capped
/// above at 1 but not below; the delivery is limited by the source; the energy sums
/// `power * period` over the ticks of a decision (two here).
#[test]
fn speed_conveyor_maps_the_setting_and_limits_the_delivery() {
    let src = "use std::units::rpm
use std::bulk::SpeedConveyor
plant P {
    dt 0.5 s
    decide every 1 s
    c = SpeedConveyor(per_rev: 0.01 L, min_speed: 450 rpm, max_speed: 1850 rpm,
        min_power: 40 W, max_power: 50.5 W, period: 0.5 s)
    action setting: 1 in -1 .. 2 -> c.setting
    action source: L in 0 L .. 100 L -> c.source
    observe c.speed
    observe c.amount
    observe c.delivered
    observe c.power
    observe c.energy
}
";
    let got = both(src, |e| {
        trace(
            e,
            &[&[0.5, 10.0], &[1.5, 10.0], &[-0.5, 10.0], &[0.5, 0.05]],
        )
    });
    let row = |s: f64, source: f64| -> Vec<f64> {
        let speed = s * (1850.0 - 450.0) + 450.0; // rpm
        let amount = 0.01 * speed / 60.0 * 0.5; // L
        let power = s * (50.5 - 40.0) + 40.0;
        vec![speed, amount, amount.min(source), power, 2.0 * power * 0.5]
    };
    let (r1, r2, r3, r4) = (
        row(0.5, 10.0),
        row(1.0, 10.0),
        row(-0.5, 10.0),
        row(0.5, 0.05),
    );
    near("speed at 0.5", r1[0], 1150.0, 1e-12);
    near("amount at 0.5", r1[1], 0.01 * 1150.0 / 60.0 * 0.5, 1e-15);
    near("energy at 0.5", r1[4], 45.25, 1e-12);
    near("speed below 0 (not capped)", r3[0], -250.0, 1e-12);
    near("limited delivery", r4[2], 0.05, 0.0);
    rows_near(&got[1..], &[&r1, &r2, &r3, &r4], 1e-9);
}

/// On at a setting of at least 0.5 (`rate * period` per tick, limited by the source),
/// off below; the drive's power is charged in every tick either way.
#[test]
fn vibratory_conveyor_is_on_off_and_always_draws_power() {
    let src = "use std::bulk::VibratoryConveyor
plant P {
    dt 0.5 s
    decide every 2 s
    c = VibratoryConveyor(rate: 0.4 L/s, power: 26.9 W, period: 0.5 s)
    action setting: 1 in 0 .. 1 -> c.setting
    action source: L in 0 L .. 100 L -> c.source
    state moved: L = 0 L
    next moved = moved + c.delivered
    observe c.amount
    observe c.delivered
    observe c.energy
    observe moved
}
";
    let got = both(src, |e| {
        trace(
            e,
            &[&[0.5, 10.0], &[0.49, 10.0], &[1.0, 0.05], &[0.0, 10.0]],
        )
    });
    let energy = 4.0 * 26.9 * 0.5; // four ticks per decision
    rows_near(
        &got,
        &[
            &[0.0, 0.0, 0.0, 0.0],
            &[0.2, 0.2, energy, 0.8],
            &[0.0, 0.0, energy, 0.8],
            &[0.2, 0.05, energy, 1.0],
            &[0.0, 0.0, energy, 1.0],
        ],
        1e-12,
    );
}

// ---------------------------------------------------------------------------------------
// VacuumPump

/// BGLP's Vac_B (or Vac_C) in a plant with BGLP's 0.5 s ticks and 10 s decisions. The
/// plant counts the ticks that moved material and the ticks that drew power.
fn pump_plant(rate: f64, power: f64, delay: f64, max_on: f64) -> String {
    format!(
        "use std::bulk::VacuumPump
plant P {{
    dt 0.5 s
    decide every 10 s
    vac = VacuumPump(rate: {rate} L/s, power: {power} W, start_delay: {delay} s,
        max_on: {max_on} s, period: 0.5 s)
    action setting: 1 in 0 .. 2 -> vac.setting
    action source: L in 0 L .. 100 L -> vac.source
    state moved: L = 0 L
    state flowing: 1 = 0
    state powered: 1 = 0
    next moved = moved + vac.delivered
    next flowing = flowing + (if vac.delivered > 0 L then 1 else 0)
    next powered = powered + (if vac.drawn_power > 0 W then 1 else 0)
    on decide {{
        moved = 0 L
        flowing = 0
        powered = 0
    }}
    observe moved
    observe flowing
    observe powered
    observe vac.energy
}}
"
    )
}

/// The pump timing table of the BGLP reference (A.4, computed by MLPro's code): flowing
/// and powered ticks per 10 s decision for each setting, from an idle pump.
#[test]
fn vacuum_pump_start_delay_and_on_duration_follow_the_bglp_table() {
    let vac_b = pump_plant(0.5304, 305.0, 0.567, 9.15);
    for (setting, flowing, powered) in [
        (0.0, 0, 2),
        (0.05, 0, 2),
        (0.1, 1, 3),
        (0.2, 3, 5),
        (0.5, 9, 11),
        (0.75, 13, 15),
        (0.9, 16, 18),
        (0.99, 18, 20),
        (1.0, 18, 20),
        (2.0, 18, 20), // capped at max_on
    ] {
        let got = both(&vac_b, |e| trace(e, &[&[setting, 100.0]]));
        let [moved, f, p, energy] = got[1][..] else {
            panic!()
        };
        let what = format!("Vac_B at {setting}");
        near(&format!("{what}: flowing ticks"), f, flowing as f64, 0.0);
        near(&format!("{what}: powered ticks"), p, powered as f64, 0.0);
        near(
            &format!("{what}: moved"),
            moved,
            flowing as f64 * 0.2652,
            1e-12,
        );
        near(
            &format!("{what}: energy"),
            energy,
            powered as f64 * 152.5,
            1e-9,
        );
    }
    let vac_c = pump_plant(0.3727, 456.0, 0.979, 9.5);
    for (setting, flowing, powered) in [(0.0, 0, 2), (0.75, 14, 16), (0.9, 17, 19)] {
        let got = both(&vac_c, |e| trace(e, &[&[setting, 100.0]]));
        near(
            &format!("Vac_C at {setting}: flowing"),
            got[1][1],
            flowing as f64,
            0.0,
        );
        near(
            &format!("Vac_C at {setting}: powered"),
            got[1][2],
            powered as f64,
            0.0,
        );
        near(
            &format!("Vac_C at {setting}: moved"),
            got[1][0],
            flowing as f64 * 0.18635,
            1e-12,
        );
    }
}

/// A busy pump ignores the decision: Vac_C at a setting of 1 is still running when the
/// next decision comes (9.5 < 9.5 is false), so it runs one more tick, ignores that
/// decision's setting and is off for the rest of the step; the decision after starts it
/// again. So with the setting held at 1 it runs in alternate steps.
#[test]
fn vacuum_pump_ignores_decisions_while_running() {
    let vac_c = pump_plant(0.3727, 456.0, 0.979, 9.5);
    let got = both(&vac_c, |e| {
        trace(
            e,
            &[&[1.0, 100.0], &[1.0, 100.0], &[1.0, 100.0], &[0.0, 100.0]],
        )
    });
    let counts: Vec<(f64, f64)> = got[1..].iter().map(|r| (r[1], r[2])).collect();
    assert_eq!(
        counts,
        [(18.0, 20.0), (1.0, 1.0), (18.0, 20.0), (1.0, 1.0)],
        "(flowing, powered) ticks per step"
    );
    near(
        "energy of the carried-over tick",
        got[2][3],
        456.0 * 0.5,
        1e-9,
    );
}

/// Tick by tick (one tick per step, so every step is a decision): started at 0 with a
/// setting of 0.2 (stop after 1.83 s), the pump draws power in ticks 0 to 4, moves
/// material from the tick at 1 s (the first past the 0.567 s delay) to the tick at 2 s
/// (the first after 1.83 s, which still runs), and ignores the settings of 1 given while
/// it runs. Idle at 2.5 s, the decision there (setting 0) starts it for two ticks of
/// power; the next run is limited by the source.
#[test]
fn vacuum_pump_tick_by_tick() {
    let src = pump_plant(0.5304, 305.0, 0.567, 9.15).replace("decide every 10 s", "");
    let mut actions: Vec<[f64; 2]> = vec![[0.2, 100.0]];
    actions.extend([[1.0, 100.0]; 4]); // ignored: busy
    actions.push([0.0, 100.0]); // 2.5 s: idle, starts with the stop at 2.5 s
    actions.push([1.0, 100.0]); // ignored: busy
    actions.push([0.2, 0.1]); // 3.5 s: idle, starts; 0.1 L available
    actions.extend([[0.0, 0.1]; 4]); // ignored: busy
    let steps: Vec<&[f64]> = actions.iter().map(|a| &a[..]).collect();
    let got = both(&src, |e| trace(e, &steps));
    let r = 0.5304 * 0.5;
    // (moved, powered) per tick
    let want = [
        (0.0, 1.0), // 0 s: started, in the delay
        (0.0, 1.0),
        (r, 1.0), // 1 s: past the delay
        (r, 1.0),
        (r, 1.0),   // 2 s > 1.83 s: the last tick
        (0.0, 1.0), // 2.5 s: started again
        (0.0, 1.0), // 3 s > 2.5 s: the last tick, still in the delay
        (0.0, 1.0), // 3.5 s: started again
        (0.0, 1.0),
        (0.1, 1.0), // 4.5 s: flowing, limited by the source
        (0.1, 1.0),
        (0.1, 1.0), // 5.5 s > 5.33 s: the last tick
    ];
    assert_eq!(got.len(), want.len() + 1);
    for (k, ((moved, powered), row)) in want.iter().zip(&got[1..]).enumerate() {
        near(&format!("tick {k}: moved"), row[0], *moved, 1e-12);
        near(&format!("tick {k}: powered"), row[2], *powered, 0.0);
        near(
            &format!("tick {k}: energy"),
            row[3],
            powered * 305.0 * 0.5,
            1e-9,
        );
    }
}

// ---------------------------------------------------------------------------------------
// RotaryFeeder

/// `efficiency * pocket_volume * pockets * speed`: 8 pockets of 0.05 L at 0.8 fill and
/// 60 rpm move 0.32 L/s, 0.16 L per 0.5 s tick, limited by what the upstream bin holds;
/// a wheel turning backwards moves nothing and draws no power.
#[test]
fn rotary_feeder_moves_efficiency_times_volume_per_revolution() {
    let src = "use std::units::rpm
use std::bulk::{Bin, RotaryFeeder}
plant P {
    dt 0.5 s
    silo = Bin(capacity: 1 L, initial: 0.5, period: 0.5 s)
    hopper = Bin(capacity: 10 L, initial: 0, period: 0.5 s)
    feeder = RotaryFeeder(pocket_volume: 0.05 L, pockets: 8, efficiency: 0.8, power: 100 W,
        period: 0.5 s)
    action speed: rpm in -100 rpm .. 200 rpm -> feeder.speed
    bond silo.volume -> feeder.source
    bond feeder.amount -> silo.drawn
    bond feeder.delivered -> hopper.fed
    observe feeder.per_rev
    observe feeder.flow
    observe feeder.energy
    observe silo.volume
    observe hopper.volume
}
";
    let got = both(src, |e| {
        trace(e, &[&[60.0], &[60.0], &[60.0], &[60.0], &[-60.0], &[0.0]])
    });
    let q = 0.8 * (0.05 * 8.0) * 1.0; // L/s at 60 rpm
    near("flow at 60 rpm", q, 0.32, 1e-15);
    rows_near(
        &got,
        &[
            &[0.4, 0.0, 0.0, 0.5, 0.0],
            &[0.4, q, 50.0, 0.34, 0.16],
            &[0.4, q, 50.0, 0.18, 0.32],
            &[0.4, q, 50.0, 0.02, 0.48],
            // Only 0.02 L left: the feeder takes and delivers that.
            &[0.4, q, 50.0, 0.0, 0.5],
            &[0.4, 0.0, 0.0, 0.0, 0.5],
            &[0.4, 0.0, 0.0, 0.0, 0.5],
        ],
        1e-12,
    );
}
