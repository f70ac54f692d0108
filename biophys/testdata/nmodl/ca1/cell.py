"""The CA1 pyramidal cell c91662 of Morse, Carnevale, Mutalik, Migliore & Shepherd (2010),
healthy (control) configuration, built in NEURON exactly as the model's mosinit.hoc ->
fig2A_c91662.hoc builds it (ModelDB 87284; public GitHub mirror ModelDBRepository/87284),
without its GUI (control panels, graphs, PlotShape), without its two IClamps and without
the A-beta manipulations.

A setup module for the NEURON reference scripts' neuron_export.py (--setup cell.py) and for
golden.py beside it. build() needs:
  - the environment variable MODEL: a folder holding the model's files (a checkout of the
    mirror; build() reads MODEL/c91662.ses, the morphology, only);
  - the model's mechanisms already loaded: the library of mod/ compiled with nrnivmodl
    (neuron_export.py's --mechlib, golden.py's MECH argument).

What fig2A_c91662.hoc and the files it loads do, step by step:
  1. xopen c91662.ses: a CellBuild session (works without a display) that creates soma,
     axon, basal[0..57], apic[0..133], all with 3-D points, nseg 1;
  2. pas everywhere, e_pas -65 (Vrest), g_pas 1/Rm with Rm = 10^4.5 ohm cm2, cm 1; Ra 50 in
     the axon, 150 elsewhere;
  3. fixnseg.hoc's geom_nseg() with freq 50 Hz, d_lambda 0.1 (odd nseg from the 3-D points);
  4. distance() origin at soma(0);
  5. control_boxes.hoc: make_leaky_distal_Rm(): in basal and apic sections, for each
     segment centre in turn, g_pas of the WHOLE section (hoc's g_pas = ..., without (x))
     = 1/10^3.5 if the centre is > 350 um from the origin, else 1/10^4.5, so the last
     segment's distance decides for the section;
  6. axon pt3dchange(0, 1): the axon's first 3-D diameter 0.3 -> 1 um (after geom_nseg);
  7. distribute_currents.hoc, assign_migliore_distribution() (scale_ka 1, plateau_500 0):
     axon nax (gbar 0.025 * 5) kdr (0.01); soma ds, hd (ghdbar 5e-5, vhalfl -73), na3
     (0.025), kdr (0.01), kap (0.03); basal hd (vhalfl -73) na3 kdr kap kad (0), apic ds hd
     na3 kdr kap kad (0); then per segment centre at distance d: ghdbar = ghd*(1+3*d/100);
     d > 100: gkabar_kad = KMULT*(1+d/100) and the whole section's vhalfl_hd = -81, else
     gkabar_kap = KMULTP*(1+d/100) and the whole section's vhalfl_hd = -73 (RANGE set
     without (x): the last segment decides);
  8. add_ca.hoc: cacum (depth = diam/2 per segment; the soma's whole section at diam(0.5)),
     cal, can, cat, cagk in soma, basal and apic; init_ca(): gcalbar = gcanbar = 4 gc,
     gcatbar = gc, gbar_cagk = gKc (gc 2.5e-5, gKc 5e-5);
  9. fig2A_c91662.hoc, scale_obliques 3, assign_relative_ka(): for apic[53..128] not yet
     done, the sub-branch (the section and all its descendants) gets, per segment centre
     at distance d (dmin = the sub-branch's smallest centre distance), ghdbar =
     ghd*(1+3*d/100) and, with gstart = KMULT + (KMULT/100)*dmin and o_slope =
     3*KMULT/100, d > 100: gkabar_kad = gstart + o_slope*(d - dmin), vhalfl_hd -81
     (section), else gkabar_kap = gstart + o_slope*(d - dmin), vhalfl_hd -73 (section);
     this is the distribution store_healthy_g_A() keeps and remove_aBeta() restores;
 10. init() of init_and_run_and_graph.hoc, which every run calls (stdinit): ena 55 where
     nax or na3, ek -90 where kdr, kap or kad, ehd_hd -30 (a GLOBAL); finitialize(-65),
     fcurrent(); irest_cacum = ica per segment; e_pas = v + (ina + ik)/g_pas + i_hd/g_pas
     + ica/g_pas per segment, so that every segment is at rest at -65 mV. build() does
     this once; golden.py's finitialize(-65) then starts from the same state.
Run parameters: celsius 35, v_init (Vrest) -65 mV; dt 0.025 ms, the model's setting for its
accurate runs (paper_fig_buttons.hoc's "Demo mode", on at start, uses dt 0.1 ms)."""
import math
import os

