// Runs resolveRunSecrets with the options given as JSON in argv[2]; prints what came back
// as JSON (for tests/clients/test_js_client.py): the values, or the error's class and fields.
import { inspect } from "node:util";

import { resolveRunSecrets } from "../../clients/js/dist/index.js";

const options = JSON.parse(process.argv[2]);
try {
  const secrets = await resolveRunSecrets(options);
  const values = Object.fromEntries(secrets.names.map((name) => [name, secrets.get(name)]));
  console.log(JSON.stringify({ ok: true, names: secrets.names, values, shown: [String(secrets), inspect(secrets)] }));
} catch (error) {
  console.log(JSON.stringify({
    ok: false, class: error.constructor.name, status: error.status, code: error.code, missing: error.missing,
    shown: [String(error), inspect(error), error.stack],
  }));
}
