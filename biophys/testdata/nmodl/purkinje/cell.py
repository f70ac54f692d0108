"""The Khaliq, Gouwens & Raman (2003) Purkinje-cell soma, built in NEURON exactly as the
model's resurgesim.hoc builds it (ModelDB 48332; public GitHub mirror
ModelDBRepository/48332), without the voltage-clamp protocol and graphs of default.ses.

A setup module for the NEURON reference scripts' neuron_export.py (--setup cell.py) and for
golden.py beside it. build() needs the model's mechanisms already loaded: the library of
mod/ compiled with nrnivmodl (neuron_export.py's --mechlib, golden.py's MECH argument);
it reads no files and no environment variables.

resurgesim.hoc: one section `soma`, L = diam = 20 um, nseg 1, NEURON's default Ra (35.4
ohm cm) and cm (1 uF/cm2), with naRsg kpkj kpkj2 kpkjslow bkpkj cadiff cap lkpkj hpkj at
their NMODL defaults, ena = 60 mV, ek = -88 mV. (pkjlk.mod's SUFFIX is lkpkj and
ihpkj.mod's is hpkj: the names resurgesim.hoc inserts.)

Run parameters: the model sets neither celsius nor v_init, so NEURON's defaults hold
(celsius 6.3 degC, which none of the mechanisms reads: cap.mod's GHK uses its own 22 degC;
v_init -65 mV); dt 0.025 ms (the readme's advice for exact curves; default.ses itself
switches between 1, 0.25 and 0.025 ms for its voltage-clamp families); the cell fires
spontaneously."""
from neuron import h

SOURCE = "Khaliq, Gouwens & Raman 2003, ModelDB 48332, resurgesim.hoc (soma only)"
BUILT_BY = "biophys/testdata/nmodl/purkinje/cell.py with NEURON 8.2"

CELSIUS = 6.3   # NEURON's default: the model does not set it
V_INIT = -65.0  # stdrun's default: the model does not set it
DT = 0.025
THRESHOLD = -10.0

_keep = []


def build():
    """Create the soma as resurgesim.hoc does and return [soma]."""
    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    for mech in ("naRsg", "kpkj", "kpkj2", "kpkjslow", "bkpkj", "cadiff", "cap", "lkpkj", "hpkj"):
        soma.insert(mech)
    soma.L = 20
    soma.diam = 20
    soma.ena = 60
    soma.ek = -88
    h.celsius = CELSIUS
    h.v_init = V_INIT
    h.dt = DT
    h.steps_per_ms = 1 / DT
    _keep.append(soma)
    return [soma]
