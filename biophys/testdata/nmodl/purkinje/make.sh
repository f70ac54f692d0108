#!/usr/bin/env bash
# Regenerates every file in this folder from the model's public mirror:
#   EXPORTER=.../neuron_export.py biophys/testdata/nmodl/purkinje/make.sh SRC
# SRC: a git clone or mirror of ModelDB 48332 (GitHub ModelDBRepository/48332), read at commit $REV, or a plain folder with the
# model's files. The model is checked out, and mod/ compiled, in a temporary folder under
# /tmp (removed at the end); nothing but this folder's files is written.
# Needs NEURON 8.2 with Python and numpy (/usr/bin/python3), nrnivmodl (neuron-dev) and
# EXPORTER: the NEURON reference scripts' neuron_export.py. About 10 s.
#
#   mod/              the model's NMODL files (all of them: the cell uses each), byte for byte
#   export.json.gz    neuron_export.py --setup cell.py: the cell as NEURON built it
#   synapses.json     inputs.py synapses: 20 ExpSyn sites on the soma (seed 1)
#   step_AMP.*        golden.py step: IClamp AMP nA at soma(0.5), 100-900 ms of 1000 ms
#   syn_NAME.*        inputs.py events + golden.py syn: Poisson input onto every synapse
set -euo pipefail
SRC=${1:?usage: EXPORTER=neuron_export.py make.sh SRC}
REV=${REV:-c96405173a17d18999d2a8d63d40899a76d02bdf}
PY=${PY:-/usr/bin/python3}
EXPORTER=${EXPORTER:?set EXPORTER to neuron_export.py of the NEURON reference scripts}
MODS="bkpkj cadiff cap ihpkj kpkj kpkj2 kpkjslow pkjlk rsg"
V_INIT=-65
cd "$(dirname "$0")"
# shellcheck source=../modeldb.sh
. ../modeldb.sh  # the model checked out as $MODEL, mod/ compiled as $MECH, export.json.gz

# Synapse sites: 10 exc + 10 inh on the soma (one segment: all at soma(0.5)), seed 1.
$PY inputs.py synapses export.json.gz synapses.json 1 soma 10 10

# Current steps (0: the spontaneous firing).
for amp in 0 0.05 -0.05 0.2; do
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
syn_inh 20 40 0.0005 0.001 1
syn_mix 20 20 0.001 0.001 2
INPUTS
