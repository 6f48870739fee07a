// Reads {values, texts, configs, secrets} as JSON on stdin; prints what the JS client makes of
// them: each text redacted, each config rendered (or the error's kind and what it names).
import { createRedactor, render } from "../../clients/js/dist/index.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { values, texts, configs, secrets } = JSON.parse(input);
const redactor = createRedactor(values);
const rendered = configs.map((config) => {
  try {
    return { ok: render(config, secrets) };
  } catch (error) {
    return { error: error.name, names: error.names ?? error.placeholders ?? null };
  }
});
console.log(JSON.stringify({ redacted: texts.map((text) => redactor.redactText(text)), rendered }));
