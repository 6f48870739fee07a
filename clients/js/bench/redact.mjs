// What the JS redactor costs on the logging workload of `meshhook-secrets bench`
// (shared/cli/bench/redact.py makes the records and values and runs this with node).
//
// A Node worker's log line: an ISO timestamp, level, name and the message made by
// util.format, written with fs.writeSync to /dev/null (a real file, one write per line, as
// a synchronous stdout to a file is). The floor logs the same records without a redactor;
// the redacted logger passes each line through redactText before writing it; the third
// writes it through the redactor's destination (`redactor.destination(fd).write(line +
// "\n")`), which encodes the line once and checks its bytes. Records are timed in chunks,
// the loggers taking turns chunk by chunk, each chunk's best of `rounds` kept (a busy
// neighbour spoils one try of a chunk, not a pass), as in Python.
//
// Input (stdin, JSON): {values, records: [[method, url, status, ms, headers, body], ...],
// count, rounds}. Output (stdout, JSON): {baseline_s, redacted_s, overhead_pct,
// destination_s, destination_overhead_pct}.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import { createRedactor } from "../dist/index.js";

const LINE = "%s %s -> %d in %s ms; headers=%j; body=%s";
const CHUNK = 1000;

const lineOf = (args) => `${new Date().toISOString()} INFO bench: ${format(LINE, ...args)}`;

function logger(fd, redactor) {
  return (args) => {
    const line = lineOf(args);
    writeSync(fd, (redactor ? redactor.redactText(line) : line) + "\n");
  };
}

function destinationLogger(destination) {
  return (args) => destination.write(lineOf(args) + "\n");
}

function time(log, records, start, count) {
  const began = process.hrtime.bigint();
  for (let i = start; i < start + count; i++) log(records[i % records.length]);
  return Number(process.hrtime.bigint() - began) / 1e9;
}

function check(redactor, records, values) {
  // A benchmark of a redactor that masks nothing would be meaningless.
  const dir = mkdtempSync(join(tmpdir(), "meshhook-bench-"));
  try {
    const fd = openSync(join(dir, "log"), "w");
    const log = destinationLogger(redactor.destination(fd));
    records.forEach((args) => log(args));
    closeSync(fd);
    const outs = [records.map((args) => redactor.redactText(format(LINE, ...args))).join("\n"),
      readFileSync(join(dir, "log"), "utf8")];
    if (outs.some((out) => values.some((v) => out.includes(v)) || !out.includes("[REDACTED]"))) {
      throw new Error("the JS redactor did not mask the workload's secrets");
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
}

const input = JSON.parse(readFileSync(0, "utf8"));
const { values, records } = input;
const count = input.count ?? 20000;
const rounds = input.rounds ?? 5;
const redactor = createRedactor(values);
check(redactor, records, values);
const fd = openSync("/dev/null", "w");
const loggers = [["plain", logger(fd, null)], ["redacted", logger(fd, redactor)],
  ["destination", destinationLogger(redactor.destination(fd))]];
for (const [, log] of loggers) time(log, records, 0, Math.min(count, 5000)); // let V8 optimise
const chunks = [];
for (let start = 0; start < count; start += CHUNK) chunks.push([start, Math.min(CHUNK, count - start)]);
const best = Object.fromEntries(loggers.map(([name]) => [name, chunks.map(() => Infinity)]));
for (let round = 0; round < rounds; round++) {
  chunks.forEach(([start, n], i) => {
    const shift = (round + i) % loggers.length; // rotate who runs first
    for (const [name, log] of [...loggers.slice(shift), ...loggers.slice(0, shift)]) {
      best[name][i] = Math.min(best[name][i], time(log, records, start, n));
    }
  });
}
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const [baseline, redacted, destination] = [sum(best.plain), sum(best.redacted), sum(best.destination)];
const pct = (s) => (100 * (s - baseline)) / baseline;
process.stdout.write(JSON.stringify({
  baseline_s: baseline, redacted_s: redacted, overhead_pct: pct(redacted),
  destination_s: destination, destination_overhead_pct: pct(destination),
}) + "\n");
