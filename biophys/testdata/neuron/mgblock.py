"""NMDA.mod's magnesium block evaluated by NEURON; writes OUT.json.

  /usr/bin/python3 mgblock.py x86_64/libnrnmech.so mgblock.json

For [Mg] in 0, 0.5, 1, 2 mM and v from -100 to 60 mV, the block factor B(v) =
1 / (1 + exp(-0.062 v) [Mg] / 3.57) as NMDA.mod's FUNCTION mgblock computes it
(all 17 digits)."""
import json
import os
import sys

import neuron
from neuron import h


def main(mech, out):
    h.nrn_load_dll(mech)
    soma = h.Section(name="soma")
    syn = h.NMDA(soma(0.5))
    rows = []
    for mg in (0.0, 0.5, 1.0, 2.0):
        syn.mg = mg
        for v in (-100.0, -80.0, -65.0, -50.0, -35.0, -20.0, -10.0, 0.0, 10.0, 20.0, 40.0, 60.0):
            rows.append({"mg_mM": mg, "v_mV": v, "block": syn.mgblock(v)})
    cmd = " ".join(["python3", os.path.basename(sys.argv[0])] + sys.argv[1:])
    with open(out, "w") as f:
        json.dump({"mechanism": "NMDA.mod mgblock", "neuron": neuron.__version__, "command": cmd,
                   "values": rows}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
