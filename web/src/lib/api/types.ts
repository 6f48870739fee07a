// The API's types, generated from the committed OpenAPI document (openapi.json ->
// schema.d.ts by `npm run gen:types`, part of build and check). Nothing here is
// hand-written except narrowing where the document says only `string`.
import type { components, operations } from './schema';

type Schemas = components['schemas'];

export type Secret = Schemas['SecretMeta'];
export type Project = Schemas['ProjectOut'];
export type SecretInput = Schemas['CreateSecret'];
export type SecretUpdate = Schemas['UpdateSecret'];
export type AuditPage = Schemas['AuditEventList'];
export type AuditQuery = NonNullable<operations['audit_events']['parameters']['query']>;
export type ApiErrorBody = Schemas['ErrorOut'];
export type Version = Schemas['VersionMeta'];
export type VersionActor = Schemas['Actor'];
export type RevealOptions = Partial<Schemas['RevealSecret']>; // purpose has a default
export type ImportInput = Schemas['ImportSecrets'];
export type ImportOutcome = Schemas['ImportOutcome'];
export type ExportFormat = Schemas['ExportSecrets']['format'];

/** An audit event, with `actor_email` for a user who is still a member. */
export type AuditEvent = Schemas['AuditEvent'];

/** `ProjectOut.role` is a string in the document; these are the values it takes. */
export const ROLES = ['viewer', 'editor', 'admin', 'runner'] as const;
export type Role = (typeof ROLES)[number];

/** Unknown roles are treated as the least privileged (only the server decides anyway). */
export function asRole(role: string | null | undefined): Role {
	return (ROLES as readonly string[]).includes(role ?? '') ? (role as Role) : 'viewer';
}

export const canWrite = (role: Role) => role === 'admin' || role === 'editor';
export const isAdmin = (role: Role) => role === 'admin';

/** The audit actions (docs/api.md); the API answers 422 for any other `action` filter. */
export const AUDIT_ACTIONS = [
	'create',
	'update',
	'rotate',
	'rollback',
	'delete',
	'reveal',
	'copy',
	'export',
	'import',
	'resolve'
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
