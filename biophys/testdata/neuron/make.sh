#!/usr/bin/env bash
# Regenerates every NEURON golden file in this folder from the scripts beside it.
# Needs NEURON 8.2 with its Python module and NMODL compiler (Debian:
#   apt-get install -y neuron python3-neuron neuron-dev)
# and numpy for /usr/bin/python3. Run from anywhere:  biophys/testdata/neuron/make.sh
#
#   cells.py          the cells hh and ballstick as NEURON builds them
#   events.py         Poisson input-event files (NAME.events.csv)
#   run_cell.py       one cell on one event file -> NAME.CELL.json (spike times, NEURON
#                     version, command) and NAME.CELL.v.csv.gz (soma Vm every 0.1 ms)
#   NMDA.mod          the NMDA synapse as biophys defines it (compiled into x86_64/ here,
#                     which git ignores)
#   syn.CELL.json     the Exp2Syn and NMDA synapses of the synapse runs
#   event_boundary.py events just before, at and just after t + dt/2 -> event_boundary.json
#   mgblock.py        NMDA.mod's Mg block at several voltages -> mgblock.json
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}

# NMDA.mod -> x86_64/libnrnmech.so. Debian's nrnivmodl looks for its makefile in the
# wrong folder and its link step misses libnrniv, so: a fixed copy, then link by hand.
rm -rf x86_64
fixed=$(mktemp)
sed 's#${bindir}/nrnmech_makefile#/usr/lib/nrn/nrnmech_makefile#' "$(command -v nrnivmodl)" > "$fixed"
chmod +x "$fixed"
"$fixed" NMDA.mod > /dev/null 2>&1 || true   # compiles, then fails to link
rm -f "$fixed"
(cd x86_64 && g++ -shared -o libnrnmech.so ./*.o -L/usr/lib/nrn -lnrniv -Wl,-rpath,/usr/lib/nrn)
MECH=x86_64/libnrnmech.so

trace() { gzip -n -9 -f "$1.v.csv"; }

# The conformance inputs: NAME exc-rate exc-weight inh-rate inh-weight seed (2 s, both cells).
while read -r name rexc wexc rinh winh seed; do
  $PY events.py "$name.events.csv" --tstop 2000 --syn "exc:$rexc:$wexc" --syn "inh:$rinh:$winh" --seed "$seed"
  for cell in hh ballstick; do
    $PY run_cell.py --cell "$cell" --events "$name.events.csv" --tstop 2000 --out "$name.$cell" 2>/dev/null
    trace "$name.$cell"
  done
done <<'INPUTS'
quiet 300 0.001 200 0.003 10
low 500 0.002 200 0.003 11
mid 1000 0.003 400 0.004 12
high 2000 0.003 800 0.005 13
block 3000 0.005 200 0.001 15
INPUTS

# The synapse runs: NAME.CELL with the Exp2Syn and NMDA synapses of syn.CELL.json (1 s).
while read -r run seed syns; do
  cell=${run#*.}
  # shellcheck disable=SC2086
  $PY events.py "$run.events.csv" --tstop 1000 $syns --seed "$seed"
  $PY run_cell.py --cell "$cell" --synapses "syn.$cell.json" --mech "$MECH" --events "$run.events.csv" \
      --tstop 1000 --out "$run" 2>/dev/null
  trace "$run"
done <<'INPUTS'
synlow.hh 21 --syn ampa:40:0.0005 --syn nmda:20:0.0008 --syn gaba:30:0.002 --syn even:20:0.0005
synhigh.hh 22 --syn ampa:200:0.0008 --syn nmda:100:0.0012 --syn gaba:150:0.003 --syn even:60:0.0008
synlow.ballstick 24 --syn ampa:100:0.0015 --syn nmda:40:0.002 --syn nmda2:40:0.002 --syn gaba:80:0.004 --syn even:30:0.0015
synhigh.ballstick 23 --syn ampa:400:0.002 --syn nmda:150:0.003 --syn nmda2:150:0.003 --syn gaba:200:0.004 --syn even:100:0.002
INPUTS

$PY event_boundary.py event_boundary.json 2>/dev/null
$PY mgblock.py "$MECH" mgblock.json 2>/dev/null
