#!/usr/bin/env python3
"""Whole-process `plantc check` time on every example (target: under 50 ms each).

Runs the release binary N times per file and prints the median and minimum wall time,
with `plantc explain E0001` (process start-up, no checking) as the baseline measured in
the same run. Usage: python3 bench/check_examples.py [--runs 21]
"""
import argparse, glob, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def timed(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times), min(times)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "plantc"], cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "plantc")
    med, mn = timed([exe, "explain", "E0001"], args.runs)
    print(json.dumps({"file": "(baseline: plantc explain)", "median_ms": round(med, 2), "min_ms": round(mn, 2)}))
    worst = 0.0
    for f in sorted(glob.glob(os.path.join(ROOT, "examples", "**", "*.plant"), recursive=True)):
        rel = os.path.relpath(f, ROOT)
        med, mn = timed([exe, "check", rel], args.runs)
        worst = max(worst, med)
        print(json.dumps({"file": rel, "median_ms": round(med, 2), "min_ms": round(mn, 2)}))
    print(json.dumps({"worst_median_ms": round(worst, 2), "target_ms": 50, "ok": worst < 50}))
    return 0 if worst < 50 else 1

if __name__ == "__main__":
    sys.exit(main())
