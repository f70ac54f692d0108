// Package dataset generates surrogate training data with the reference
// simulator (package biophys) and reads it back.
//
// # Files
//
// A dataset is a folder of Arrow IPC files (the Arrow "file" format, also
// called Feather v2), one per shard:
//
//	data/hh/shard-00000-of-00016.arrow ... shard-00015-of-00016.arrow
//
// Shard i of n holds the traces j with j % n == i, in increasing order, so
// shards are disjoint and together are the unsharded dataset (which is
// shard 0 of 1). A shard is written to a hidden temporary file in the same
// folder (".shard-...arrow.tmp-*") and renamed when complete: a file with a
// shard name is always complete. Generate refuses to write into a folder
// holding shards made with other settings (checked again, under the folder
// lock FolderLock, just before the rename), and Open refuses folders whose
// shards disagree, miss or double a shard. Every shard carries a checksum
// of its traces and metadata (MetaChecksum), verified before its first
// trace is read, and readers refuse values no simulation produces (Vm
// outside [VmMinMV, VmMaxMV], negative synaptic drive, ...).
//
// # Schema
//
// One row per trace; T = duration/sample_dt samples per trace.
//
//	trace     int32                      global trace index
//	t_ms      FixedSizeList<float32>[T]  t_k = k*sample_dt (ms), k = 0..T-1
//	v_soma    FixedSizeList<float32>[T]  spike-site membrane potential at t_k (mV); v_soma[0] = v_init
//	<synapse> FixedSizeList<float32>[T]  one column per synapse of the cell, named after it:
//	                                     summed weight (uS) of the input events onto it with time in [t_k, t_k+1)
//	<synapse>.timing                     only with Config.Timing (generate --timing), one per synapse after
//	          FixedSizeList<float32>[T]  the synapse columns: over the same events, sum of weight x
//	                                     (t/sample_dt - k - 1/2) (uS*bin): where in the bin they came
//	i_clamp   FixedSizeList<float32>[T]  only with current steps: injected current (nA) during [t_k, t_k+1)
//	spike     FixedSizeList<uint8>[T]    spike-site spikes recorded in (t_k, t_k+1] (NEURON's end-of-step times)
//	params    Struct                     the trace's drawn inputs (see Params): regime, exc_rate_hz,
//	                                     exc_weight_uS, inh_rate_hz, inh_weight_uS, segments
//	                                     List<Struct<start_ms, exc_rate_hz, inh_rate_hz>>, step_amp_nA,
//	                                     step_start_ms, step_dur_ms, attempts (int32), spikes (int32)
//
// So a model that sees v_soma[k] and the drive at k predicts v_soma[k+1] and
// spike[k]; a spike is counted even when the bin is coarser than the spike.
// (The simulator applies an event at time te at the start of the step
// [t, t+dt] with te <= t + dt/2, so an event in the last half step of a bin
// acts from the next bin on: binning by event time, as inference will bin a
// user's events, shifts dt/(2 sample_dt) of the events by one bin.)
// No column is nullable. Buffers are uncompressed for point cells and
// LZ4-compressed (Arrow IPC buffer compression, which pyarrow, polars and
// arrow/go read transparently) for cells with many synapses, whose drive
// columns are mostly zeros (Hay L5PC: 16x smaller); --compress chooses
// none or lz4. Record batches hold Settings.RowsPerBatch rows
// (about 32 KiB of data; one trace for realistic sizes), so reading one
// trace reads little more than that trace.
//
// The schema metadata (the same keys in every shard) holds:
//
//	format     "neurosurrogate-traces/1"
//	generator  the generator's version (Generator)
//	settings   JSON of Settings: cell name and SHA-256, dt_ms, sample_dt_ms,
//	           duration_ms, samples, traces (all shards), seed, shards,
//	           shard_rule, rows_per_batch, compression, channels (name, class exc/inh/timing/clamp,
//	           synapse kind, unit, of: the synapse a timing channel times) and regimes (ranges, mix, ...); identical
//	           in all shards of a dataset
//	shard      JSON {"index": i, "count": n, "traces": rows in this file}
//	cell       the cell description (canonical JSON, biophys.Cell)
//	sampling   a sentence stating the sampling convention above
//
// Column metadata gives units ("unit") and a description ("doc"), and for
// input channels "class", "kind" and, for timing channels, "of".
//
// # Inputs
//
// Every trace is one run of the reference simulator for duration_ms from
// v_init, driven by independent Poisson trains on every synapse. Trace i's
// inputs depend only on (seed, i), never on shards, workers or batches, so
// the same arguments give byte-identical files. (A worker simulates a batch
// of traces as cells of one System, which steps each cell exactly as alone.)
//
// A synapse is excitatory or inhibitory by its name ("exc..." or
// "inh...") or else by its reversal potential (parameter e, default 0 mV:
// e >= -20 mV is excitatory). A trace draws one excitatory rate and weight
// and one inhibitory rate and weight; they apply to every synapse of that
// class (rates are per synapse). Each trace belongs to one regime, drawn
// with the mix's probabilities (defaults in parentheses):
//
//	silent        (5%)  no excitation; inhibition at a rate from the full range in half of them
//	sparse        (10%) rates in the lowest 1% of the full ranges: isolated PSPs, few spikes
//	subthreshold  (10%) busy input: core excitatory rate at a weight in the lower half of the
//	                    full range, inhibition from the upper halves; each attempt that
//	                    spikes is stopped and retried with the excitatory weight and rate
//	                    halved alternately (subthreshold_tries times, then without
//	                    excitation), so these traces have no spike (and their
//	                    excitatory weight may end below the range)
//	core          (60%) stationary, every quantity uniform in the core box
//	driven        (5%)  excitatory rate and weight in the upper halves of the full ranges,
//	                    inhibition below the core: high rates and depolarization block
//	switching     (10%) weights fixed, rates redrawn every segment_ms (100-500 ms):
//	                    20% pauses (no excitation), 40% core, 40% full ranges; onsets and
//	                    offsets a network will produce
//	volleys       (0%)  core input plus synchronous excitatory volleys at 2-20 Hz (a Poisson
//	                    train), each joined by every excitatory synapse with probability
//	                    5-25% at the volley's time plus a Gaussian jitter of sd 0.5-3 ms (all
//	                    three drawn per trace): the correlated input a recurrent network
//	                    delivers; only with --mix
//
// Weights and rates are uniform in their ranges. Like the curriculum of
// Oláh et al. 2022, the mix puts most traces where the surrogate will be
// used (the core box, which should contain the test conditions) and
// surrounds it with silence, subthreshold integration and strong drive.
// Default ranges (DefaultRegimes):
//
//	point cells (<= 4 synapses, each standing for a population; hh, ballstick):
//	  full exc 0-3000 Hz x 0.001-0.005 uS, inh 0-1000 Hz x 0.001-0.006 uS
//	  core exc 500-3000 Hz x 0.001-0.004 uS, inh 200-800 Hz x 0.001-0.006 uS
//	cells with more synapses (rates per synapse; tuned for the Hay L5PC):
//	  full exc 0-30 Hz x 0.002-0.010 uS, inh 0-25 Hz x 0.0005-0.003 uS
//	  core exc 5-25 Hz x 0.004-0.008 uS, inh 5-20 Hz x 0.001-0.002 uS
//
// Optionally a fraction of traces (step_frac, default 0) gets one current
// step (IClamp at the spike site) starting and ending on the sample grid;
// the dataset then has the i_clamp channel.
//
// The events of synapse s in segment j of trace i are exactly
// biophys.NewPoisson(rate, weight, segment length, EventSeeds(seed, i, s, j))
// shifted by the segment's start, plus for a volleys trace the synapse's
// VolleyEvents (times redrawn from the settings by DrawnVolleys, not
// stored), so any trace's input can be rebuilt.
//
// # Reading
//
// Open opens a folder as one Dataset (checking it), Trace reads a trace,
// Scan streams all of them, Split divides trace indices into
// train/validation/test sets, and a Batcher serves batch x time x features
// windows with deterministic shuffling. Reading is lazy, one record batch at
// a time, so datasets larger than memory can be used. Python reads the
// files unchanged with pyarrow or polars.
package dataset
