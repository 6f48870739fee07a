// render and findSecretNames: the grammar of shared/runtime/templating.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { findSecretNames, MalformedPlaceholderError, render, RunSecrets, TemplateError, UnknownSecretError } from "../dist/index.js";

const VALUES = { API_TOKEN: "sk_test_fake_token_0001", db_password: "sk_test_fake_pass_0002" };

test("finds names in nested structures, sorted and deduplicated; keys are not scanned", () => {
  const config = { h: { a: "Bearer {{secrets.API_TOKEN}}" }, l: ["{{ secrets.db_password }}", ["{{secrets.API_TOKEN}}"]],
    "{{secrets.KEY_NAME}}": "x", n: 1, z: null, b: false };
  assert.deepEqual(findSecretNames(config), ["API_TOKEN", "db_password"]);
  assert.deepEqual(findSecretNames({ a: [1, 2.5, null], b: "{{input.body}}" }), []);
});

test("renders nested structures, keeps their shape, leaves the input alone", () => {
  const config = { headers: { Authorization: "Bearer {{secrets.API_TOKEN}}" }, args: ["{{secrets.db_password}}", 3, true] };
  const before = structuredClone(config);
  const out = render(config, VALUES);
  assert.deepEqual(out, { headers: { Authorization: "Bearer sk_test_fake_token_0001" }, args: ["sk_test_fake_pass_0002", 3, true] });
  assert.deepEqual(config, before);
  assert.notEqual(out.headers, config.headers);
});

test("whitespace inside the braces is allowed", () => {
  for (const p of ["{{secrets.API_TOKEN}}", "{{ secrets.API_TOKEN }}", "{{  secrets.API_TOKEN}}", "{{secrets.API_TOKEN\t}}", "{{\nsecrets.API_TOKEN\n}}"]) {
    assert.deepEqual(render(["<" + p + ">"], VALUES), ["<sk_test_fake_token_0001>"], p);
  }
});

test("several placeholders in one string; other placeholders are left exactly as written", () => {
  assert.equal(render("{{secrets.API_TOKEN}}:{{secrets.db_password}}", VALUES), "sk_test_fake_token_0001:sk_test_fake_pass_0002");
  const text = "{{input.body}} {{ steps.x.output }} {{secrets.API_TOKEN}} {{ secretsX.y }} {{secrets}}";
  assert.equal(render(text, VALUES), "{{input.body}} {{ steps.x.output }} sk_test_fake_token_0001 {{ secretsX.y }} {{secrets}}");
});

test("unknown names are all listed, sorted, case-sensitive; no value in the error", () => {
  const config = ["{{secrets.ZETA}}", "{{secrets.alpha}}", "{{secrets.API_TOKEN}}", "{{secrets.api_token}}"];
  assert.throws(() => render(config, VALUES), (error) => {
    assert.ok(error instanceof UnknownSecretError && error instanceof TemplateError);
    assert.deepEqual(error.names, ["ZETA", "alpha", "api_token"]);
    assert.equal(error.message, "unknown secrets: ZETA, alpha, api_token");
    assert.ok(!String(error).includes("sk_test_fake") && !error.stack.includes("sk_test_fake"));
    return true;
  });
});

test("a malformed secret placeholder is an error, not a literal", () => {
  for (const text of ["{{ secrets.my-key }}", "{{secrets.}}", "{{secrets.1abc}}", "{{ secrets .X }}", "{{secrets.X", "{{secrets.X}",
    "{{secrets." + "A".repeat(129) + "}}"]) {
    assert.throws(() => render({ k: text }, VALUES), (error) => {
      assert.ok(error instanceof MalformedPlaceholderError, text);
      assert.ok(error.placeholders[0].startsWith("{{"));
      return true;
    });
  }
  assert.equal(render("{{secrets." + "A".repeat(128) + "}}", { ["A".repeat(128)]: "sk_test_fake_5" }), "sk_test_fake_5");
});

test("a value that looks like a placeholder is not expanded again", () => {
  assert.equal(render("{{secrets.A}}", { A: "{{secrets.B}}", B: "sk_test_fake_b" }), "{{secrets.B}}");
});

test("a value that is not a string is refused without showing it", () => {
  assert.throws(() => render("{{secrets.A}}", { A: 12345678 }), (error) => error instanceof TypeError && !error.message.includes("12345678"));
});

test("scalars pass through; a Map and a RunSecrets work as values", () => {
  for (const scalar of [1, 2.5, true, null, "plain"]) assert.equal(render(scalar, {}), scalar);
  assert.equal(render("{{secrets.A}}", new Map([["A", "sk_test_fake_m"]])), "sk_test_fake_m");
  assert.equal(render("{{secrets.A}}", new RunSecrets({ A: "sk_test_fake_r" })), "sk_test_fake_r");
  assert.throws(() => render("{{secrets.toString}}", {}), UnknownSecretError); // own keys only
});
