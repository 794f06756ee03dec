#!/usr/bin/env python3
"""ipsim's ECSTR_A0 as its Python original runs it (SciPy's LSODA per control step)
against examples/ipsim/ecstr_a0.plant, on the same machine.

Usage: python3 bench/ipsim_lsoda.py [--seconds 2] [--rounds 3] [--plantc PATH]
Needs: pip install numpy scipy

The Python side is the model of reference/ipsim.md 1.3.1 written the way ipsim's node
evaluates it: per step of dt = 0.1 min, `solve_ivp(f, [0, dt], x, args=(u, p),
method="LSODA")` with the inputs held, keeping `y[:, -1]` (ipsim's own solver lambda).

1. Agreement: from (cA, cB, T) = (0.5, 0, 350) at a constant coolant temperature of
   300 K, 100 steps (10 min), the states of both (plantc integrates with rk45, rtol and
   atol 1e-8; LSODA with SciPy's defaults), relative difference.
2. Speed: steps per second with random coolant temperatures in 298..395 K, against
   `plantc bench examples/ipsim/ecstr_a0.plant`'s env_steps_per_s; medians over rounds
   that alternate the two.
"""
import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLANT = os.path.join(ROOT, "examples/ipsim/ecstr_a0.plant")

# reference/ipsim.md 1.3.1 (units: mol/L, K, min)
EA, R, K0, DHR, RHO, CP, UA, V, Q = 72750.0, 8.314, 7.2e10, -5.0e4, 1000.0, 0.239, 5.0e4, 100.0, 100.0
CAI, TI = 1.0, 350.0
DT = 0.1


def ode(t, x, u, c):
    ca, cb, temp = x
    tc = u[0]
    r = K0 * math.exp(-EA / (R * temp)) * ca
    return [
        Q / V * (CAI - ca) - r,
        -Q / V * cb + r,
        Q / V * (TI - temp) + (-DHR / (RHO * CP)) * r + UA / (V * RHO * CP) * (tc - temp),
    ]


def solver(f, ts, x, u, p):
    from scipy.integrate import solve_ivp

    return solve_ivp(f, ts, x, args=(u, p), method="LSODA")


def python_step(x, tc):
    soln = solver(ode, [0, DT], x, (tc,), None)
    return list(soln.y[:, -1])


def python_steps_per_s(seconds):
    import numpy as np

    tcs = np.random.RandomState(0).uniform(298.0, 395.0, 1000).tolist()
    x = [0.5, 0.0, 350.0]
    n, i, t0 = 0, 0, time.perf_counter()
    while True:
        for _ in range(20):
            x = python_step(x, tcs[i % 1000])
            i += 1
            if i % 100 == 0:  # a new episode every 10 min, as the plant truncates
                x = [0.5, 0.0, 350.0]
        n += 20
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def plantc_final_state(binary, tmp):
    out = os.path.join(tmp, "t.csv")
    subprocess.run([binary, "run", PLANT, "--steps", "100", "--policy", "const:300 K",
                    "--init", "reactor.cA=0.5 M", "--init", "reactor.cB=0 M",
                    "--init", "reactor.T=350 K", "--states", "--out", out],
                   check=True, capture_output=True, text=True)
    with open(out) as f:
        last = list(csv.DictReader(f))[-1]
    return [float(last[f"state:reactor.{s}"]) for s in ("cA", "cB", "T")]


def plantc_bench(binary, seconds):
    out = subprocess.run([binary, "bench", PLANT, "--seconds", str(seconds), "--envs", "256"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--plantc", default=None, help="the plantc binary (default: build it)")
    args = ap.parse_args()
    binary = args.plantc
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "-q", "--bin", "plantc"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        binary = os.path.join(target, "release", "plantc")
    try:
        import scipy  # noqa: F401
    except ImportError:
        print("scipy is not installed (pip install numpy scipy); nothing to compare", file=sys.stderr)
        return 1

    x = [0.5, 0.0, 350.0]
    for _ in range(100):
        x = python_step(x, 300.0)
    with tempfile.TemporaryDirectory() as tmp:
        y = plantc_final_state(binary, tmp)
    rel = max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(x, y) if abs(a) > 1e-9)
    print("after 10 min at Tc = 300 K from (0.5, 0, 350):")
    print(f"  Python + LSODA: cA {x[0]:.6f}  cB {x[1]:.6f}  T {x[2]:.4f}")
    print(f"  plantc (rk45):  cA {y[0]:.6f}  cB {y[1]:.6f}  T {y[2]:.4f}")
    print(f"  largest relative difference: {rel:.2e} (reference/ipsim.md asks 1e-4)\n")

    mine, theirs = [], []
    for r in range(args.rounds):
        mine.append(plantc_bench(binary, args.seconds)["env_steps_per_s"])
        theirs.append(python_steps_per_s(args.seconds))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    m, t = statistics.median(mine), statistics.median(theirs)
    print(f"{'system':40} {'steps/s (median)':>18}")
    print(f"{'plantc Env::step (ecstr_a0.plant, rk45)':40} {m:>18,.0f}")
    print(f"{'ipsim ECSTR_A0 (Python, LSODA)':40} {t:>18,.1f}")
    print(f"\nplantc vs Python + LSODA: {m / t:,.0f}x")
    return 0 if rel <= 1e-4 else 2


if __name__ == "__main__":
    sys.exit(main())
