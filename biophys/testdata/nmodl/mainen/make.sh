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
WORK=$(mktemp -d /tmp/mainen-make.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
gz() { gzip -n -9 -f "$1"; }
# NEURON's stdout (hoc echoes) is dropped; its stderr without the no-DISPLAY notices is kept.
quiet() { "$@" 2>&1 >/dev/null | { grep -v -e DISPLAY -e 'No graphics' || true; } >&2; }

# The model's files.
mkdir "$WORK/model"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$SRC" archive "$REV" | tar -x -C "$WORK/model"
else
  cp -R "$SRC/." "$WORK/model"
fi
export MODEL="$WORK/model"

# mod/: the files the cell uses; compiled with Debian's nrnivmodl fixed (see
# the reference scripts' README: it compiles, then fails to link; link by hand).
mkdir -p mod "$WORK/mod"
for m in $MODS; do
  cp "$MODEL/$m.mod" mod/
  cp "$MODEL/$m.mod" "$WORK/mod/"
done
sed 's#${bindir}/nrnmech_makefile#/usr/lib/nrn/nrnmech_makefile#' "$(command -v nrnivmodl)" > "$WORK/nrnivmodl-fixed"
chmod +x "$WORK/nrnivmodl-fixed"
(cd "$WORK/mod" && ../nrnivmodl-fixed > "$WORK/nrnivmodl.log" 2>&1 || true)
ARCH=$(uname -m)
(cd "$WORK/mod/$ARCH" && g++ -shared -o libnrnmech.so ./*.o -L/usr/lib/nrn -lnrniv -Wl,-rpath,/usr/lib/nrn)
MECH="$WORK/mod/$ARCH/libnrnmech.so"

# The export.
quiet $PY "$EXPORTER" --mechlib "$MECH" --setup cell.py --out export.json --v-init $V_INIT --threshold -10
gz export.json

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
