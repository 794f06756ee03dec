#!/usr/bin/env python3
"""A scripted schedule for examples/factory.plant, as an `exec:` policy of `plantc run`.

    plantc run examples/factory.plant --episodes 1 --policy "exec:python3 examples/factory_policy.py"

Worker 0 alternates between stage 1 (station 0) and the far stage-2 station (2), worker 1
between the near stage-2 station (1) and stage 3 (3); each moves on when the depot it
feeds is stocked or the one it takes from runs dry, and neither walks in the last minute.
It makes 27 items per episode (compiler/tests/factory.rs runs the same rule in Rust).
Orders: 0 work (worker 0), 1-4 walk worker 0 to station k-1, 5 work (worker 1), 6-9 walk
worker 1 to station k-6. A deciding worker is idle, so its position is its station.
"""
import json
import sys


def order(o):
    a, b = o["filling_a"], o["filling_b"]
    time_left = (1.0 - o["time"]) * 300.0
    if o["actor"] == 0:
        station = o["worker_1"]
        if station == 0:
            return 0 if a < 9 and time_left > 58 else 3
        if station == 2:
            return 0 if a > 2 or time_left < 58 else 1
        return 0
    station = o["worker_2"]
    if station == 1:
        return 9 if b > 0 and (b >= 6 or a <= 4 or time_left < 55) else 5
    if station == 3:
        if b > 0 or time_left < 55:
            return 5
        return 7 if a > 1 else 5
    return 5


for line in sys.stdin:
    row = json.loads(line)
    if row["terminated"] or row["truncated"]:
        continue  # the end of an episode needs no answer
    print(json.dumps([order(row["obs"])]), flush=True)
