"""A golden run of the Hay cell in NEURON (fixed step 0.025 ms, v_init -80 mV).

  step:  /usr/bin/python3 golden.py MODEL MECH step AMP_nA OUT
  syn:   /usr/bin/python3 golden.py MODEL MECH syn SYNAPSES.json[.gz] EVENTS.csv[.gz] OUT [TSTOP]

step: an IClamp of AMP nA at soma(0.5) from 700 to 2700 ms, 3000 ms run. syn: ExpSyn
synapses at the sites of SYNAPSES.json driven by the events (one NetCon per synapse and
weight, queued at finitialize), TSTOP ms (default 2000). Writes OUT.trace.csv (soma(0.5)
Vm every 0.1 ms, Vector.record, 4 decimals) and OUT.json {spikes (upward crossings of
-10 mV at soma(0.5), 4 decimals), tstop_ms, neuron (version), command}; NEURON's wall
time for the run goes to stderr."""
import gzip
import json
import sys
import time
from collections import defaultdict

import hay_cell
import neuron
import numpy as np
from neuron import h
from synapses import load


def read_events(path):
    opener = gzip.open if path.endswith(".gz") else open
    groups = defaultdict(list)
    with opener(path, "rt") as f:
        next(f)
        for line in f:
            t, name, w = line.strip().split(",")
            groups[(name, float(w))].append(float(t))
    return groups


def main(argv):
    model, mech, mode = argv[1], argv[2], argv[3]
    cell = hay_cell.build(model, mech)
    secs = list(cell.all)
    soma = cell.soma[0]
    keep = []
    if mode == "step":
        amp, out, tstop = float(argv[4]), argv[5], 3000.0
        clamp = h.IClamp(soma(0.5))
        clamp.delay, clamp.dur, clamp.amp = 700.0, 2000.0, amp
        keep.append(clamp)
    elif mode == "syn":
        out = argv[6]
        tstop = float(argv[7]) if len(argv) > 7 else 2000.0
        syns = {}
        for s in load(argv[4])["synapses"]:
            pp = h.ExpSyn(secs[s["section"]](s["x"]))
            pp.tau, pp.e = s["tau_ms"], s["e_mV"]
            syns[s["name"]] = pp
        for (name, w), times in read_events(argv[5]).items():
            nc = h.NetCon(None, syns[name])
            nc.weight[0] = w
            keep.append((nc, times))

        def queue():
            for nc, times in keep:
                for t in times:
                    nc.event(t)

        fih = h.FInitializeHandler(queue)  # noqa: F841 (kept alive)
    else:
        raise SystemExit(f"mode {mode!r}: want step or syn")
    spikes = h.Vector()
    det = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    det.threshold = hay_cell.THRESHOLD
    det.record(spikes)
    v = h.Vector()
    v.record(soma(0.5)._ref_v, 0.1)
    h.finitialize(hay_cell.V_INIT)
    t0 = time.perf_counter()
    h.continuerun(tstop)
    wall = time.perf_counter() - t0
    np.savetxt(out + ".trace.csv", np.column_stack([np.arange(len(v)) * 0.1, np.array(v)]),
               delimiter=",", header="t_ms,v_mV", comments="", fmt="%.4f")
    with open(out + ".json", "w") as f:
        json.dump({"spikes": [round(x, 4) for x in spikes], "tstop_ms": tstop,
                   "neuron": neuron.__version__, "command": hay_cell.command(argv, model, mech)}, f)
        f.write("\n")
    print(f"{out}: {len(spikes)} spikes, NEURON {wall:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
