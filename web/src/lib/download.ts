// Saves text as a file through a short-lived object URL: nothing is stored, and the URL
// is revoked as soon as the browser has started the download.
export function downloadText(text: string, fileName: string, type: string): void {
	const url = URL.createObjectURL(new Blob([text], { type }));
	const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
	link.click();
	setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** A file-name-safe UTC timestamp, e.g. 2026-12-02T13-05-09-123Z. */
export const fileStamp = (date = new Date()) => date.toISOString().replace(/[:.]/g, '-');
