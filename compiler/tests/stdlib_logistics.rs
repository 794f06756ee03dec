//! `std::logistics`: `Buffer` (full, empty, filling; bad capacities rejected at check
//! time), `Station` (busy/done timing) and `Worker` (the command protocol: walk, work,
//! finished, idle), each driven by a small plant on both kernels, which must agree bit
//! for bit.

use plant_runtime::Env;
use plantc::{Backend, Options};

const BACKENDS: [Backend; 2] = [Backend::Interp, Backend::Jit];

fn compile(src: &str, backend: Backend) -> Result<plant_runtime::Model, String> {
    plantc::compile_str_with(
        "test.plant",
        src,
        &Options {
            backend,
            ..Options::default()
        },
    )
    .map_err(|e| e.to_string())
}

fn env(src: &str, backend: Backend) -> Env {
    Env::new(compile(src, backend).unwrap_or_else(|e| panic!("{e}")))
}

/// Runs `script` on both kernels and checks that what it records is bit-identical;
/// returns the interpreter's record.
fn both(src: &str, script: impl Fn(&mut Env) -> Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let mut runs = BACKENDS.map(|b| script(&mut env(src, b)));
    assert_eq!(runs[0].len(), runs[1].len());
    for (k, (a, b)) in runs[0].iter().zip(&runs[1]).enumerate() {
        let (a, b): (Vec<u64>, Vec<u64>) = (
            a.iter().map(|x| x.to_bits()).collect(),
            b.iter().map(|x| x.to_bits()).collect(),
        );
        assert_eq!(a, b, "record {k}: the kernels differ");
    }
    std::mem::take(&mut runs[0])
}

/// Reset, then one step per action; the observations after each, and the plant time.
fn trace(env: &mut Env, actions: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut first = env.reset(Some(1), None).unwrap().to_vec();
    first.push(0.0);
    let mut out = vec![first];
    for a in actions {
        let s = env.step(a).unwrap();
        let mut row = s.obs.to_vec();
        row.push(s.info.time);
        out.push(row);
    }
    out
}

fn rows_eq(got: &[Vec<f64>], want: &[&[f64]]) {
    assert_eq!(got.len(), want.len(), "number of records");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(&g[..], *w, "record {k}");
    }
}

// ---------------------------------------------------------------------------------------
// Buffer

/// Puts (1) and takes (2) one item per step, guarded by `full` and `empty` as a plant
/// does it.
const BUFFER: &str = "use std::logistics::Buffer
plant P {
    dt 1 s
    b = Buffer(capacity: 3, initial: 1)
    action op: choice 3
    on decide {
        b.level = if op == 1 and not b.full then b.level + 1
            else if op == 2 and not b.empty then b.level - 1
            else b.level
    }
    observe b.level
    observe b.full
    observe b.empty
    observe b.filling
}
";

#[test]
fn buffer_full_empty_and_filling() {
    let got = both(BUFFER, |e| {
        let ops = [1.0, 1.0, 1.0, 0.0, 2.0, 2.0, 2.0, 2.0];
        trace(e, &ops.iter().map(std::slice::from_ref).collect::<Vec<_>>())
    });
    let third = 1.0 / 3.0;
    rows_eq(
        &got,
        &[
            &[1.0, 0.0, 0.0, third, 0.0],
            &[2.0, 0.0, 0.0, 2.0 / 3.0, 1.0],
            &[3.0, 1.0, 0.0, 1.0, 2.0],
            &[3.0, 1.0, 0.0, 1.0, 3.0], // full: the put is refused
            &[3.0, 1.0, 0.0, 1.0, 4.0],
            &[2.0, 0.0, 0.0, 2.0 / 3.0, 5.0],
            &[1.0, 0.0, 0.0, third, 6.0],
            &[0.0, 0.0, 1.0, 0.0, 7.0],
            &[0.0, 0.0, 1.0, 0.0, 8.0], // empty: the take is refused
        ],
    );
}

/// A capacity below 1 or not a whole number is an error at check time, at the argument.
#[test]
fn buffer_rejects_bad_capacities_at_check_time() {
    for (arg, code) in [
        ("-3", "E0414"),
        ("0", "E0414"),
        ("2.5", "E0219"),
        ("10 s", "E0211"),
    ] {
        let src = BUFFER.replace("capacity: 3", &format!("capacity: {arg}"));
        for b in BACKENDS {
            let err = match compile(&src, b) {
                Ok(_) => panic!("capacity {arg} was accepted"),
                Err(e) => e,
            };
            assert!(
                err.contains(code) && err.contains("capacity"),
                "capacity {arg}: want {code}, got:\n{err}"
            );
        }
    }
    // The largest and smallest allowed are fine.
    for arg in ["1", "1000000000"] {
        let src = BUFFER.replace("capacity: 3", &format!("capacity: {arg}"));
        compile(&src, Backend::Interp).unwrap_or_else(|e| panic!("capacity {arg}: {e}"));
    }
}

// ---------------------------------------------------------------------------------------
// Station

