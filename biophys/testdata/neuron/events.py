"""Write an input-event file of independent Poisson trains, one per synapse.

  /usr/bin/python3 events.py OUT.csv --tstop 2000 --syn exc:300:0.001 --syn inh:200:0.003 --seed 10

--syn NAME:RATE_HZ:WEIGHT_US may be repeated; the trains are drawn in the order given from
one numpy default_rng(SEED): for each synapse a Poisson count with mean RATE * TSTOP / 1000,
then that many times uniform in [0, TSTOP). The file (header time_ms,synapse,weight_uS)
lists all events sorted by time, times with 4 decimals."""
import argparse

import numpy as np


def parse_syn(text):
    try:
        name, rate, weight = text.split(":")
        return name, float(rate), float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: want NAME:RATE_HZ:WEIGHT_US")


def draw(tstop, syns, seed):
    """Events (time, synapse, weight) for syns [(name, rate, weight)], sorted."""
    rng = np.random.default_rng(seed)
    events = []
    for name, rate, weight in syns:
        n = rng.poisson(rate * tstop / 1000)
        events += [(t, name, weight) for t in rng.uniform(0, tstop, n)]
    events.sort()
    return events


def write(path, events):
    with open(path, "w") as f:
        f.write("time_ms,synapse,weight_uS\n")
        for t, name, weight in events:
            f.write(f"{t:.4f},{name},{weight}\n")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--tstop", type=float, default=1000.0)
    p.add_argument("--syn", type=parse_syn, action="append", required=True)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    write(a.out, draw(a.tstop, a.syn, a.seed))
