COMMENT
The NMDA synapse exactly as neurosurrogate's biophys package defines it (point.go):
the conductance of NEURON's Exp2Syn (rise tau1, decay tau2, an event of weight w in uS
raises the peak conductance by w) times the magnesium block of Jahr & Stevens (1990),

    B(v) = 1 / (1 + exp(-0.062 v) [Mg] / 3.57)      v in mV, [Mg] in mM
    i    = g B(v) (v - e)

NEURON has no built-in NMDA point process; this file defines it for the golden runs
in this folder (make.sh compiles it). mgblock(v) is callable from Python as syn.mgblock(v).
ENDCOMMENT

NEURON {
    POINT_PROCESS NMDA
    RANGE tau1, tau2, e, mg, i, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

PARAMETER {
    tau1 = 2 (ms) <1e-9,1e9>
    tau2 = 100 (ms) <1e-9,1e9>
    e = 0 (mV)
    mg = 1 (mM)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    factor
}

STATE {
    A (uS)
    B (uS)
}

INITIAL {
    LOCAL tp
    if (tau1/tau2 > 0.9999) {
        tau1 = 0.9999*tau2
    }
    if (tau1/tau2 < 1e-9) {
        tau1 = tau2*1e-9
    }
    A = 0
    B = 0
    tp = (tau1*tau2)/(tau2 - tau1) * log(tau2/tau1)
    factor = 1/(-exp(-tp/tau1) + exp(-tp/tau2))
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    g = B - A
    i = g*mgblock(v)*(v - e)
}

DERIVATIVE state {
    A' = -A/tau1
    B' = -B/tau2
}

NET_RECEIVE(weight (uS)) {
    A = A + weight*factor
    B = B + weight*factor
}

FUNCTION mgblock(v (mV)) {
    mgblock = 1/(1 + exp(-0.062*v)*(mg/3.57))
}
