#!/usr/bin/env bash
# Regenerates every file in this folder from the model's public mirror:
#   EXPORTER=.../neuron_export.py biophys/testdata/nmodl/ca1/make.sh SRC
# SRC: a git clone or mirror of ModelDB 87284 (GitHub ModelDBRepository/87284), read at commit $REV, or a plain folder with the
# model's files. The model is checked out, and mod/ compiled, in a temporary folder under
# /tmp (removed at the end); nothing but this folder's files is written.
# Needs NEURON 8.2 with Python and numpy (/usr/bin/python3), nrnivmodl (neuron-dev) and
# EXPORTER: the NEURON reference scripts' neuron_export.py. About 3 minutes (45 s per run).
#
#   mod/              the model's NMODL files the cell uses, copied byte for byte
#   export.json.gz    neuron_export.py --setup cell.py: the cell as NEURON built it
#   step_AMP.*        golden.py step: IClamp AMP nA at soma(0.5), 100-900 ms of 1000 ms
set -euo pipefail
SRC=${1:?usage: EXPORTER=neuron_export.py make.sh SRC}
REV=${REV:-298b9b6f30b27236076d8078c98af726eef91595}
PY=${PY:-/usr/bin/python3}
EXPORTER=${EXPORTER:?set EXPORTER to neuron_export.py of the NEURON reference scripts}
MODS="cacumm cagk cal2 can2 cat distr h kadist kaprox kdrca1 na3n naxn"
V_INIT=-65
cd "$(dirname "$0")"
CELL_READS_MODEL=1
# shellcheck source=../modeldb.sh
. ../modeldb.sh  # the model checked out as $MODEL, mod/ compiled as $MECH, export.json.gz

# Current steps: weak (tonic), medium (tonic), strong (two spikes, then depolarization block).
for amp in 0.1 0.3 0.8; do
  quiet $PY golden.py "$MECH" step "$amp" "step_$amp"
  gz "step_$amp.trace.csv"
done
