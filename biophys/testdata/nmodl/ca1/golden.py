"""A golden run of the cell of cell.py (beside this script) in NEURON: fixed step (cvode off,
backward Euler) at cell.DT, v_init cell.V_INIT, 1000 ms.

  step: /usr/bin/python3 golden.py MECH step AMP_nA OUT
  syn:  /usr/bin/python3 golden.py MECH syn EXPORT.json[.gz] SYNAPSES.json EVENTS.csv[.gz] OUT

MECH is the NEURON library of mod/ compiled with nrnivmodl (libnrnmech.so); cell.py may
need more (see its docstring, e.g. the environment variable MODEL).
step: an IClamp of AMP nA at soma(0.5), delay 100 ms, duration 800 ms.
syn:  ExpSyn synapses at the sites of SYNAPSES.json (section = index into EXPORT's sections,
      matched to the built cell by name), driven by the events of EVENTS.csv (time_ms,
      synapse,weight_uS): one NetCon per synapse and weight, all its events queued with
      NetCon.event from an FInitializeHandler (as the NEURON reference scripts' hay/hay_golden.py).
Writes OUT.trace.csv (t_ms,v_mV: soma(0.5) Vm every 0.1 ms from 0, Vector.record with Dt
0.1, 4 decimals) and OUT.json {spikes (NetCon threshold cell.THRESHOLD on soma(0.5)._ref_v,
nc.record: upward crossings, 4 decimals), tstop_ms, neuron (h.nrnversion()), command (the
library's path written as MECH)}. NEURON's wall time for the run goes to stderr."""
import gzip
import json
import os
import sys
import time
from collections import defaultdict

import numpy as np
from neuron import h

TSTOP = 1000.0
STEP_DELAY, STEP_DUR = 100.0, 800.0


def opener(path):
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def read_events(path):
    groups = defaultdict(list)
    with opener(path) as f:
        next(f)
        for line in f:
            t, name, w = line.strip().split(",")
            groups[(name, float(w))].append(float(t))
    return groups


def command(argv):
    words = ["python3", os.path.basename(argv[0]), "MECH"] + argv[2:]
    if "MODEL" in os.environ:
        words.insert(0, "MODEL=MODEL")
    return " ".join(words)


def main(argv):
    mech, mode = argv[1], argv[2]
    h.nrn_load_dll(os.path.abspath(mech))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cell
    secs = cell.build()
    byname = {s.name().split(".")[-1]: s for s in secs}
    soma = byname["soma"]
    h.cvode_active(0)
    h.dt = cell.DT
    h.steps_per_ms = 1 / cell.DT
    keep = []
    if mode == "step":
        out = argv[4]
        clamp = h.IClamp(soma(0.5))
        clamp.delay, clamp.dur, clamp.amp = STEP_DELAY, STEP_DUR, float(argv[3])
        keep.append(clamp)
    elif mode == "syn":
        with opener(argv[3]) as f:
            names = [s["name"] for s in json.load(f)["sections"]]
        with opener(argv[4]) as f:
            spec = json.load(f)
        events, out = argv[5], argv[6]
        syns = {}
        for s in spec["synapses"]:
            pp = getattr(h, spec.get("type", "ExpSyn"))(byname[names[s["section"]]](s["x"]))
            pp.tau, pp.e = s["tau_ms"], s["e_mV"]
            syns[s["name"]] = pp
        nets = []
        for (name, w), times in read_events(events).items():
            nc = h.NetCon(None, syns[name])
            nc.weight[0] = w
            nets.append((nc, times))

        def queue():
            for nc, times in nets:
                for t in times:
                    nc.event(t)

        keep += [syns, nets, h.FInitializeHandler(queue)]
    else:
        raise SystemExit(f"mode {mode!r}: want step or syn")
    spikes = h.Vector()
    det = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    det.threshold = cell.THRESHOLD
    det.record(spikes)
    v = h.Vector()
    v.record(soma(0.5)._ref_v, 0.1)
    h.finitialize(cell.V_INIT)
    t0 = time.perf_counter()
    h.continuerun(TSTOP)
    wall = time.perf_counter() - t0
    np.savetxt(out + ".trace.csv", np.column_stack([np.arange(len(v)) * 0.1, np.array(v)]),
               delimiter=",", header="t_ms,v_mV", comments="", fmt="%.4f")
    with open(out + ".json", "w") as f:
        json.dump({"spikes": [round(x, 4) for x in spikes], "tstop_ms": TSTOP,
                   "neuron": h.nrnversion(), "command": command(argv)}, f)
        f.write("\n")
    print(f"{out}: {len(spikes)} spikes, NEURON {wall:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
