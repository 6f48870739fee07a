/** A local date-time with seconds (audit), or without (lists). */
export function formatTime(iso: string | null | undefined, withSeconds = false): string {
	if (!iso) return '—';
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: withSeconds ? 'medium' : 'short' });
}

export function shortId(id: string | null | undefined): string {
	if (!id) return '—';
	return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** A local date only (lists); the time is in the tooltip. */
export function formatDate(iso: string | null | undefined): string {
	if (!iso) return '—';
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}
