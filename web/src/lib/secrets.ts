// Pure helpers for the list of secrets: filtering, sorting, the workflow reference.
import type { Secret } from './api';

export type SortKey = 'name' | 'updated' | 'last_used';

export const SORTS: { value: SortKey; label: string }[] = [
	{ value: 'name', label: 'Name (A–Z)' },
	{ value: 'updated', label: 'Recently updated' },
	{ value: 'last_used', label: 'Recently used' }
];

/** How a workflow step refers to the secret (docs/integration.md). */
export const reference = (name: string) => `{{secrets.${name}}}`;

export function filterSecrets(secrets: readonly Secret[], filter: string): Secret[] {
	const needle = filter.trim().toLowerCase();
	if (!needle) return [...secrets];
	return secrets.filter(
		(s) => s.name.toLowerCase().includes(needle) || (s.description ?? '').toLowerCase().includes(needle)
	);
}

const time = (iso: string | null) => (iso ? Date.parse(iso) : -Infinity);
const byName = (a: Secret, b: Secret) => a.name.localeCompare(b.name);

/** Newest first for the time sorts (never-used last); ties by name. */
export function sortSecrets(secrets: readonly Secret[], key: SortKey): Secret[] {
	const newest = (pick: (s: Secret) => string | null) => (a: Secret, b: Secret) =>
		time(pick(b)) - time(pick(a)) || byName(a, b);
	const compare =
		key === 'updated' ? newest((s) => s.updated_at) : key === 'last_used' ? newest((s) => s.last_used_at) : byName;
	return [...secrets].sort(compare);
}

/** The list with `secret` added or replaced, in name order (the API's order). */
export function upsert(secrets: readonly Secret[], secret: Secret): Secret[] {
	return [...secrets.filter((s) => s.id !== secret.id), secret].sort(byName);
}

/** "Rotation due" covers overdue secrets and those due within this many days. */
export const DUE_SOON_DAYS = 7;

export type RotationState = 'overdue' | 'due' | null;

/** Overdue per the server (or past due by this clock); due when within DUE_SOON_DAYS. */
export function rotationState(
	secret: Pick<Secret, 'rotation_due_at' | 'rotation_overdue'>,
	now = Date.now()
): RotationState {
	if (!secret.rotation_due_at) return null;
	const due = Date.parse(secret.rotation_due_at);
	if (secret.rotation_overdue || due <= now) return 'overdue';
	return due - now <= DUE_SOON_DAYS * 86_400_000 ? 'due' : null;
}

export const rotationDue = (secrets: readonly Secret[], now = Date.now()) =>
	secrets.filter((s) => rotationState(s, now) !== null);
