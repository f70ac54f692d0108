"""The Hay et al. 2011 layer-5 pyramidal cell built in NEURON, for the scripts beside this.

The model is not part of this repository: it is ModelDB 139653 (public GitHub mirror
ModelDBRepository/139653). MODEL is a folder holding its files (models/, morphologies/,
mod/) and MECH the NEURON library of its compiled mod/ files (libnrnmech.so). The cell is
morphologies/cell1.asc with models/L5PCbiophys3.hoc through models/L5PCtemplate.hoc, which
replaces the axon by two 30 um stubs; dt 0.025 ms, backward Euler, v_init -80 mV, spikes
are upward crossings of -10 mV at soma(0.5)."""
import os

from neuron import h

DT = 0.025
V_INIT = -80.0
THRESHOLD = -10.0


def build(model, mech):
    """Load the mechanisms and the model's hoc files, and return the L5PCtemplate cell."""
    h.nrn_load_dll(os.path.abspath(mech))
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    here = os.getcwd()
    os.chdir(model)  # the template opens the morphology by a relative path
    try:
        h.load_file("models/L5PCbiophys3.hoc")
        h.load_file("models/L5PCtemplate.hoc")
        cell = h.L5PCtemplate("morphologies/cell1.asc")
    finally:
        os.chdir(here)
    h.dt = DT
    h.steps_per_ms = 1 / DT
    return cell


def command(argv, model, mech):
    """The command line as recorded in the goldens, with the model's paths as MODEL, MECH."""
    words = ["python3", os.path.basename(argv[0])]
    for a in argv[1:]:
        words.append("MODEL" if a == model else "MECH" if a == mech else a)
    return " ".join(words)
