// The API's input rules (docs/api.md), checked as the user types. The server
// checks them again; its answer is what counts.

export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const NAME_MAX = 128;
export const VALUE_MAX_BYTES = 64 * 1024;
export const DESCRIPTION_MAX = 500;

export interface Rule {
	text: string;
	ok: boolean;
}

export function nameRules(name: string): Rule[] {
	return [
		{ text: 'Starts with a letter or an underscore', ok: /^[A-Za-z_]/.test(name) },
		{ text: 'Only letters, digits and underscores', ok: name.length > 0 && /^[A-Za-z0-9_]*$/.test(name) },
		{ text: `At most ${NAME_MAX} characters`, ok: name.length > 0 && name.length <= NAME_MAX }
	];
}

export const isValidName = (name: string) => NAME_PATTERN.test(name);

export function byteLength(value: string): number {
	return new TextEncoder().encode(value).length;
}

export function valueProblem(value: string): string | null {
	const bytes = byteLength(value);
	if (bytes === 0) return 'Enter a value.';
	if (bytes > VALUE_MAX_BYTES) return `The value is ${formatBytes(bytes)}; the limit is 64 KiB.`;
	return null;
}

/** Characters as the server counts them (code points, not UTF-16 units). */
export const charCount = (text: string) => [...text].length;

export function descriptionProblem(description: string): string | null {
	const n = charCount(description);
	return n > DESCRIPTION_MAX ? `The description is ${n} characters; the limit is ${DESCRIPTION_MAX}.` : null;
}

export function formatBytes(bytes: number): string {
	return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export const ROTATION_MAX_DAYS = 3650;

/** A rotation reminder as typed: whole days from 1 to 3650, or empty for none. */
export function rotationDays(text: string): { days: number | null; problem: string | null } {
	const trimmed = text.trim();
	if (!trimmed) return { days: null, problem: null };
	if (!/^\d+$/.test(trimmed)) return { days: null, problem: 'Enter a whole number of days, or leave it empty.' };
	const days = Number(trimmed);
	if (days < 1 || days > ROTATION_MAX_DAYS) {
		return { days: null, problem: `Between 1 and ${ROTATION_MAX_DAYS} days, or empty for no reminder.` };
	}
	return { days, problem: null };
}
