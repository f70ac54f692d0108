#!/usr/bin/env bash
# Regenerates the Hay L5PC files in this folder from the scripts beside it:
#   biophys/testdata/hay/make.sh MODEL MECH
# MODEL: a folder with the files of ModelDB 139653 (public GitHub mirror
# ModelDBRepository/139653; not part of this repository); MECH: the NEURON library of its
# mod/ files compiled (libnrnmech.so). Needs NEURON 8.2 with Python and numpy
# (/usr/bin/python3). About 4 minutes.
#
#   hay_cell.py   builds the cell in NEURON (cell1.asc, L5PCbiophys3, L5PCtemplate)
#   export.py     cell.json.gz: the cell as NEURON built it
#   synapses.py   synapses.json.gz: 200 ExpSyn sites (seed 1)
#   events.py     NAME.events.csv.gz: Poisson events onto every synapse
#   golden.py     NAME.json (spike times, NEURON version, command), NAME.trace.csv.gz
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 MODEL MECH" >&2; exit 2; }
MODEL=$(cd "$1" && pwd)
MECH=$(readlink -f "$2")
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}
gz() { gzip -n -9 -f "$1"; }

$PY export.py "$MODEL" "$MECH" cell.json 2>/dev/null && gz cell.json
$PY synapses.py cell.json.gz synapses.json 1 && gz synapses.json

# IClamp steps at the soma, 700-2700 ms of a 3000 ms run.
for amp in 0.793 0.4 1.0 1.9; do
  $PY golden.py "$MODEL" "$MECH" step "$amp" "step_$amp" 2>/dev/null
  gz "step_$amp.trace.csv"
done

# Poisson inputs: NAME, then events.py's TSTOP RATE_EXC RATE_INH W_EXC W_INH SEED.
while read -r name args; do
  # shellcheck disable=SC2086
  $PY events.py synapses.json.gz "$name.events.csv" $args
  tstop=${args%% *}
  $PY golden.py "$MODEL" "$MECH" syn synapses.json.gz "$name.events.csv" "$name" "$tstop" 2>/dev/null
  gz "$name.events.csv"
  gz "$name.trace.csv"
done <<'INPUTS'
syn_seed1 2000 10 10 0.006 0.001 1
p5_5_w4_1 2000 5 5 0.004 0.001 2
p5_20_w8_1 2000 5 20 0.008 0.001 6
p15_10_w6_15 2000 15 10 0.006 0.0015 4
p25_5_w4_2 2000 25 5 0.004 0.002 5
p25_20_w8_2 2000 25 20 0.008 0.002 3
INPUTS
