/** A short local date-time, with the full ISO time for a tooltip. */
export function formatTime(iso: string | null | undefined): string {
	if (!iso) return '—';
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function shortId(id: string | null | undefined): string {
	if (!id) return '—';
	return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}
