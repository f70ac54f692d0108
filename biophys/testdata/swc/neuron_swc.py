"""How NEURON 8.2's Import3d builds testdata/swc/*.swc, for TestSWCMatchesNEURON.
  /usr/bin/python3 neuron_swc.py small.swc > small.neuron.json
Sections with parent and attach point, and per segment (nseg = 1 + 2*int(L/40),
Ra 100, cm 1) NEURON's area and ri."""
import json, sys
from neuron import h
h.load_file("stdrun.hoc"); h.load_file("import3d.hoc")
r = h.Import3d_SWC_read(); r.input(sys.argv[1])
h.Import3d_GUI(r, 0).instantiate(None)
out = []
for s in h.allsec():
    s.Ra, s.cm = 100, 1
    s.nseg = 1 + 2 * int(s.L / 40)
for s in h.allsec():
    ps = s.parentseg()
    out.append({"name": s.name(), "parent": ps.sec.name() if ps else None, "parent_x": ps.x if ps else None,
                "L": s.L, "nseg": s.nseg, "n3d": s.n3d(),
                "area_um2": [seg.area() for seg in s], "ri_Mohm": [seg.ri() for seg in s]})
print(json.dumps(out, indent=1))
