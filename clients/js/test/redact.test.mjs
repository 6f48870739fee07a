// The JS redactor against the vectors the Python redactor passes too, and its own API.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { inspect } from "node:util";

import { createRedactor, Redactor } from "../dist/index.js";

const VECTORS = JSON.parse(readFileSync(new URL("../../../tests/vectors/redaction.json", import.meta.url), "utf8"));
const TOKEN = "sk_test_fake_0001_abcdefgh";
const MASK = "[REDACTED]";

test("the vectors are there", () => assert.ok(VECTORS.length >= 60));

for (const vector of VECTORS) {
  test(`vector ${vector.name}`, () => {
    assert.equal(createRedactor(vector.values).redactText(vector.input), vector.expected, vector.note);
  });
}

test("a text without values is returned as the same string", () => {
  const text = "GET /v1/things 200";
  assert.equal(createRedactor([TOKEN]).redactText(text), text);
});

test("mask and minLength are options", () => {
  assert.equal(createRedactor([TOKEN], { mask: "***" }).redactText("t=" + TOKEN), "t=***");
  assert.equal(createRedactor(["fake"], { minLength: 5 }).redactText("xfakex"), "xfakex");
  assert.equal(createRedactor(["fake"], { minLength: 5 }).redactText("x fake x"), `x ${MASK} x`);
});

test("redact copies structures, keys and values redacted, and survives cycles", () => {
  const marker = new Date(0);
  const loop = [TOKEN];
  loop.push(loop);
  const data = { headers: { Authorization: "Bearer " + TOKEN }, [TOKEN]: [TOKEN, 1, null], when: marker, loop,
    map: new Map([[TOKEN, TOKEN]]) };
  const out = createRedactor([TOKEN]).redact(data);
  assert.deepEqual(out.headers, { Authorization: "Bearer " + MASK });
  assert.deepEqual(out[MASK], [MASK, 1, null]);
  assert.equal(out.when, marker);
  assert.deepEqual(out.loop, [MASK, MASK]);
  assert.deepEqual([...out.map], [[MASK, MASK]]);
  assert.equal(data.headers.Authorization, "Bearer " + TOKEN); // the input is untouched
  assert.equal(createRedactor([TOKEN]).redact(new TypeError(`bad ${TOKEN}`)), `TypeError: bad ${MASK}`);
});

test("a redactor never shows a value", () => {
  const redactor = createRedactor([TOKEN, "ab1"]);
  for (const shown of [String(redactor), inspect(redactor), inspect({ redactor }, { showHidden: true, depth: 9 }),
    JSON.stringify({ redactor }), Object.keys(redactor).join()]) {
    assert.ok(!shown.includes(TOKEN) && !shown.includes("ab1"), shown);
  }
  assert.equal(String(redactor), "Redactor(2 values)");
  assert.ok(redactor instanceof Redactor);
});

test("values must be well-formed strings, and the error does not show them", () => {
  for (const bad of [[Buffer.from(TOKEN)], ["fake\ud800lone"]]) {
    assert.throws(() => createRedactor(bad), (error) => error instanceof TypeError && !error.message.includes("fake"));
  }
});

test("empty values are ignored and duplicates collapse", () => {
  assert.equal(String(createRedactor(["", TOKEN, TOKEN])), "Redactor(1 value)");
});

test("values are masked at the very start and end, beside short ones, and in long texts", () => {
  const short = "fake-pw9"; // an anchor shorter than the scan's window: found with indexOf
  const redactor = createRedactor([TOKEN, short, "fake-é€\ud83d\ude00-pässwörd"]);
  assert.equal(redactor.redactText(`${TOKEN}${short} ${TOKEN}`), `${MASK} ${MASK}`);
  assert.equal(redactor.redactText(`\ud800fake-é€\ud83d\ude00-pässwörd\udc00`), `\ud800${MASK}\udc00`);
  assert.equal(redactor.redactText(TOKEN.slice(0, -1)), TOKEN.slice(0, -1)); // shorter than the window
  for (const at of [0, 16350, 16370, 16384, 40000 - TOKEN.length]) { // chunks of 16,384 units
    const text = "-".repeat(at) + TOKEN + "-".repeat(40000 - at - TOKEN.length);
    assert.equal(redactor.redactText(text), "-".repeat(at) + MASK + "-".repeat(40000 - at - TOKEN.length));
  }
});

test("a value only in a text built by concatenation (a V8 cons string) is masked", () => {
  const parts = TOKEN.match(/.{1,3}/g);
  let text = "prefix ";
  for (const part of parts) text += part; // a tree of strings, flattened by the scan
  assert.equal(createRedactor([TOKEN]).redactText(`${text} suffix`), `prefix ${MASK} suffix`);
});