from neuron import h

SOURCE = ("Morse, Carnevale, Mutalik, Migliore & Shepherd 2010, ModelDB 87284, c91662.ses "
          "(CA1 pyramid, fig2A_c91662.hoc, healthy)")
BUILT_BY = "biophys/testdata/nmodl/ca1/cell.py with NEURON 8.2"

CELSIUS = 35.0
V_INIT = -65.0
DT = 0.025
THRESHOLD = -10.0

# fig2A_c91662.hoc's parameters
RM = 10 ** 4.5
RM_DISTAL = 10 ** 3.5
CM = 1.0
RA_ALL, RA_AX = 150.0, 50.0
VREST = -65.0
GNA, AXONM, GKDR = 0.025, 5, 0.01
KMULT, KMULTP, GHD = 0.03, 0.03, 0.00005
SCALE_KA, SCALE_OBLIQUES = 1, 3
FREQ, D_LAMBDA = 50, 0.1
THETA = 350
GC, GKC = 1.e-5 * 2.5, 5e-5
ENA, EK, EHD = 55.0, -90.0, -30.0

_keep = []


def lambda_f(sec, freq):
    """fixnseg.hoc's lambda_f, term for term."""
    if sec.n3d() < 2:
        return 1e5 * math.sqrt(sec.diam / (4 * math.pi * freq * sec.Ra * sec.cm))
    x1 = sec.arc3d(0)
    d1 = sec.diam3d(0)
    lam = 0
    for i in range(1, int(sec.n3d())):
        x2 = sec.arc3d(i)
        d2 = sec.diam3d(i)
        lam += (x2 - x1) / math.sqrt(d1 + d2)
        x1 = x2
        d1 = d2
    lam *= math.sqrt(2) * 1e-5 * math.sqrt(4 * math.pi * freq * sec.Ra * sec.cm)
    return sec.L / lam


