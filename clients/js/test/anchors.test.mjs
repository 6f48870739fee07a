// The redactor's anchor scan (src/anchors.ts) against the plain answer: indexOf for every
// anchor at every position. The scan reads one sampled word per window and skips the
// rest, so each test here would fail if it skipped too far, or misread a code unit.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AnchorScanner, scratchIsZero } from "../dist/anchors.js";

const CHUNK = 16384; // as in src/anchors.ts: texts longer than this are scanned in chunks

function naive(anchors, text) {
  const found = [];
  anchors.forEach((anchor, index) => {
    for (let at = text.indexOf(anchor); at !== -1; at = text.indexOf(anchor, at + 1)) found.push(`${index}@${at}`);
  });
  return found.sort();
}

function pairs(found) {
  const out = [];
  for (let i = 0; i < found.length; i += 2) out.push(`${found[i]}@${found[i + 1]}`);
  return out.sort();
}

// Both copies of the text: Buffer's latin1 write, and the charCodeAt loop used without Buffer.
function check(anchors, text, note) {
  const expected = naive(anchors, text);
  for (const native of [true, false]) {
    const scanner = new AnchorScanner(anchors, native);
    assert.deepEqual(pairs(scanner.locate(text)), expected, `${note} (native ${native})`);
    assert.equal(scanner.test(text), expected.length > 0, `${note} (native ${native})`);
  }
}

