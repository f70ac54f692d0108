"""The Mainen & Sejnowski (1996) layer-3 pyramidal cell j8, built in NEURON exactly as the
model's demofig1.hoc builds it for Figure 1c (ModelDB 2488; public GitHub mirror
ModelDBRepository/2488), without its GUI (RunControl panel, PlotShape, graph) and without
its IClamp.

A setup module for the NEURON reference scripts' neuron_export.py (--setup cell.py) and for
golden.py beside it. build() needs:
  - the environment variable MODEL: a folder holding the model's files (a checkout of the
    mirror; build() reads MODEL/cells/j8.hoc, the morphology, only);
  - the model's mechanisms already loaded: the library of mod/ compiled with nrnivmodl
    (neuron_export.py's --mechlib, golden.py's MECH argument).

What demofig1.hoc does, step by step (fig1c -> load_3dcell("cells/j8.hoc")):
  1. xopen cells/j8.hoc: soma and 104 dendrites, all with 3-D points;
  2. every section: nseg = int(L/50 + 1) (no compartment longer than 50 um);
  3. create_axon(): hill (L 10, nseg 5, diam tapering 4*d -> d), iseg (L 15, nseg 5, diam d),
     5 x (myelin L 100 nseg 5 diam d, node L 1 nseg 1 diam 0.75 d), d = equiv_diam/10 with
     equiv_diam = sqrt(soma area / 4 pi); hill attached at soma(0.5);
  4. init_cell(): pas everywhere (Ra 150, cm 0.75, g_pas 1/30000, e_pas -70; myelin cm 0.04,
     nodes g_pas 0.02); na everywhere (gbar 20 pS/um2 in soma, dendrites and myelin, 30000
     in hill, iseg and nodes); kv 2000 in hill and iseg, 200 in the soma; km 0.1, kca 3,
     ca 0.3 and cad in soma and dendrites; ek -90, ena 60, vshift_na -5, eca 140 with
     ion_style("ca_ion", 0, 1, 0, 0, 0) (eca a fixed parameter although cad writes cai),
     vshift_ca 0;
  5. add_spines(): each dendrite (not the soma) gets L *= F^(2/3) and, for every x of
     for(x) (0, the segment centres and 1, as the hoc loop does), diam(x) *= F^(1/3), with
     F = (L * 0.83 + area) / area (spine area 0.83 um2, density 1 per um).
Run parameters (demofig1.hoc): celsius 37, v_init -70 mV, dt 0.025 ms, steps_per_ms 40."""
import math
import os

from neuron import h

SOURCE = "Mainen & Sejnowski 1996, ModelDB 2488, cells/j8.hoc (L3 pyramid, demofig1.hoc fig1c)"
BUILT_BY = "biophys/testdata/nmodl/mainen/cell.py with NEURON 8.2"

CELSIUS = 37.0
V_INIT = -70.0
DT = 0.025
THRESHOLD = -10.0

# demofig1.hoc's parameters
RA, RM, C_M, CM_MYELIN, G_PAS_NODE = 150.0, 30000.0, 0.75, 0.04, 0.02
EK, ENA = -90.0, 60.0
GNA_DEND, GNA_NODE, GNA_SOMA = 20.0, 30000.0, 20.0
GKV_AXON, GKV_SOMA = 2000.0, 200.0
GCA, GKM, GKCA = 0.3, 0.1, 3.0
N_AXON_SEG = 5
SPINE_DENS, SPINE_AREA = 1.0, 0.83

_keep = []