def build():
    """Build cell c91662 as fig2A_c91662.hoc does; return its sections in hoc creation order
    (soma, axon, basal[0..57], apic[0..133])."""
    model = os.environ.get("MODEL")
    if not model:
        raise SystemExit("cell.py: set MODEL to a folder with the files of ModelDB 87284")
    h.load_file("stdrun.hoc")
    h.celsius = CELSIUS
    h.v_init = V_INIT
    h.dt = DT
    h.steps_per_ms = 1 / DT

    h.xopen(os.path.join(model, "c91662.ses"))
    soma, axon = h.soma, h.axon
    basal, apic = list(h.basal), list(h.apic)
    allsecs = [soma, axon] + basal + apic

    for secs, ra in (([axon], RA_AX), ([soma], RA_ALL), (basal, RA_ALL), (apic, RA_ALL)):
        for sec in secs:
            sec.insert("pas")
            sec.e_pas = VREST
            sec.g_pas = 1 / RM
            sec.Ra = ra
            sec.cm = CM

    # geom_nseg()
    for sec in allsecs:
        sec.nseg = int((sec.L / (D_LAMBDA * lambda_f(sec, FREQ)) + 0.9) / 2) * 2 + 1

    def dist(seg):
        return h.distance(soma(0), seg)

    # make_leaky_distal_Rm()
    for sec in basal + apic:
        for seg in sec:
            sec.g_pas = 1 / RM_DISTAL if dist(seg) > THETA else 1 / RM

    axon.pt3dchange(0, 1)

    # assign_migliore_distribution()
    axon.insert("nax")
    axon.gbar_nax = GNA * AXONM
    axon.insert("kdr")
    axon.gkdrbar_kdr = GKDR
    soma.insert("ds")
    soma.insert("hd")
    soma.ghdbar_hd = GHD
    soma.vhalfl_hd = -73
    soma.insert("na3")
    soma.gbar_na3 = GNA
    soma.insert("kdr")
    soma.gkdrbar_kdr = GKDR
    soma.insert("kap")
    soma.gkabar_kap = KMULTP
    for secs, is_apic in ((basal, False), (apic, True)):
        for sec in secs:
            if is_apic:
                sec.insert("ds")
            sec.insert("hd")
            sec.ghdbar_hd = GHD
            if not is_apic:
                sec.vhalfl_hd = -73
            sec.insert("na3")
            sec.gbar_na3 = GNA
            sec.insert("kdr")
            sec.gkdrbar_kdr = GKDR
            sec.insert("kap")
            sec.gkabar_kap = 0
            sec.insert("kad")
            sec.gkabar_kad = 0
            for seg in sec:
                xdist = dist(seg)
                seg.hd.ghdbar = GHD * (1 + 3 * xdist / 100)
                if xdist > 100:
                    sec.vhalfl_hd = -81
                    seg.kad.gkabar = KMULT * (1 + SCALE_KA * xdist / 100)
                else:
                    sec.vhalfl_hd = -73
                    seg.kap.gkabar = KMULTP * (1 + SCALE_KA * xdist / 100)

    # add_ca.hoc
    for sec in apic + basal:
        sec.insert("cacum")
        for seg in sec:
            seg.cacum.depth = seg.diam / 2
        for mech in ("cal", "can", "cat", "cagk"):
            sec.insert(mech)
    soma.insert("cacum")
    soma.depth_cacum = soma.diam / 2
    for mech in ("cal", "can", "cat", "cagk"):
        soma.insert(mech)
    # init_ca()
    for sec in allsecs:
        if h.ismembrane("cal", sec=sec):
            sec.gcalbar_cal = GC * 4
            sec.gbar_cagk = GKC
        if h.ismembrane("can", sec=sec):
            sec.gcanbar_can = GC * 4
            sec.gbar_cagk = GKC
        if h.ismembrane("cat", sec=sec):
            sec.gcatbar_cat = GC
            sec.gbar_cagk = GKC

    # assign_relative_ka() with scale_obliques 3
    slope = KMULT / 100
    t_slope = slope
    o_slope = SCALE_OBLIQUES * slope
    finished = set()
    for i in range(53, 129):
        if apic[i] in finished:
            continue
        sub = list(apic[i].subtree())
        ds = [dist(seg) for sec in sub for seg in sec]
        dmin = min(ds)
        g0 = KMULT
        for sec in sub:
            for seg in sec:
                xdist = dist(seg)
                seg.hd.ghdbar = GHD * (1 + 3 * xdist / 100)
                gstart = g0 + t_slope * dmin
                if xdist > 100:
                    sec.vhalfl_hd = -81
                    seg.kad.gkabar = gstart + o_slope * (xdist - dmin)
                else:
                    sec.vhalfl_hd = -73
                    seg.kap.gkabar = gstart + o_slope * (xdist - dmin)
        finished.update(sub)

    # init() of init_and_run_and_graph.hoc
    for sec in allsecs:
        if h.ismembrane("nax", sec=sec) or h.ismembrane("na3", sec=sec):
            sec.ena = ENA
        if h.ismembrane("kdr", sec=sec) or h.ismembrane("kap", sec=sec) or h.ismembrane("kad", sec=sec):
            sec.ek = EK
        if h.ismembrane("hd", sec=sec):
            h.ehd_hd = EHD
    h.finitialize(VREST)
    h.fcurrent()
    for sec in allsecs:
        if h.ismembrane("cacum", sec=sec):
            for seg in sec:
                seg.cacum.irest = seg.ica
    for sec in allsecs:
        for seg in sec:
            e = seg.v + (seg.ina + seg.ik) / seg.pas.g
            if h.ismembrane("hd", sec=sec):
                e = e + seg.hd.i / seg.pas.g
            if h.ismembrane("ca_ion", sec=sec):
                e = e + seg.ica / seg.pas.g
            seg.pas.e = e

    _keep.append(allsecs)
    return allsecs
