// Redactor#destination writes exactly the bytes of writeSync(fd, redactText(text)), for the
// shared vectors and for random texts in any Unicode (emoji, CJK, lone surrogates), long
// lines and values whose anchor is cut inside a surrogate pair; and it leaves no line that
// held a value in the scratch buffer.
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { scratchIsZero, utf8Anchors } from "../dist/anchors.js";
import { createRedactor } from "../dist/index.js";

const VECTORS = JSON.parse(readFileSync(new URL("../../../tests/vectors/redaction.json", import.meta.url), "utf8"));

/** What the destination wrote for each text, read back from a file. */
function throughDestination(redactor, texts) {
  const dir = mkdtempSync(join(tmpdir(), "meshhook-destination-"));
  const path = join(dir, "log");
  const fd = openSync(path, "w");
  try {
    const destination = redactor.destination(fd);
    const written = [];
    let before = 0;
    for (const text of texts) {
      assert.equal(destination.write(text), true);
      const all = readFileSync(path);
      written.push(all.subarray(before));
      before = all.length;
    }
    return written;
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true });
  }
}

function assertSameAsRedactText(redactor, texts, why) {
  const got = throughDestination(redactor, texts);
  texts.forEach((text, i) => {
    assert.deepEqual(got[i], Buffer.from(redactor.redactText(text), "utf8"), `${why}: text ${i}`);
  });
}

for (const vector of VECTORS) {
  test(`vector ${vector.name} through a destination`, () => {
    const redactor = createRedactor(vector.values);
    assertSameAsRedactText(redactor, [vector.input, vector.input + "\n", `x ${vector.input} y`], vector.name);
  });
}

test("random texts in any Unicode, holding values in their forms, write what redactText gives", () => {
  let seed = 20261203;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = (items) => items[Math.floor(random() * items.length)];
  const values = ["fake-sk-live-0123456789abcdefghij", "fake-pässwörd-✓-0001", "fake-😀-emoji-value-0001", "ab1"];
  const forms = (v) => [v, encodeURIComponent(v), Buffer.from(v).toString("base64"), JSON.stringify(v).slice(1, -1)];
  const pieces = ["GET /v1 ", "é", "漢字", "😀", "\ud800", "\udc00", " ", "\n", "{\"a\":1}", "x".repeat(40), "ab1"];
  const redactor = createRedactor(values);
  const texts = [];
  for (let i = 0; i < 300; i++) {
    let text = "";
    for (let j = Math.floor(random() * 12); j >= 0; j--) text += random() < 0.15 ? pick(forms(pick(values))) : pick(pieces);
    texts.push(text);
  }
  assertSameAsRedactText(redactor, texts, "random");
  assert.ok(texts.some((t) => redactor.redactText(t) !== t), "some texts held a value");
});

test("an anchor cut inside a surrogate pair is still found in the UTF-8 bytes", () => {
  // No run of 16 plain characters: the form is its own anchor, cut at 32 units, which
  // falls between the two halves of the emoji.
  const value = "é".repeat(31) + "😀é";
  const [bytes] = utf8Anchors(["é".repeat(31) + "\ud83d"]);
  assert.equal(bytes.length, 62, "the lone high surrogate is dropped, not written as U+FFFD");
  const redactor = createRedactor([value]);
  const [line] = throughDestination(redactor, [`fake-log ${value} end\n`]);
  assert.equal(line.toString("utf8"), "fake-log [REDACTED] end\n");
});

test("a line too long to encode in one chunk is redacted the slow way, the same", () => {
  const value = "fake-sk-live-long-line-0001";
  const redactor = createRedactor([value]);
  const long = "x".repeat(6000) + value + "é".repeat(3000) + "\n";
  assertSameAsRedactText(redactor, [long, "y".repeat(20000)], "long");
});

test("short values (checked byte by byte, not sampled) are masked as whole tokens only", () => {
  const redactor = createRedactor(["ab1", "fake-pin-0042"]);
  assertSameAsRedactText(redactor, ["code ab1 ok", "xab1x", "pin=fake-pin-0042;", "nothing here"], "short");
});

test("after a line that held a value, the scratch buffer holds none of its bytes", () => {
  const value = "fake-sk-live-scratch-0001";
  const redactor = createRedactor([value]);
  const [clean, dirty] = throughDestination(redactor, [`ok ${"z".repeat(300)}\n`, `key=${value}\n`]);
  assert.equal(clean.toString(), `ok ${"z".repeat(300)}\n`);
  assert.equal(dirty.toString(), "key=[REDACTED]\n");
  assert.ok(scratchIsZero());
});

test("a Console writing to destinations logs redacted, as pino's destination does", async () => {
  const { Console } = await import("node:console");
  const value = "fake-sk-live-console-0001";
  const redactor = createRedactor([value]);
  const dir = mkdtempSync(join(tmpdir(), "meshhook-console-"));
  const path = join(dir, "log");
  const fd = openSync(path, "w");
  try {
    // ignoreErrors: false, or Console wants a stream's listeners; write errors then throw.
    const console = new Console({ stdout: redactor.destination(fd), stderr: redactor.destination(fd), ignoreErrors: false });
    console.log("calling with %s", value);
    console.error({ headers: { authorization: `Bearer ${value}` } });
  } finally {
    closeSync(fd);
  }
  const out = readFileSync(path, "utf8");
  rmSync(dir, { recursive: true });
  assert.ok(!out.includes(value) && out.includes("calling with [REDACTED]\n") && out.includes("Bearer [REDACTED]"), out);
});
