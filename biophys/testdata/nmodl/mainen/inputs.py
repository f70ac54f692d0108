"""Synapse sites and Poisson input events for golden.py's syn runs (numpy only, no NEURON).

  synapses: /usr/bin/python3 inputs.py synapses EXPORT.json[.gz] OUT.json SEED TYPE N_EXC N_INH
  events:   /usr/bin/python3 inputs.py events SYNAPSES.json OUT.csv TSTOP RATE_EXC RATE_INH W_EXC W_INH SEED

synapses: N_EXC excitatory then N_INH inhibitory ExpSyn sites on the segments of the export's
sections of type TYPE (soma, dend, apic, axon), drawn (numpy default_rng(SEED), with
replacement) with probability proportional to segment length, as
the NEURON reference scripts' hay/hay_synapses.py does; "section" is the index into the export's
sections list, "x" the segment's centre. exc: tau 2 ms, e 0 mV; inh: tau 5 ms, e -80 mV.
Writes {"synapses": [{name, kind, section, x, tau_ms, e_mV}], "type": "ExpSyn"}.
events: the generator of the NEURON reference scripts' hay/hay_events.py: for each synapse (exc if
its name starts with "exc"), Poisson(RATE * TSTOP / 1000) event times uniform in [0, TSTOP),
weight W (uS); all events sorted by time; CSV time_ms,synapse,weight_uS (4 decimals)."""
import gzip
import json
import sys

import numpy as np


def load(path):
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        return json.load(f)


def synapses(export, out, seed, kind, nexc, ninh):
    cell, r = load(export), np.random.default_rng(seed)
    cand = [(i, seg["x"], s["L"] / s["nseg"]) for i, s in enumerate(cell["sections"])
            if s["type"] == kind for seg in s["segments"]]
    w = np.array([c[2] for c in cand])
    w /= w.sum()
    res = []
    for typ, n in (("exc", nexc), ("inh", ninh)):
        for k, idx in enumerate(r.choice(len(cand), size=n, p=w)):
            sec, x, _ = cand[idx]
            res.append({"name": f"{typ}_{kind}_{k}", "kind": typ, "section": sec, "x": x,
                        "tau_ms": 2.0 if typ == "exc" else 5.0, "e_mV": 0.0 if typ == "exc" else -80.0})
    with open(out, "w") as f:
        json.dump({"synapses": res, "type": "ExpSyn"}, f, indent=1)
        f.write("\n")
    print(len(res), "synapses", file=sys.stderr)


def events(syn_path, out, tstop, re_, ri, we, wi, seed):
    syn, r, ev = load(syn_path)["synapses"], np.random.default_rng(seed), []
    for s in syn:
        rate, w = (re_, we) if s["name"].startswith("exc") else (ri, wi)
        ev += [(t, s["name"], w) for t in r.uniform(0, tstop, r.poisson(rate * tstop / 1000))]
    ev.sort()
    with open(out, "w") as f:
        f.write("time_ms,synapse,weight_uS\n")
        for t, n, w in ev:
            f.write(f"{t:.4f},{n},{w}\n")
    print(len(ev), "events", file=sys.stderr)


if __name__ == "__main__":
    a = sys.argv
    if len(a) == 8 and a[1] == "synapses":
        synapses(a[2], a[3], int(a[4]), a[5], int(a[6]), int(a[7]))
    elif len(a) == 10 and a[1] == "events":
        events(a[2], a[3], float(a[4]), float(a[5]), float(a[6]), float(a[7]), float(a[8]), int(a[9]))
    else:
        raise SystemExit(__doc__)
