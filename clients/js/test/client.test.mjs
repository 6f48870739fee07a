// resolveRunSecrets against a local stub of the resolve route (the real server: tests/clients).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { inspect } from "node:util";

import {
  ForbiddenError, NotFoundError, RateLimitedError, resolveRunSecrets, RunSecrets, SecretsError, UnauthorizedError,
  UnavailableError, UnknownSecretsError,
} from "../dist/index.js";

const VALUE = "sk_test_fake_resolved_0001";
const TOKEN = "fake.runner.token";
let server, baseUrl, script = [], requests = [];

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      requests.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: JSON.parse(body || "null") });
      const [status, answer, headers = {}] = script.shift() ?? [500, { error: "internal", message: "script ran out" }];
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(typeof answer === "string" ? answer : JSON.stringify(answer));
    });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
});
after(() => server.close());

function resolve(extra = {}) {
  requests = [];
  const waits = [];
  const call = resolveRunSecrets({ baseUrl, projectId: "p-1", runnerToken: TOKEN, names: ["API_KEY", "OTHER"],
    sleep: async (ms) => { waits.push(ms); }, ...extra });
  return { call, waits };
}

test("one POST with the names and the runner token; the answer is a RunSecrets", async () => {
  script = [[200, { secrets: { API_KEY: VALUE, OTHER: "sk_test_fake_other_0002" } }]];
  const secrets = await resolve().call;
  assert.deepEqual(requests, [{ method: "POST", url: "/api/projects/p-1/secrets/resolve", auth: `Bearer ${TOKEN}`,
    body: { names: ["API_KEY", "OTHER"] } }]);
  assert.ok(secrets instanceof RunSecrets);
  assert.equal(secrets.get("API_KEY"), VALUE);
  assert.deepEqual(secrets.names, ["API_KEY", "OTHER"]);
  assert.equal(secrets.render({ h: "Bearer {{secrets.API_KEY}}" }).h, `Bearer ${VALUE}`);
  assert.equal(secrets.redactor().redactText(`echo ${VALUE}`), "echo [REDACTED]");
  for (const shown of [String(secrets), inspect(secrets), inspect({ secrets }, { depth: 9, showHidden: true }), JSON.stringify(secrets)]) {
    assert.ok(!shown.includes(VALUE), shown);
  }
});

test("no names: no call", async () => {
  const secrets = await resolve({ names: [] }).call;
  assert.deepEqual(requests, []);
  assert.deepEqual(secrets.names, []);
});

test("unknown names, as the server words them, are listed", async () => {
  script = [[404, { error: "not_found", message: "unknown secrets: MISSING_ONE, OTHER" }]];
  await assert.rejects(resolve().call, (error) => {
    assert.ok(error instanceof UnknownSecretsError && error instanceof NotFoundError && error instanceof SecretsError);
    assert.deepEqual(error.missing, ["MISSING_ONE", "OTHER"]);
    assert.equal(error.status, 404);
    assert.equal(error.code, "not_found");
    return true;
  });
  script = [[404, { error: "not_found", message: "2 unknown", missing: ["B", "A"] }]];
  await assert.rejects(resolve().call, (error) => error instanceof UnknownSecretsError && error.missing.join() === "B,A");
});

test("each status has its error class, with status and code; 4xx is never retried", async () => {
  const cases = [
    [401, "unauthorized", UnauthorizedError], [403, "forbidden", ForbiddenError], [404, "not_found", NotFoundError],
    [429, "rate_limited", RateLimitedError], [400, "bad_request", SecretsError], [422, "validation_error", SecretsError],
    [500, "internal", SecretsError],
  ];
  for (const [status, code, kind] of cases) {
    script = [[status, { error: code, message: "project not found" }], [200, { secrets: {} }]];
    const { call, waits } = resolve();
    await assert.rejects(call, (error) => {
      assert.equal(error.constructor, kind, `${status}`);
      assert.equal(error.status, status);
      assert.equal(error.code, code);
      assert.ok(!String(error).includes(TOKEN) && !inspect(error).includes(TOKEN));
      return true;
    });
    assert.equal(requests.length, 1, `${status} was retried`);
    assert.deepEqual(waits, []);
  }
  script = [[429, { error: "rate_limited", message: "slow down" }, { "Retry-After": "7" }]];
  await assert.rejects(resolve().call, (error) => error instanceof RateLimitedError && error.retryAfter === 7);
});

test("a 503 is retried after Retry-After, then succeeds", async () => {
  script = [[503, { error: "unavailable", message: "database unavailable" }, { "Retry-After": "2" }],
    [200, { secrets: { API_KEY: VALUE, OTHER: "x" } }]];
  const { call, waits } = resolve();
  assert.equal((await call).get("API_KEY"), VALUE);
  assert.equal(requests.length, 2);
  assert.deepEqual(waits, [2000]);
});

test("without Retry-After the waits back off exponentially with jitter; then UnavailableError", async () => {
  script = Array.from({ length: 4 }, () => [503, { error: "unavailable", message: "database unavailable" }]);
  const { call, waits } = resolve({ retries: 3, backoffMs: 100 });
  await assert.rejects(call, (error) => error instanceof UnavailableError && error.status === 503 && error.code === "unavailable");
  assert.equal(requests.length, 4);
  assert.equal(waits.length, 3);
  waits.forEach((ms, i) => assert.ok(ms >= 0 && ms <= 100 * 2 ** i, `wait ${i}: ${ms}`));
});

test("retries: 0 means one call; a huge Retry-After is capped", async () => {
  script = [[503, { error: "unavailable", message: "x" }]];
  await assert.rejects(resolve({ retries: 0 }).call, UnavailableError);
  assert.equal(requests.length, 1);
  script = [[503, { error: "unavailable", message: "x" }, { "Retry-After": "3600" }], [200, { secrets: { API_KEY: "v" } }]];
  const { call, waits } = resolve({ maxDelayMs: 5000 });
  await call;
  assert.deepEqual(waits, [5000]);
});

test("a non-JSON error page still gives the status's class", async () => {
  script = [[403, "<html>denied</html>"]];
  await assert.rejects(resolve().call, (error) => error instanceof ForbiddenError && error.code === "http_403");
});

test("no answer at all is a SecretsError with status 0, not retried", async () => {
  const { call } = resolve({ baseUrl: "http://127.0.0.1:1" });
  await assert.rejects(call, (error) => error instanceof SecretsError && error.status === 0 && error.code === "network_error");
});

test("a custom fetch is used", async () => {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push([url, init.headers.Authorization]);
    return new Response(JSON.stringify({ secrets: { API_KEY: VALUE } }), { status: 200 });
  };
  const secrets = await resolveRunSecrets({ baseUrl: "https://secrets.example", projectId: "p 2", runnerToken: TOKEN, names: ["API_KEY"], fetch });
  assert.deepEqual(seen, [["https://secrets.example/api/projects/p%202/secrets/resolve", `Bearer ${TOKEN}`]]);
  assert.equal(secrets.get("API_KEY"), VALUE);
});
