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
WORK=$(mktemp -d /tmp/ca1-make.XXXXXX)
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

# Current steps: weak (tonic), medium (tonic), strong (two spikes, then depolarization block).
for amp in 0.1 0.3 0.8; do
  quiet $PY golden.py "$MECH" step "$amp" "step_$amp"
  gz "step_$amp.trace.csv"
done
