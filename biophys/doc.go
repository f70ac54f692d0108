// Package biophys is neurosurrogate's reference simulator: compartmental
// neurons stepped the way NEURON 8.2 steps them (fixed-step backward Euler,
// the Hines solve, mechanisms' states updated by their own implicit rules),
// so that its spikes equal NEURON's to the time step on the golden runs
// (testdata/, docs/conformance.md).
//
// A cell is data (Cell, read from JSON by LoadCell or from SWC and NEURON
// exports): sections with geometry and segments, density mechanisms (pas,
// hh, the Hay et al. 2011 channels) and synapses (ExpSyn, Exp2Syn, NMDA),
// each registered by name, or the cell's own NMODL files (Cell.NMODL,
// compiled by package nmodl into array operations). Compile turns a cell into a Template, the
// flattened tree the solver works on; a System steps many instances of
// templates together in structure-of-arrays layout, delivering input
// events (Event) at NEURON's half-step boundaries and reporting spikes at
// the spike site. Populations run Poisson-driven cells in lockstep over
// all cores.
//
// Units follow NEURON: ms, mV, µm, µS for synaptic weights, nA for clamps,
// mA/cm² for density currents.
package biophys
