#!/usr/bin/env bash
# Regenerates every file in this folder from the model's public mirror:
#   EXPORTER=.../neuron_export.py biophys/testdata/nmodl/mainen/make.sh SRC
# SRC: a git clone or mirror of ModelDB 2488 (GitHub ModelDBRepository/2488), read at commit $REV, or a plain folder with the
# model's files. The model is checked out, and mod/ compiled, in a temporary folder under
# /tmp (removed at the end); nothing but this folder's files is written.
# Needs NEURON 8.2 with Python and numpy (/usr/bin/python3), nrnivmodl (neuron-dev) and
# EXPORTER: the NEURON reference scripts' neuron_export.py. About 30 s.
#
#   mod/              the model's NMODL files the cell uses, copied byte for byte
#   export.json.gz    neuron_export.py --setup cell.py: the cell as NEURON built it
#   synapses.json     inputs.py synapses: 20 ExpSyn sites on the dendrites (seed 1)
#   step_AMP.*        golden.py step: IClamp AMP nA at soma(0.5), 100-900 ms of 1000 ms
#   syn_NAME.*        inputs.py events + golden.py syn: Poisson input onto every synapse
set -euo pipefail
SRC=${1:?usage: EXPORTER=neuron_export.py make.sh SRC}
REV=${REV:-a9f14c410dbc5060bebebccb67fb54b4818e02a2}
PY=${PY:-/usr/bin/python3}
EXPORTER=${EXPORTER:?set EXPORTER to neuron_export.py of the NEURON reference scripts}
MODS="ca cad kca km kv na"
V_INIT=-70
cd "$(dirname "$0")"
CELL_READS_MODEL=1
# shellcheck source=../modeldb.sh
. ../modeldb.sh  # the model checked out as $MODEL, mod/ compiled as $MECH, export.json.gz

# Synapse sites: 15 exc + 5 inh on the dendrites, seed 1.
$PY inputs.py synapses export.json.gz synapses.json 1 dend 15 5

# Current steps.
for amp in 0.1 0.2 0.3; do
  quiet $PY golden.py "$MECH" step "$amp" "step_$amp"
  gz "step_$amp.trace.csv"
done

# Poisson input, 1000 ms: NAME, then inputs.py events' RATE_EXC RATE_INH (Hz per synapse)
# W_EXC W_INH (uS) SEED.
while read -r name args; do
  # shellcheck disable=SC2086
  $PY inputs.py events synapses.json "$name.events.csv" 1000 $args
  quiet $PY golden.py "$MECH" syn export.json.gz synapses.json "$name.events.csv" "$name"
  gz "$name.events.csv"
  gz "$name.trace.csv"
done <<'INPUTS'
syn_low 20 10 0.002 0.002 1
syn_high 40 10 0.004 0.002 2
INPUTS