// A small deterministic generator: the failures it finds can be replayed.
function random(seed) {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

const FILLER = "ab-_.Z09 {\"}é€\ud83d\ude00\ud800\udc00a\u0161\u0141";

function text(rand, length) {
  let out = "";
  while (out.length < length) out += FILLER[rand(FILLER.length)];
  return out.slice(0, length);
}

test("an anchor at every offset of texts of every length around the window", () => {
  const anchor = "fake_anchor_0123456789abcdefghij"; // 32 units: the longest window
  for (const other of ["fake_second_anchor_xyz", "fake_11char"]) { // windows of 22 and 11
    for (let length = other.length; length <= 80; length++) {
      for (const [a, placed] of [[anchor, anchor], [other, other]]) {
        for (let at = 0; at + placed.length <= length; at++) {
          const t = "x".repeat(at) + placed + "y".repeat(length - at - placed.length);
          check([anchor, other], t, `${a} at ${at} of ${length}`);
        }
      }
    }
  }
});

test("a text shorter than the window, or as long", () => {
  const anchors = ["fake_anchor_0123456789"];
  for (const t of ["", "f", "fake_anchor_012345678", "fake_anchor_0123456789", "xfake_anchor_0123456789"]) {
    check(anchors, t, JSON.stringify(t));
  }
});

test("short anchors beside long ones, overlapping and back to back", () => {
  const anchors = ["ab", "fake-pw9", "fake-pw9-and-more-of-it", "and-more-of-it-and-more"];
  check(anchors, "fake-pw9-and-more-of-it-and-more-of-itfake-pw9ab", "overlaps");
  check(anchors, "ab".repeat(40), "repeated short");
  check(anchors, "fake-pw9-and-more-of-it".repeat(5), "repeated long");
});

test("an anchor overlapping itself is found at every start", () => {
  const anchors = ["aaa", "abababababab", "fake"];
  check(anchors, "aaaaaaa", "short");
  check(anchors, "ab".repeat(30), "long");
  check(anchors, "x" + "ab".repeat(30) + "aaaa", "both");
});

test("low bytes that match are not a match: every code unit is compared", () => {
  const anchor = "fake_low_bytes_anchor_0001";
  // U+0161 and U+0141 have the low bytes of "a" and "A"; U+6166 of "f": a false candidate.
  const lookalike = anchor.replace("a", "\u0161").replace("f", "\u6166");
  check([anchor], `x ${lookalike} y`, "look-alike");
  check([anchor], `x ${lookalike} ${anchor} y`, "look-alike, then the anchor");
});

test("non-ASCII anchors, lone surrogates and pairs in the text", () => {
  const anchors = ["fake-é€\ud83d\ude00-pässwörd", "\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d"];
  check(anchors, "\udc00fake-é€\ud83d\ude00-pässwörd\ud800", "lone surrogates around");
  check(anchors, "\ud83d\ude00".repeat(12), "pairs");
  check(anchors, "fake-é€\ud83d\ude01-pässwörd", "one unit differs");
});

test("random texts and anchors, both ways of copying", () => {
  const rand = random(20261203);
  for (let round = 0; round < 300; round++) {
    const anchors = Array.from({ length: 1 + rand(6) }, () => text(rand, 1 + rand(40)));
    let t = text(rand, rand(300));
    for (let i = rand(4); i > 0; i--) {
      const at = rand(t.length + 1);
      t = t.slice(0, at) + anchors[rand(anchors.length)] + t.slice(at);
    }
    check(anchors, t, `round ${round}`);
  }
});

test("texts longer than a chunk: anchors on every side of the chunk boundaries", () => {
  const anchors = ["fake_chunk_anchor_000000000000", "fake_chunk_anchor_1111111"];
  for (const anchor of anchors) {
    const m = 25; // the shortest anchor: chunks start CHUNK - m + 1 apart
    for (const boundary of [CHUNK - m + 1, 2 * (CHUNK - m + 1), CHUNK, 2 * CHUNK]) {
      for (let at = boundary - anchor.length - 2; at <= boundary + 2; at++) {
        const t = "-".repeat(at) + anchor + "-".repeat(3 * CHUNK - at);
        check(anchors, t, `${anchor} at ${at}`);
      }
    }
  }
});

test("a scanner shows no anchor", () => {
  const scanner = new AnchorScanner(["fake_secret_anchor_001"]);
  assert.equal(JSON.stringify(scanner), "{}");
  assert.deepEqual(Object.keys(scanner), []);
});

test("without Node's Buffer the scan copies with charCodeAt, and finds the same", async () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "Buffer");
  delete globalThis.Buffer;
  let Fresh;
  try {
    ({ AnchorScanner: Fresh } = await import("../dist/anchors.js?without-buffer"));
  } finally {
    Object.defineProperty(globalThis, "Buffer", saved);
  }
  const anchors = ["fake_anchor_without_buffer", "fake-pw9"];
  const t = `é ${anchors[0]} \ud800 ${anchors[1]} ${"-".repeat(CHUNK)}${anchors[0]}`;
  assert.deepEqual(pairs(new Fresh(anchors).locate(t)), naive(anchors, t));
  assert.deepEqual(pairs(new Fresh(anchors, true).locate(t)), naive(anchors, t)); // no Buffer to use
});

test("a text that held an anchor leaves none of its bytes in the scan's buffer", async () => {
  // A fresh instance of the module: its buffer starts zeroed, and only this test writes it.
  const fresh = await import(`../dist/anchors.js?wipe=${Date.now()}`);
  const anchor = "fake-anchor-0123456789abcdef";
  const scanner = new fresh.AnchorScanner([anchor]);
  const steps = [
    ["a clean line, longer than the anchor", `a longer line with ${anchor} in it`, (t) => scanner.test(t)],
    ["y".repeat(CHUNK + 50), "y".repeat(CHUNK + 100) + anchor, (t) => scanner.test(t)], // chunked
    ["a clean line again, longer than the anchor", `x ${anchor}`, (t) => scanner.locate(t).length === 2],
  ];
  for (const [clean, dirty, found] of steps) {
    assert.equal(found(clean), false);
    assert.equal(fresh.scratchIsZero(), false, "a clean text stays until the next");
    assert.equal(found(dirty), true);
    assert.ok(fresh.scratchIsZero(), `${dirty.length} units: the buffer was wiped`);
  }
});
