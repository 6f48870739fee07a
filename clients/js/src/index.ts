/**
 * @meshhook/secrets-client: what a MeshHook worker needs from meshhook-secrets, with no
 * runtime dependency (Node 20's fetch). Resolve a run's secrets with its runner token,
 * render `{{secrets.NAME}}` in step configs, and redact what the run records.
 *
 *   const names = findSecretNames(steps.map((s) => s.config));
 *   const secrets = await resolveRunSecrets({ baseUrl, projectId, runnerToken, names });
 *   const config = render(step.config, secrets);     // or secrets.render(step.config)
 *   const redactor = secrets.redactor();             // or createRedactor(values)
 *   record(redactor.redactText(responseText.slice(0, 2048)));
 */

export {
  ForbiddenError, NotFoundError, RateLimitedError, resolveRunSecrets, RunSecrets, SecretsError,
  UnauthorizedError, UnavailableError, UnknownSecretsError, type ResolveOptions,
} from "./client.js";
export { createRedactor, type LogDestination, Redactor, type RedactorOptions } from "./redact.js";
export {
  findSecretNames, MalformedPlaceholderError, render, TemplateError, UnknownSecretError, type SecretValues,
} from "./render.js";
