"""Export the Hay cell as NEURON built it (cell.json, read by biophys.FromNEURONExport).

  /usr/bin/python3 export.py MODEL MECH cell.json

MODEL and MECH as in hay_cell.py. Written per section: name, type (soma, axon, dend for
basal, apic), parent index and attachment point, nseg, L, Ra, the 3-D points (or the
stubs' diam), per segment x, cm, NEURON's area and axial resistance ri and diam, every
density mechanism's values per segment (rounded to 12 digits) and the reversal potentials
of its ions (9 digits)."""
import json
import sys

import hay_cell
from neuron import h


def main(model, mech, out):
    c = hay_cell.build(model, mech)
    secs = list(c.all)
    index = {s.name(): i for i, s in enumerate(secs)}
    kind = {}
    for group, k in ((c.somatic, "soma"), (c.axonal, "axon"), (c.basal, "dend"), (c.apical, "apic")):
        for s in group:
            kind[s.name()] = k
    sections = []
    for s in secs:
        parent = s.parentseg()
        ps = s.psection()
        mechs = {}
        for m, params in ps["density_mechs"].items():
            mechs[m] = {p: [round(x, 12) for x in vals] for p, vals in params.items()}
        ions = {}
        for ion, vals in ps["ions"].items():
            ions[ion] = {p: [round(x, 9) for x in v] for p, v in vals.items() if p.startswith("e")}
        sections.append({
            "name": s.name().split(".")[-1],
            "type": kind[s.name()],
            "parent": index[parent.sec.name()] if parent is not None else -1,
            "parent_x": parent.x if parent is not None else None,
            "nseg": s.nseg,
            "L": s.L,
            "Ra": s.Ra,
            "pt3d": [[s.x3d(i), s.y3d(i), s.z3d(i), s.diam3d(i)] for i in range(s.n3d())],
            "diam_if_no_pt3d": s.diam if s.n3d() == 0 else None,
            "segments": [{"x": seg.x, "cm": seg.cm, "area_um2": seg.area(), "ri_Mohm": seg.ri(), "diam": seg.diam}
                         for seg in s],
            "mechanisms": mechs,
            "ions": ions,
        })
    doc = {
        "source": "Hay et al. 2011, ModelDB 139653, morphologies/cell1.asc, models/L5PCbiophys3.hoc",
        "built_by": "NEURON 8.2.2 Import3d_Neurolucida3 + L5PCtemplate (axon replaced by 2 x 30 um stubs)",
        "celsius": h.celsius, "v_init_mV": hay_cell.V_INIT, "spike_threshold_mV": hay_cell.THRESHOLD,
        "spike_site": {"section": 0, "x": 0.5},
        "sections": sections,
    }
    with open(out, "w") as f:
        json.dump(doc, f)
    print(len(sections), "sections,", sum(s["nseg"] for s in sections), "segments", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
