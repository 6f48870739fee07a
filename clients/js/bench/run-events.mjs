// What redacting a step's response adds to MeshHook's own log write, in Node: the HTTP
// executor's `insert into workflow_events (run_id, type, payload) values ($1, $2, $3)`, the
// payload holding the first 2 KB of the response (shared/cli/bench/run_events.py makes the
// texts and the table, runs this with node, and says why this is the write MeshHook's 10%
// bound is about). node-postgres, as MeshHook's workers use (through pg-promise), one
// connection, one autocommitted INSERT per event.
//
// Events are timed in chunks (of 20, the Python side says), the two writers taking turns
// chunk by chunk, each chunk's best of `rounds` kept, as in the Python bench. The
// redaction's own time inside the write path is clocked too (one clock read pair per
// event, included).
//
// Input (stdin, JSON): {connection: {host, port, database, user, password}, values, texts,
// events, rounds, chunk, synchronousCommit}. Output (stdout, JSON): {baseline_s,
// redacted_s, redaction_s, events, plain_run, redacted_run}: seconds per event, and the run
// id each writer wrote its events under.
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { createRedactor } from "../dist/index.js";

const RECORDED_CHARS = 2048; // what MeshHook keeps of a response
const INSERT = "insert into public.workflow_events (run_id, type, payload) values ($1, 'step_succeeded', $2)";
const NODE = { id: "callApi", type: "http_call" };

const input = JSON.parse(readFileSync(0, "utf8"));
const { texts, events, rounds, chunk } = input;
const redactor = createRedactor(input.values);
const client = new pg.Client(input.connection);
await client.connect();
try {
  await client.query(`set synchronous_commit = ${input.synchronousCommit ? "on" : "off"}`);
  const runs = { plain: randomUUID(), redacted: randomUUID() }; // a run per writer
  let redactionNs = 0n;
  let redactedEvents = 0;

  async function write(start, n, redact) {
    const began = process.hrtime.bigint();
    for (let i = start; i < start + n; i++) {
      const text = texts[i % texts.length];
      let response;
      if (redact) {
        const t0 = process.hrtime.bigint();
        response = redactor.redactText(text).slice(0, RECORDED_CHARS); // redact first, then cut
        redactionNs += process.hrtime.bigint() - t0;
        redactedEvents++;
      } else {
        response = text.slice(0, RECORDED_CHARS);
      }
      await client.query(INSERT, [redact ? runs.redacted : runs.plain, JSON.stringify({ node: NODE, next: null, response })]);
    }
    return Number(process.hrtime.bigint() - began) / 1e9;
  }

  // A redactor that masked nothing would make the figure meaningless.
  const masked = texts.map((t) => redactor.redactText(t)).join("\n");
  if (input.values.some((v) => masked.includes(v)) || !masked.includes("[REDACTED]")) {
    throw new Error("the JS redactor did not mask the workload's secrets");
  }
  await write(0, Math.min(events, 200), false); // warm the connection and V8
  await write(0, Math.min(events, 200), true);
  redactionNs = 0n;
  redactedEvents = 0;
  const chunks = [];
  for (let start = 0; start < events; start += chunk) chunks.push([start, Math.min(chunk, events - start)]);
  const best = { plain: chunks.map(() => Infinity), redacted: chunks.map(() => Infinity) };
  for (let round = 0; round < rounds; round++) {
    for (const [i, [start, n]] of chunks.entries()) {
      const order = (round + i) % 2 ? ["redacted", "plain"] : ["plain", "redacted"]; // who goes first rotates
      for (const mode of order) best[mode][i] = Math.min(best[mode][i], await write(start, n, mode === "redacted"));
    }
  }
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  process.stdout.write(JSON.stringify({
    baseline_s: sum(best.plain) / events, redacted_s: sum(best.redacted) / events,
    redaction_s: Number(redactionNs) / 1e9 / redactedEvents, events, plain_run: runs.plain, redacted_run: runs.redacted,
  }) + "\n");
} finally {
  await client.end();
}
