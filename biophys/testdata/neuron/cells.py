"""The project's built-in cells hh and ballstick, built in NEURON 8.2 as
artifacts/cells/hh.json and artifacts/cells/ballstick.json describe them.

Shared settings: celsius 6.3, v_init -65 mV, fixed step (dt 0.025 ms unless given),
NEURON's default backward Euler (secondorder 0).

  hh         soma only: L = diam = 20 um, cm 1 uF/cm2, NEURON's built-in hh
             (gnabar 0.12, gkbar 0.036, gl 0.0003 S/cm2, el -54.3 mV, ena 50, ek -77).
  ballstick  the hh soma with Ra 100 ohm cm and a passive dendrite from soma(1):
             L 500 um, diam 2 um, nseg 51, Ra 100 ohm cm, cm 1, pas g 1e-4 S/cm2 e -65 mV.

Default synapses (NEURON ExpSyn; an event of weight w uS adds w to g):
  exc  tau 2 ms, e 0 mV    at soma(0.5) for hh, dend(0.5) for ballstick
  inh  tau 5 ms, e -80 mV  at soma(0.5)
Other synapse sets come from a JSON file of the project's synapse entries (name, kind,
section, x, params), see add_synapses. The spike site is soma(0.5), threshold 0 mV.

NEURON's fixed-step rules that the project's simulator reproduces:
  - an input event at time te is delivered at the start of the step [t, t + dt] with
    te <= t + dt/2 (t accumulated as NEURON does: two half-step additions per step);
  - hh takes its rates from tables (usetable_hh 1, 200 intervals over -100..100 mV);
  - a recorded spike time is the end of the step in which Vm crossed the threshold."""
import json

from neuron import h

h.load_file("stdrun.hoc")

CELSIUS = 6.3
V_INIT = -65.0
THRESHOLD = 0.0


class Cell:
    """A built cell: sections and synapses by name, and the spike site."""

    def __init__(self, kind):
        self.kind = kind
        self.sections = {}
        self.synapses = {}
        soma = h.Section(name="soma")
        soma.L = 20.0
        soma.diam = 20.0
        soma.cm = 1.0
        soma.insert("hh")  # NEURON's defaults are the values above
        self.sections["soma"] = soma
        self.site = soma(0.5)
        exc_at = soma(0.5)
        if kind == "ballstick":
            soma.Ra = 100.0
            dend = h.Section(name="dend")
            dend.L = 500.0
            dend.diam = 2.0
            dend.nseg = 51
            dend.Ra = 100.0
            dend.cm = 1.0
            dend.insert("pas")
            for seg in dend:
                seg.pas.g = 1e-4
                seg.pas.e = -65.0
            dend.connect(soma(1))
            self.sections["dend"] = dend
            exc_at = dend(0.5)
        elif kind != "hh":
            raise SystemExit(f"unknown cell {kind!r}: want hh or ballstick")
        self.default_synapses = [("exc", exc_at, 2.0, 0.0), ("inh", soma(0.5), 5.0, -80.0)]

    def add_default_synapses(self):
        for name, seg, tau, e in self.default_synapses:
            s = h.ExpSyn(seg)
            s.tau = tau
            s.e = e
            self.synapses[name] = s

    def add_synapses(self, path):
        """Add the synapses listed in a JSON file {"synapses": [{name, kind, section, x,
        params}]}; kind is a NEURON point process (ExpSyn, Exp2Syn, or NMDA from NMDA.mod)."""
        with open(path) as f:
            spec = json.load(f)
        for s in spec["synapses"]:
            if s["section"] not in self.sections:
                raise SystemExit(f"{path}: synapse {s['name']}: cell {self.kind} has no section {s['section']!r}")
            pp = getattr(h, s["kind"])(self.sections[s["section"]](s["x"]))
            for k, v in s["params"].items():
                setattr(pp, k, v)
            self.synapses[s["name"]] = pp


def setup(dt):
    h.celsius = CELSIUS
    h.dt = dt
