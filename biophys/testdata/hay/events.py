"""Poisson input events onto every synapse of the Hay cell's synapses.json.

  /usr/bin/python3 events.py synapses.json[.gz] OUT.csv TSTOP RATE_EXC RATE_INH W_EXC W_INH SEED

Rates in Hz per synapse, weights in uS. The trains are drawn as ../neuron/events.py draws
them, synapse by synapse in the file's order from one numpy default_rng(SEED)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "neuron"))
import events as neuron_events  # noqa: E402
from synapses import load  # noqa: E402


def main(syn_path, out, tstop, rate_exc, rate_inh, w_exc, w_inh, seed):
    trains = []
    for s in load(syn_path)["synapses"]:
        exc = s["kind"] == "exc"
        trains.append((s["name"], float(rate_exc if exc else rate_inh), float(w_exc if exc else w_inh)))
    evs = neuron_events.draw(float(tstop), trains, int(seed))
    neuron_events.write(out, evs)
    print(len(evs), "events", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:9])
