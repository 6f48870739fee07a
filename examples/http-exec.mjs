// A MeshHook worker step in the shape of its HTTP executor, in Node: resolve the run's
// secrets (one call, runner token), render the step config, make the request, and record
// the first 2 KB of the response, redacted: the run event MeshHook stores.
//
// With `scripts/dev` running, its `export API=… PROJECT=… TOKEN=… RUNNER_TOKEN=…` line
// pasted, a secret STRIPE_API_KEY created, and the JS client built
// (`cd clients/js && npm ci && npm run build`):
//
//   TARGET_URL=https://httpbin.org/anything node examples/http-exec.mjs
//
// TARGET_URL is the service the step calls; one that echoes the request back (as many APIs
// do in their error bodies) shows the redaction at work.

import { findSecretNames, resolveRunSecrets } from "../clients/js/dist/index.js";

const RECORDED_CHARS = 2048; // what MeshHook keeps of a response

const step = {
  method: "POST",
  url: process.env.TARGET_URL,
  headers: { Authorization: "Bearer {{secrets.STRIPE_API_KEY}}", "Content-Type": "application/json" },
  body: { amount: 1200, currency: "eur", customer: "{{input.customer_id}}" }, // MeshHook's own placeholder
};

async function main() {
  for (const name of ["API", "PROJECT", "RUNNER_TOKEN", "TARGET_URL"]) {
    if (!process.env[name]) throw new Error(`${name} is not set (see the top of examples/http-exec.mjs)`);
  }
  const secrets = await resolveRunSecrets({
    baseUrl: process.env.API, projectId: process.env.PROJECT, runnerToken: process.env.RUNNER_TOKEN,
    names: findSecretNames(step), // every run resolves all its steps' names at once
  });
  const redactor = secrets.redactor();
  console.log(`resolved ${secrets}`); // RunSecrets(names=[…]): never a value

  const config = secrets.render(step);
  const response = await fetch(config.url, {
    method: config.method, headers: config.headers, body: JSON.stringify(config.body),
  });
  const text = await response.text();
  // Redact first, cut after: cut first, a value across the 2 KB mark would keep its start.
  const recorded = redactor.redactText(text).slice(0, RECORDED_CHARS);
  console.log(`request ${config.method} ${config.url} headers=${JSON.stringify(redactor.redact(config.headers))}`);
  console.log(`response ${response.status} (${text.length} chars, ${recorded.length} recorded): ${recorded}`);
}

main().catch((error) => {
  // The client's errors name statuses, codes and secret names, never a value.
  console.error(`step failed: ${error}`);
  process.exitCode = 1;
});
