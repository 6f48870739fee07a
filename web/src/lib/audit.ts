// Pure helpers for the audit log: who did it, which secrets can be filtered, CSV.
import type { AuditEvent, Secret } from './api';
import { shortId } from './format';

/** A person-readable actor (of an event or a version): the email when known, else a labelled short id. */
export function actorName(
	type: string,
	id: string | null,
	email: string | null,
	currentSub: string | null = null
): string {
	const you = id && id === currentSub ? ' (you)' : '';
	switch (type) {
		case 'user':
			return `${email || `User ${shortId(id)}`}${you}`;
		case 'runner':
			return `Workflow run ${shortId(id)}`;
		case 'service':
			return 'Service key';
		case 'system':
			return 'System';
		default:
			return `${type} ${shortId(id)}`.trim();
	}
}

export const actorLabel = (e: AuditEvent, currentSub: string | null = null): string =>
	actorName(e.actor_type, e.actor_type === 'runner' ? (e.run_id ?? e.actor_id) : e.actor_id, e.actor_email, currentSub);

export interface SecretOption {
	id: string;
	label: string;
}

/** Current secrets by name, then secrets that only the audit events still name (deleted). */
export function secretOptions(secrets: readonly Secret[], events: readonly AuditEvent[]): SecretOption[] {
	const current = new Set(secrets.map((s) => s.id));
	const deleted = new Map<string, string>();
	for (const e of events) {
		if (e.secret_id && !current.has(e.secret_id) && !deleted.has(e.secret_id)) {
			deleted.set(e.secret_id, e.secret_name ?? shortId(e.secret_id));
		}
	}
	const byLabel = (a: SecretOption, b: SecretOption) => a.label.localeCompare(b.label);
	return [
		...secrets.map((s) => ({ id: s.id, label: s.name })).sort(byLabel),
		...[...deleted].map(([id, name]) => ({ id, label: `${name} (deleted)` })).sort(byLabel)
	];
}

export interface ActorOption {
	id: string;
	label: string;
}

/** The distinct actors of the loaded events, for the actor filter. */
export function actorOptions(events: readonly AuditEvent[], currentSub: string | null): ActorOption[] {
	const seen = new Map<string, string>();
	for (const e of events) {
		const id = e.actor_type === 'runner' ? (e.run_id ?? e.actor_id) : e.actor_id;
		if (id && !seen.has(id)) seen.set(id, actorLabel(e, currentSub));
	}
	return [...seen].map(([id, label]) => ({ id, label })).sort((a, b) => a.label.localeCompare(b.label));
}

export const CSV_COLUMNS = [
	'created_at',
	'action',
	'outcome',
	'actor_type',
	'actor_id',
	'actor_email',
	'run_id',
	'secret_name',
	'secret_id',
	'ip_address',
	'user_agent',
	'id'
] as const;

/** A CSV cell: quoted when needed; a leading = + - @ is neutralised (spreadsheet formulas). */
export function csvCell(value: unknown): string {
	let text = value === null || value === undefined ? '' : String(value);
	if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The events as CSV (RFC 4180, CRLF), one row per event, a header first. */
export function toCsv(events: readonly AuditEvent[]): string {
	const rows = events.map((e) => CSV_COLUMNS.map((c) => csvCell((e as Record<string, unknown>)[c])).join(','));
	return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
