// Reads one shard with apache-arrow (an Arrow implementation independent of
// the Go writer) and prints what it found as JSON for the Go test to check.
// Usage: node read.mjs shard-00000-of-00001.arrow
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";

const table = tableFromIPC(readFileSync(process.argv[2]));
const meta = Object.fromEntries(table.schema.metadata);
const fieldMeta = Object.fromEntries(
  table.schema.fields.map((f) => [f.name, Object.fromEntries(f.metadata)]),
);
const list = (name, r) => Array.from(table.getChild(name).get(r));
const channels = JSON.parse(meta.settings).channels.map((c) => c.name);
const rows = [];
for (let r = 0; r < table.numRows; r++) {
  const p = table.getChild("params").get(r).toJSON();
  rows.push({
    trace: table.getChild("trace").get(r),
    t_ms: list("t_ms", r),
    v_soma: list("v_soma", r),
    drive: channels.map((c) => list(c, r)),
    spike: list("spike", r),
    regime: p.regime,
    exc_rate_hz: p.exc_rate_hz,
    inh_weight_uS: p.inh_weight_uS,
    segments: Array.from(p.segments).map((s) => [s.start_ms, s.exc_rate_hz, s.inh_rate_hz]),
    spikes: p.spikes,
  });
}
console.log(JSON.stringify({
  numRows: table.numRows,
  batches: table.batches.length,
  columns: table.schema.fields.map((f) => f.name),
  types: table.schema.fields.map((f) => String(f.type)),
  nullable: table.schema.fields.map((f) => f.nullable),
  metadata: meta,
  fieldMetadata: fieldMeta,
  rows,
}));
