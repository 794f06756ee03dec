#!/usr/bin/env python3
"""BGLP: plantc's examples/bglp.plant against MLPro's BGLP itself, on the same machine.

Usage: python3 bench/bglp_mlpro.py [--seeds 1,2,3,4,5] [--steps 50] [--seconds 2] [--rounds 3]
                                   [--plantc PATH]
Needs: pip install mlpro numpy dill multiprocess matplotlib pandas scipy
       (mlpro declares its dependencies only under the [full] extra; see reference/bglp.md)

1. Correctness: for each seed, MLPro is reset with that seed and stepped with random
   actions; its initial levels and actions are replayed through
   `plantc run examples/bglp.plant --init <bin>.initial=... --policy csv:actions.csv`,
   and every observation and all five rewards are compared (max abs difference).
2. Speed: MLPro's environment steps per second (random actions, one Action object per
   step as its API requires) against `plantc bench examples/bglp.plant`'s
   env_steps_per_s, medians over rounds that alternate the two (target: >= 2000x).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINS = ["silo_a", "hopper_a", "silo_b", "hopper_b", "silo_c", "hopper_c"]
ACTIONS = ["belt_a_setting", "vac_b_setting", "belt_b_setting", "vac_c_setting", "belt_c_setting"]
AGENTS = ["belt_a_agent", "vac_b_agent", "belt_b_agent", "vac_c_agent", "belt_c_agent"]


def mlpro_env():
    from mlpro.bf import Log
    from mlpro.rl.models import Reward
    from mlpro.rl.pool.envs.bglp import BGLP

    return BGLP(p_reward_type=Reward.C_TYPE_EVERY_AGENT, p_visualize=False,
                p_logging=Log.C_LOG_NOTHING, t_step=0.5, t_set=10.0, demand=0.1,
                lr_margin=1.0, lr_demand=4.0, lr_power=0.0010, margin_p=[0.2, 0.8, 4],
                prod_target=10000, prod_scenario="continuous", cycle_limit=0)


def mlpro_action(env, values):
    from mlpro.bf.systems import Action, ActionElement

    ids = env.get_action_space().get_dim_ids()
    act = Action()
    for i, a in enumerate(values):
        ae = ActionElement(env.get_action_space().spawn([ids[i]]))
        ae.set_values([a])
        act.add_elem(i, ae)
    return act


def levels(env):
    import numpy as np

    return [np.asarray(v).item() for v in env.get_state().get_values()]


def mlpro_episode(seed, steps):
    """(initial levels, actions, [(obs, rewards)] per step) of MLPro with random actions."""
    import numpy as np

    env = mlpro_env()
    env.reset(p_seed=seed)
    init = levels(env)
    actions = np.random.RandomState(1000 + seed).rand(steps, 5).tolist()
    out = []
    for a in actions:
        env.process_action(mlpro_action(env, a))
        rew = env.compute_reward()
        out.append((levels(env), [float(np.asarray(rew.get_agent_reward(i)).item()) for i in range(5)]))
    return init, actions, out


def plantc_episode(binary, init, actions, tmp):
    acts = os.path.join(tmp, "actions.csv")
    with open(acts, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"act:{a}" for a in ACTIONS])
        for a in actions:
            w.writerow([repr(x) for x in a])
    trace = os.path.join(tmp, "plantc.csv")
    cmd = [binary, "run", os.path.join(ROOT, "examples/bglp.plant"), "--steps", str(len(actions)),
           "--policy", f"csv:{acts}", "--out", trace]
    for b, l0 in zip(BINS, init):
        cmd += ["--init", f"{b}.initial={l0!r}"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    with open(trace) as f:
        rows = list(csv.DictReader(f))
    return [([float(r[f"obs:{b}.level"]) for b in BINS],
             [float(r[f"reward:{a}"]) for a in AGENTS]) for r in rows[1:]]


def mlpro_steps_per_s(seconds):
    import numpy as np

    env = mlpro_env()
    env.reset(p_seed=0)
    actions = np.random.RandomState(0).rand(1000, 5).tolist()
    n, t0 = 0, time.perf_counter()
    while True:
        for a in actions[:50]:
            env.process_action(mlpro_action(env, a))
            env.compute_reward()
        n += 50
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def plantc_bench(binary, seconds):
    out = subprocess.run([binary, "bench", os.path.join(ROOT, "examples/bglp.plant"),
                          "--seconds", str(seconds), "--envs", "1024"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--steps", type=int, default=50)
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
        import mlpro  # noqa: F401
    except ImportError:
        print("mlpro is not installed (pip install mlpro numpy dill multiprocess matplotlib "
              "pandas scipy); nothing to compare", file=sys.stderr)
        return 1

    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in [int(s) for s in args.seeds.split(",")]:
            init, actions, ref = mlpro_episode(seed, args.steps)
            got = plantc_episode(binary, init, actions, tmp)
            assert len(got) == len(ref), (len(got), len(ref))
            d_obs = max(abs(a - b) for (o1, _), (o2, _) in zip(ref, got) for a, b in zip(o1, o2))
            d_rew = max(abs(a - b) for (_, r1), (_, r2) in zip(ref, got) for a, b in zip(r1, r2))
            worst = max(worst, d_obs, d_rew)
            print(f"seed {seed}: {args.steps} steps, max |obs diff| {d_obs:.3g}, "
                  f"max |reward diff| {d_rew:.3g}")
    print(f"largest difference over all seeds: {worst:.3g} (target <= 1e-12)\n")

    mine, theirs = [], []
    for r in range(args.rounds):
        mine.append(plantc_bench(binary, args.seconds)["env_steps_per_s"])
        theirs.append(mlpro_steps_per_s(args.seconds))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    m, t = statistics.median(mine), statistics.median(theirs)
    print(f"{'system':40} {'steps/s (median)':>18}")
    print(f"{'plantc Env::step (examples/bglp.plant)':40} {m:>18,.0f}")
    print(f"{'MLPro BGLP (Python)':40} {t:>18,.1f}")
    print(f"\nplantc vs MLPro: {m / t:,.0f}x (target >= 2000x)")
    return 0 if worst <= 1e-12 else 2


if __name__ == "__main__":
    sys.exit(main())