def build():
    """Build cell j8 as demofig1.hoc's fig1c() does; return its sections (the morphology's
    in hoc creation order, then iseg, hill, myelin[0..4], node[0..4])."""
    model = os.environ.get("MODEL")
    if not model:
        raise SystemExit("cell.py: set MODEL to a folder with the files of ModelDB 2488")
    h.load_file("stdrun.hoc")
    h.tstop = 1000
    h.steps_per_ms = 40
    h.dt = DT
    h.v_init = V_INIT
    h.celsius = CELSIUS

    # load_3dcell("cells/j8.hoc")
    h.xopen(os.path.join(model, "cells", "j8.hoc"))
    dendritic = list(h.allsec())
    soma = h.soma
    for sec in dendritic:
        diam_save = sec.diam
        n = sec.L / 50
        sec.nseg = int(n + 1)
        if sec.n3d() == 0:
            sec.diam = diam_save
    dendritic_only = [s for s in dendritic if s != soma]

    # create_axon()
    equiv_diam = math.sqrt(sum(seg.area() for seg in soma) / (4 * math.pi))
    iseg = h.Section(name="iseg")
    hill = h.Section(name="hill")
    myelin = [h.Section(name=f"myelin[{i}]") for i in range(N_AXON_SEG)]
    node = [h.Section(name=f"node[{i}]") for i in range(N_AXON_SEG)]
    iseg.L, iseg.nseg, iseg.diam = 15, 5, equiv_diam / 10
    hill.L, hill.nseg = 10, 5
    d0, d1 = 4 * iseg.diam, iseg.diam  # diam(0:1) = 4*iseg.diam:iseg.diam
    for i, seg in enumerate(hill):  # hoc's range_interpolate, term for term
        thet = (i + .5) / hill.nseg
        seg.diam = d0 * (1. - thet) + d1 * thet
    for i in range(N_AXON_SEG):
        myelin[i].nseg, myelin[i].L, myelin[i].diam = 5, 100, iseg.diam
        node[i].nseg, node[i].L, node[i].diam = 1, 1.0, iseg.diam * .75
    hill.connect(soma(0.5), 0)
    iseg.connect(hill(1), 0)
    myelin[0].connect(iseg(1), 0)
    node[0].connect(myelin[0](1), 0)
    for i in range(N_AXON_SEG - 1):
        myelin[i + 1].connect(node[i](1), 0)
        node[i + 1].connect(myelin[i + 1](1), 0)
    axon = [iseg, hill] + myelin + node
    allsecs = dendritic + axon

    # init_cell()
    for sec in allsecs:
        sec.insert("pas")
        sec.Ra = RA
        sec.cm = C_M
        for seg in sec:
            seg.pas.g = 1 / RM
            seg.pas.e = h.v_init
    for sec in myelin:
        sec.cm = CM_MYELIN
    for sec in node:
        for seg in sec:
            seg.pas.g = G_PAS_NODE
    for sec in allsecs:
        sec.insert("na")
    for sec in dendritic + myelin:
        for seg in sec:
            seg.na.gbar = GNA_DEND
    for sec in [hill, iseg] + node:
        for seg in sec:
            seg.na.gbar = GNA_NODE
    for sec, g in ((iseg, GKV_AXON), (hill, GKV_AXON), (soma, GKV_SOMA)):
        sec.insert("kv")
        for seg in sec:
            seg.kv.gbar = g
    for sec in dendritic:
        for mech, g in (("km", GKM), ("kca", GKCA), ("ca", GCA)):
            sec.insert(mech)
            for seg in sec:
                setattr(getattr(seg, mech), "gbar", g)
        sec.insert("cad")
    for seg in soma:
        seg.na.gbar, seg.km.gbar, seg.kca.gbar, seg.ca.gbar = GNA_SOMA, GKM, GKCA, GCA
    for sec in allsecs:
        if h.ismembrane("k_ion", sec=sec):
            sec.ek = EK
    for sec in allsecs:
        if h.ismembrane("na_ion", sec=sec):
            sec.ena = ENA
            h.vshift_na = -5
    for sec in allsecs:
        if h.ismembrane("ca_ion", sec=sec):
            sec.eca = 140
            h.ion_style("ca_ion", 0, 1, 0, 0, 0, sec=sec)
            h.vshift_ca = 0

    # add_spines(dendritic_only, spine_dens)
    for sec in dendritic_only:
        a = sum(seg.area() for seg in sec.allseg())
        f = (sec.L * SPINE_AREA * SPINE_DENS + a) / a
        sec.L = sec.L * f ** (2 / 3)
        for seg in sec.allseg():
            seg.diam = seg.diam * f ** (1 / 3)

    _keep.append(allsecs)
    return allsecs