/// Started by the plant (`busy`, `remaining = duration`), a station counts down once per
/// tick and is `done` after `duration`; it stays done until the plant takes the item.
#[test]
fn station_is_done_after_its_duration() {
    let src = "use std::logistics::Station
plant P {
    dt 0.5 s
    decide every 1 s
    st = Station(duration: 3 s, period: 0.5 s)
    /// 1 starts a job, 2 takes the finished item.
    action op: choice 3
    on decide {
        st.remaining = if op == 1 and not st.busy then st.duration else st.remaining
        st.busy = if op == 1 then true else if op == 2 and st.done then false else st.busy
    }
    observe st.busy
    observe st.remaining
    observe st.done
}
";
    let got = both(src, |e| {
        let ops = [1.0, 1.0, 0.0, 0.0, 2.0, 0.0];
        trace(e, &ops.iter().map(std::slice::from_ref).collect::<Vec<_>>())
    });
    rows_eq(
        &got,
        &[
            &[0.0, 0.0, 0.0, 0.0],
            &[1.0, 2.0, 0.0, 1.0],
            &[1.0, 1.0, 0.0, 2.0], // busy: the second start changes nothing
            &[1.0, 0.0, 1.0, 3.0], // done after 3 s
            &[1.0, 0.0, 1.0, 4.0], // and stays done
            &[0.0, 0.0, 0.0, 5.0], // the item is taken
            &[0.0, 0.0, 0.0, 6.0],
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Worker

/// Observations: station, phase, remaining, idle, walking, waiting, finished, position.
const WORKER: &str = "use std::logistics::Worker
plant P {
    dt 1 s
    w = Worker(start: 1, period: 1 s)
    action command: 1 in -1 .. 10 -> w.command
    action travel: s in 0 s .. 100 s -> w.travel
    /// Input for the work is there.
    action supply: bool
    /// The plant takes the finished item.
    action take: bool
    state items: 1 = 0
    when w.waiting and supply { w.phase = 3; w.remaining = 2 s }
    when w.finished and take { w.phase = 0; items = items + 1 }
    observe w.station
    observe w.phase
    observe w.remaining
    observe w.idle
    observe w.walking
    observe w.waiting
    observe w.finished
    observe w.position
    observe items
}
";

#[test]
fn worker_walks_works_finishes_and_goes_idle() {
    let got = both(WORKER, |e| {
        trace(
            e,
            &[
                &[3.0, 3.0, 0.0, 0.0],  // walk to station 2, 3 s
                &[-1.0, 9.0, 0.0, 0.0], // carry on (the travel is not read)
                &[-1.0, 0.0, 0.0, 0.0],
                &[0.0, 0.0, 0.0, 0.0],  // work here: waits for input
                &[-1.0, 0.0, 1.0, 0.0], // input comes: works for 2 s
                &[-1.0, 0.0, 0.0, 0.0],
                &[-1.0, 0.0, 0.0, 0.0],
                &[-1.0, 0.0, 0.0, 1.0], // the item is taken
                &[-1.0, 0.0, 0.0, 0.0],
                &[1.0, 2.0, 0.0, 0.0], // walk to station 0
            ],
        )
    });
    rows_eq(
        &got,
        &[
            // station, phase, remaining, idle, walking, waiting, finished, position, items, t
            &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            &[2.0, 1.0, 2.0, 0.0, 1.0, 0.0, 0.0, 6.0, 0.0, 1.0],
            &[2.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 6.0, 0.0, 2.0],
            &[2.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 3.0], // arrived: idle
            &[2.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 4.0], // waiting
            &[2.0, 3.0, 2.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 5.0], // working
            &[2.0, 3.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 6.0],
            &[2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 7.0], // finished
            &[2.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 1.0, 8.0], // handed over: idle
            &[2.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 1.0, 9.0],
            &[0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 4.0, 1.0, 10.0],
        ],
    );
}

/// Event-driven, as the factory runs it: a step lasts until the worker is idle or
/// finished, so a walk of 3 s and 2 s of work (6 and 4 ticks of 0.5 s) show in the
/// plant time; an order that leaves the worker idle takes no time at all.
#[test]
fn worker_steps_last_until_it_needs_an_order() {
    let src = "use std::logistics::Worker
plant P {
    dt 0.5 s
    decide when w.idle or w.finished
    w = Worker(start: 0, period: 0.5 s)
    action command: 1 in -1 .. 10 -> w.command
    action travel: s in 0 s .. 100 s -> w.travel
    state items: 1 = 0
    on decide {
        items = if w.finished then items + 1 else items
        w.phase = if w.finished then 0 else w.phase
    }
    when w.waiting { w.phase = 3; w.remaining = 2 s }
    observe w.station
    observe w.phase
    observe items
}
";
    let got = both(src, |e| {
        trace(
            e,
            &[
                &[4.0, 3.0],  // walk to station 3: 3 s
                &[0.0, 0.0],  // work: 0.5 s waiting for the `when`, then 2 s
                &[-1.0, 0.0], // hand over; no order: idle at once
                &[2.0, 1.5],  // walk to station 1
            ],
        )
    });
    rows_eq(
        &got,
        &[
            &[0.0, 0.0, 0.0, 0.0],
            &[3.0, 1.0, 0.0, 3.0],
            &[3.0, 3.0, 0.0, 5.5],
            &[3.0, 0.0, 1.0, 5.5],
            &[1.0, 1.0, 1.0, 7.0],
        ],
    );
}
