#!/usr/bin/env python3
"""CartPole throughput: plantc against Gymnasium and EnvPool, measured in one run.

Usage: python3 bench/env_peers.py [--seconds S] [--rounds R]
Needs: pip install gymnasium envpool numpy  (peers are skipped with a note when missing)
Builds plantc in release mode first. Prints a table of medians and the ratios the
project's targets are stated in:
  - Env::step on CartPole vs Gymnasium's unwrapped CartPole-v1 step (target >= 500x)
  - VecEnv (4096 envs, 1 thread) vs EnvPool's best synchronous throughput (target >= 20x)
Each peer figure is the median of R rounds; rounds alternate between systems so that
machine noise hits all of them alike.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gymnasium_steps_per_s(seconds):
    import gymnasium as gym
    import numpy as np

    env = gym.make("CartPole-v1").unwrapped
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, 100_000).tolist()
    n, i, t0 = 0, 0, time.perf_counter()
    while True:
        for _ in range(1000):
            _, _, term, trunc, _ = env.step(actions[i])
            i = (i + 1) % len(actions)
            if term or trunc:
                env.reset()
        n += 1000
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def envpool_steps_per_s(seconds, num_envs, threads):
    import envpool
    import numpy as np

    env = envpool.make_gymnasium("CartPole-v1", num_envs=num_envs, num_threads=threads, seed=0)
    env.reset()
    actions = np.random.default_rng(0).integers(0, 2, (64, num_envs))
    n, i, t0 = 0, 0, time.perf_counter()
    while True:
        env.step(actions[i % 64])
        i += 1
        n += num_envs
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def plantc_bench(binary, seconds, envs, threads):
    out = subprocess.run(
        [binary, "bench", os.path.join(ROOT, "examples/cartpole.plant"),
         "--envs", str(envs), "--threads", str(threads), "--seconds", str(seconds)],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "--bin", "plantc"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.path.join(target, "release", "plantc")

    res = {k: [] for k in ["gym", "plantc_env", "plantc_vec", "envpool"]}
    pool_configs = [(1, 1), (64, 1), (64, 2), (1024, 2), (4096, 1), (4096, 2)]
    pool_best = {}
    have_gym = have_pool = True
    for r in range(args.rounds):
        b = plantc_bench(binary, args.seconds, 4096, 1)
        res["plantc_env"].append(b["env_steps_per_s"])
        res["plantc_vec"].append(b["vec_steps_per_s"])
        if have_gym:
            try:
                res["gym"].append(gymnasium_steps_per_s(args.seconds))
            except ImportError:
                have_gym = False
                print("note: gymnasium not installed; skipped", file=sys.stderr)
        if have_pool:
            try:
                for cfg in pool_configs:
                    pool_best.setdefault(cfg, []).append(envpool_steps_per_s(args.seconds / 2, *cfg))
            except ImportError:
                have_pool = False
                print("note: envpool not installed; skipped", file=sys.stderr)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    med = {k: statistics.median(v) for k, v in res.items() if v}
    print(f"{'system':45} {'steps/s (median)':>18}")
    print(f"{'plantc Env::step (1 env)':45} {med['plantc_env']:>18,.0f}")
    print(f"{'plantc VecEnv (4096 envs, 1 thread)':45} {med['plantc_vec']:>18,.0f}")
    if "gym" in med:
        print(f"{'Gymnasium CartPole-v1 unwrapped (1 env)':45} {med['gym']:>18,.0f}")
    best_pool = None
    for cfg, v in pool_best.items():
        m = statistics.median(v)
        print(f"{'EnvPool sync ' + str(cfg[0]) + ' envs, ' + str(cfg[1]) + ' threads':45} {m:>18,.0f}")
        best_pool = max(best_pool or 0, m)
    if "gym" in med:
        print(f"\nEnv::step vs Gymnasium: {med['plantc_env'] / med['gym']:.0f}x (target >= 500x)")
    if best_pool:
        print(f"VecEnv vs EnvPool best sync: {med['plantc_vec'] / best_pool:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
