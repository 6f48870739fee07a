// What MeshHook's app imports. See web/README.md.
export { default as SecretsPage } from './components/SecretsPage.svelte';
export { default as SecretsTable } from './components/SecretsTable.svelte';
export { default as SecretDetails } from './components/SecretDetails.svelte';
export { default as CreateSecretDialog } from './components/CreateSecretDialog.svelte';
export { default as RotateDialog } from './components/RotateDialog.svelte';
export { default as DeleteDialog } from './components/DeleteDialog.svelte';
export { default as RevealValue } from './components/RevealValue.svelte';
export { default as CopyButton } from './components/CopyButton.svelte';
export { default as AuditLog } from './components/AuditLog.svelte';
export { default as ThemeToggle } from './components/ThemeToggle.svelte';
export * from './api';
export * from './auth';
export * from './session';
export * from './validation';
