// Reads a sweep table with apache-arrow (independent of the Go writer) and
// prints what it found as JSON for the Go test to check.
// Usage: node read_sweep.mjs sweep.arrow /path/to/apache-arrow/Arrow.node.mjs
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const { tableFromIPC } = await import(pathToFileURL(process.argv[3]).href);
const t = tableFromIPC(readFileSync(process.argv[2]));
const cols = t.schema.fields.map((f) => f.name);
const rows = [];
for (let r = 0; r < t.numRows; r++) {
  const row = {};
  for (const c of cols) {
    const v = t.getChild(c).get(r);
    if (typeof v === "bigint") row[c] = Number(v);
    else if (typeof v === "number") row[c] = Number.isNaN(v) ? "NaN" : v;
    else row[c] = Array.from(v);
  }
  rows.push(row);
}
console.log(JSON.stringify({
  columns: cols,
  types: t.schema.fields.map((f) => String(f.type)),
  units: t.schema.fields.map((f) => f.metadata.get("unit") ?? ""),
  plan: t.schema.metadata.get("neurosurrogate.sweep"),
  rows,
}));
