"""Choose the Hay cell's 200 synapse sites from cell.json (deterministic for a seed).

  /usr/bin/python3 synapses.py cell.json synapses.json 1

As in Olah et al. 2022: 100 excitatory and 30 inhibitory sites on the apical tree, 50 and
20 on the basal dendrites, each a segment drawn (with replacement) with probability
proportional to its length, all from one numpy default_rng(SEED), in the order apical exc,
apical inh, basal exc, basal inh. exc: ExpSyn tau 2 ms, e 0 mV; inh: tau 5 ms, e -80 mV."""
import gzip
import json
import sys

import numpy as np

KINDS = {"exc": (2.0, 0.0), "inh": (5.0, -80.0)}  # tau_ms, e_mV


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


def main(cell_path, out, seed):
    cell = load(cell_path)
    rng = np.random.default_rng(int(seed))
    synapses = []
    for tree, counts in (("apic", (("exc", 100), ("inh", 30))), ("dend", (("exc", 50), ("inh", 20)))):
        segs = [(i, seg["x"], s["L"] / s["nseg"])
                for i, s in enumerate(cell["sections"]) if s["type"] == tree for seg in s["segments"]]
        p = np.array([length for _, _, length in segs])
        p /= p.sum()
        for kind, n in counts:
            tau, e = KINDS[kind]
            for j, k in enumerate(rng.choice(len(segs), size=n, p=p)):
                sec, x, _ = segs[k]
                synapses.append({"name": f"{kind}_{tree}_{j}", "section": sec, "x": x,
                                 "tau_ms": tau, "e_mV": e, "kind": kind})
    with open(out, "w") as f:
        json.dump({"synapses": synapses, "type": "ExpSyn"}, f, indent=1)
    print(len(synapses), "synapses", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
