"""Where NEURON's fixed step delivers an input event near t + dt/2; writes OUT.json.

  /usr/bin/python3 event_boundary.py event_boundary.json

The hh cell of cells.py (dt 0.025 ms) is initialized and advanced K steps (h.fadvance, as
continuerun does), so that t = t_K, NEURON's time after K steps. One event of weight 0.001 uS
is then queued onto its ExpSyn exc at a time te near the step's boundaries, and the cell
advanced step by step. Recorded is the first step (counting from finitialize, the first
step is 1) whose soma Vm differs from the same run without the event: the first step whose
membrane current includes the event's conductance. (NEURON delivers an event either at the
start of a step or, for te <= t at a step's end, at that end, before the next step: both act
from the next step on, so Vm is the observable, not when g is first seen nonzero.)
te is, with b = t_K + dt/2:
  start   t_K                           at     b
  before  the double just below b        after  the double just above b
  end     t_K + dt
Every time is written with all 17 digits, so the Go test queues the same doubles."""
import json
import math
import os
import sys

import neuron
from neuron import h

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cells  # noqa: E402

DT = 0.025
WEIGHT = 0.001
AFTER = 4  # steps simulated after step K
WHERE = ("start", "before", "at", "after", "end")


def event_time(where, tk):
    b = tk + 0.5 * DT
    return {"start": tk, "before": math.nextafter(b, -math.inf), "at": b,
            "after": math.nextafter(b, math.inf), "end": tk + DT}[where]


def run(cell, nc, k, where):
    """Advance k steps from finitialize, queue the event (where is None: none), advance
    AFTER more steps; return t_k, the event time and soma Vm after each of those steps."""
    h.finitialize(cells.V_INIT)
    for _ in range(k):
        h.fadvance()
    tk, te = h.t, None
    if where is not None:
        te = event_time(where, tk)
        nc.event(te)
    vs = []
    for _ in range(AFTER):
        h.fadvance()
        vs.append(cell.site.v)
    return tk, te, vs


def main(out):
    cells.setup(DT)
    cell = cells.Cell("hh")
    cell.add_default_synapses()
    nc = h.NetCon(None, cell.synapses["exc"])
    nc.weight[0] = WEIGHT
    cases = []
    for k in (0, 1, 7, 400, 4000, 39999):
        _, _, base = run(cell, nc, k, None)
        for where in WHERE:
            tk, te, vs = run(cell, nc, k, where)
            first = next((k + 1 + i for i, (v, v0) in enumerate(zip(vs, base)) if v != v0), None)
            if first is None:
                raise SystemExit(f"k {k} {where}: the event at {te!r} had no effect within {AFTER} steps")
            cases.append({"k": k, "where": where, "t_k": tk, "event_ms": te, "first_step": first})
    cmd = " ".join(["python3", os.path.basename(sys.argv[0])] + sys.argv[1:])
    with open(out, "w") as f:
        json.dump({"cell": "hh", "synapse": "exc", "dt_ms": DT, "weight_uS": WEIGHT,
                   "neuron": neuron.__version__, "command": cmd, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
