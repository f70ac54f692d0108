#!/usr/bin/env bash
# Regenerates the NEURON golden runs in this folder (NEURON 8.2 from Debian:
# apt-get install -y neuron python3-neuron). Run from this folder:
#   REF=/path/to/shared/reference ./make.sh
# Each input NAME has NAME.events.csv (make_events.py), and per cell
# NAME.CELL.json (spike times from neuron_cell.py) and NAME.CELL.v.csv.gz
# (soma Vm every 0.1 ms; neuron_cell.py writes every dt, we keep every 4th).
set -euo pipefail
REF=${REF:-../../../../shared/reference}
PY=/usr/bin/python3
while read -r name rexc wexc rinh winh seed; do
  $PY "$REF/make_events.py" "$name.events.csv" --tstop 2000 --rate-exc "$rexc" --w-exc "$wexc" \
      --rate-inh "$rinh" --w-inh "$winh" --seed "$seed"
  for cell in hh ballstick; do
    tmp=$(mktemp)
    $PY "$REF/neuron_cell.py" --cell "$cell" --events "$name.events.csv" --tstop 2000 --trace "$tmp" \
        2>/dev/null > "$name.$cell.json"
    awk 'NR==1 || (NR-2)%4==0' "$tmp" | gzip -n -9 > "$name.$cell.v.csv.gz"
    rm -f "$tmp"
  done
done <<'INPUTS'
quiet 300 0.001 200 0.003 10
low 500 0.002 200 0.003 11
mid 1000 0.003 400 0.004 12
high 2000 0.003 800 0.005 13
block 3000 0.005 200 0.001 15
INPUTS
