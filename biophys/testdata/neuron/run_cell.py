"""One cell of cells.py driven by an input-event file, in NEURON; writes the golden run.

  /usr/bin/python3 run_cell.py --cell hh --events quiet.events.csv --tstop 2000 --out quiet.hh \
      [--synapses SYN.json --mech LIBNRNMECH.so] [--dt 0.025] [--every 4]

Writes OUT.json {"cell", "spikes" (ms, 4 decimals), "neuron" (version), "command"} and
OUT.v.csv: soma(0.5) Vm every EVERY steps from t = 0 (t_ms,v_mV, 5 decimals).
Without --synapses the cell has its default ExpSyn synapses exc and inh; with it, the
synapses listed in SYN.json instead (--mech loads compiled mechanisms, e.g. NMDA.mod's).
Events of the same synapse and weight share one NetCon; all are queued at finitialize."""
import argparse
import json
import os
import sys
from collections import defaultdict

import numpy as np
import neuron
from neuron import h

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import cells  # noqa: E402


def read_events(path):
    """{(synapse, weight): [times]} from an event file."""
    groups = defaultdict(list)
    with open(path) as f:
        header = next(f).strip()
        if header != "time_ms,synapse,weight_uS":
            raise SystemExit(f"{path}: header {header!r}, want time_ms,synapse,weight_uS")
        for n, line in enumerate(f, 2):
            if not line.strip():
                continue
            t, name, w = line.strip().split(",")
            groups[(name, float(w))].append(float(t))
    return groups


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cell", default="hh")
    p.add_argument("--events", required=True)
    p.add_argument("--tstop", type=float, default=1000.0)
    p.add_argument("--dt", type=float, default=0.025)
    p.add_argument("--every", type=int, default=4, help="trace sample every N steps")
    p.add_argument("--synapses", help="JSON file of synapses replacing exc and inh")
    p.add_argument("--mech", help="compiled mechanism library to load (libnrnmech.so)")
    p.add_argument("--out", required=True, help="output prefix")
    a = p.parse_args()
    if a.mech:
        h.nrn_load_dll(a.mech)
    cells.setup(a.dt)
    cell = cells.Cell(a.cell)
    if a.synapses:
        cell.add_synapses(a.synapses)
    else:
        cell.add_default_synapses()

    netcons = []
    for (name, w), times in read_events(a.events).items():
        if name not in cell.synapses:
            raise SystemExit(f"{a.events}: unknown synapse {name!r} (cell has {', '.join(cell.synapses)})")
        nc = h.NetCon(None, cell.synapses[name])
        nc.weight[0] = w
        netcons.append((nc, times))

    def queue():
        for nc, times in netcons:
            for t in times:
                nc.event(t)

    fih = h.FInitializeHandler(queue)  # noqa: F841 (kept alive)
    spikes = h.Vector()
    soma = cell.sections["soma"]
    det = h.NetCon(cell.site._ref_v, None, sec=soma)
    det.threshold = cells.THRESHOLD
    det.record(spikes)
    v = h.Vector()
    v.record(cell.site._ref_v, a.dt)
    h.finitialize(cells.V_INIT)
    h.continuerun(a.tstop)

    vs = np.array(v)
    ts = np.arange(len(vs)) * a.dt
    np.savetxt(a.out + ".v.csv", np.column_stack([ts, vs])[::a.every], delimiter=",",
               header="t_ms,v_mV", comments="", fmt="%.5f")
    out = {"cell": a.cell, "spikes": [round(x, 4) for x in spikes],
           "neuron": neuron.__version__, "command": " ".join(["python3"] + [os.path.basename(sys.argv[0])] + sys.argv[1:])}
    with open(a.out + ".json", "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
