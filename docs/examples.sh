#!/usr/bin/env bash
# Regenerates the plots of docs/examples.md (run from the repository's root).
# Every line is the command docs/examples.md shows, with --plot into docs/img/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin plantc
P=target/release/plantc
run() { local name=$1; shift; echo "plantc run $*" >&2; "$P" run "$@" --plot "docs/img/$name.svg" > /dev/null; }
run tank        examples/tank.plant --steps 500 --policy "const:900 rpm"
run cascade     examples/cascade.plant --episodes 1 --policy random --seed 3
run cartpole    examples/cartpole.plant --steps 200 --policy random --seed 1
run bglp        examples/bglp.plant --steps 100 --policy random
run factory     examples/factory.plant --episodes 1 --policy "exec:python3 examples/factory_policy.py" --series filling_a,filling_b,worker_1,worker_2,reward
run perfusion   examples/perfusion.plant --episodes 1 --policy zero --series VCD,Via,Glc,Gln
run ecstr_a0    examples/ipsim/ecstr_a0.plant --episodes 1 --policy "const:306 K"
run ecstr_a0_pid examples/ipsim/ecstr_a0_pid.plant --episodes 1
run ecstr_s0_p  examples/ipsim/ecstr_s0_p.plant --episodes 1
run klatt_engell examples/ipsim/klatt_engell.plant --episodes 1 --policy "const:18.83 h^-1,-4495.7 kJ/h"
run column_p    examples/ipsim/distillation_column_p.plant --episodes 1
run step_pi     examples/ipsim/step_pi.plant --episodes 1
run step_ex_pi  examples/ipsim/step_ex_pi.plant --episodes 1
