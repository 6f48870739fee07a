// The import dialog's preview, computed in the browser: which names an upload holds
// (a .env file or a JSON object), which problems the server will report by line or key,
// and which secrets would be created, updated or skipped against the list as loaded.
//
// A forecast, so that no value leaves the browser before the user chooses Import (the
// API's `dry_run` answers authoritatively, but needs the values): the import itself is
// all or nothing and the server checks everything again. The .env reading follows python-dotenv's
// parser, which the server uses (quotes, escapes, `export`, comments, multi-line
// values), so line numbers match the server's. No value is kept: an entry carries only
// its name, where it is and its size in bytes.
import type { Secret } from './api';
import { byteLength, NAME_PATTERN, VALUE_MAX_BYTES } from './validation';

export type ImportFormat = 'dotenv' | 'json';
export type ConflictMode = 'fail' | 'skip' | 'overwrite';

/** The file formats, for import and export alike (an exported .env imports back as it is). */
export const FILE_FORMATS: { value: ImportFormat; label: string }[] = [
	{ value: 'dotenv', label: '.env (NAME=value lines)' },
	{ value: 'json', label: 'JSON object' }
];

export const CONFLICT_MODES: { value: ConflictMode; label: string }[] = [
	{ value: 'fail', label: 'Stop: import nothing' },
	{ value: 'skip', label: 'Skip it, keep the existing' },
	{ value: 'overwrite', label: 'Overwrite (a new version)' }
];

export interface Entry {
	/** "line 3" (.env) or "key NAME" (JSON): how problems name it, as the server does. */
	where: string;
	name: string;
	bytes: number;
}

export interface Parsed {
	entries: Entry[];
	/** "line 4: not a NAME=value line", never a value. */
	problems: string[];
}

const BAD_NAME =
	'the name is not a valid secret name (a letter or underscore, then up to 127 letters, digits or underscores)';

// python-dotenv's grammar (dotenv/parser.py), as sticky regexes read at a position.
const RE = {
	multilineWhitespace: /\s*/y,
	whitespace: /[^\S\r\n]*/y,
	exportWord: /(?:export[^\S\r\n]+)?/y,
	singleQuotedKey: /'([^']+)'/y,
	unquotedKey: /([^=#\s]+)/y,
	equalSign: /(=[^\S\r\n]*)/y,
	singleQuotedValue: /'((?:\\[\s\S]|[^'\\])*)'/y,
	doubleQuotedValue: /"((?:\\[\s\S]|[^"\\])*)"/y,
	unquotedValue: /([^\r\n]*)/y,
	comment: /(?:[^\S\r\n]*#[^\r\n]*)?/y,
	endOfLine: /[^\S\r\n]*(?:\r\n|\n|\r|$)/y,
	restOfLine: /[^\r\n]*(?:\r|\n|\r\n)?/y
};
const NEWLINES = /\r\n|\n|\r/g;
const DOUBLE_ESCAPES: Record<string, string> = {
	'\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v'
};

class NoMatch extends Error {}

class Reader {
	pos = 0;
	line = 1;
	constructor(readonly text: string) {}
	get more() {
		return this.pos < this.text.length;
	}
	peek = () => this.text.slice(this.pos, this.pos + 1);
	read(re: RegExp): string {
		re.lastIndex = this.pos;
		const m = re.exec(this.text);
		if (!m) throw new NoMatch();
		this.line += (m[0].match(NEWLINES) ?? []).length;
		this.pos += m[0].length;
		return m[1] ?? '';
	}
}

function readValue(r: Reader): string {
	const c = r.peek();
	if (c === "'") return r.read(RE.singleQuotedValue).replace(/\\[\\']/g, (e) => e[1]);
	if (c === '"') return r.read(RE.doubleQuotedValue).replace(/\\[\\'"abfnrtv]/g, (e) => DOUBLE_ESCAPES[e[1]]);
	if (c === '' || c === '\n' || c === '\r') return '';
	return r.read(RE.unquotedValue).replace(/\s+#.*/, '').trimEnd();
}

/** The entries of .env text and its problems, by line as the server counts them. */
export function parseDotenv(content: string): Parsed {
	const r = new Reader(content.replace(/^\ufeff/, ''));
	const entries: Entry[] = [];
	const problems: string[] = [];
	while (r.more) {
		const start = r.pos;
		const startLine = r.line;
		let key: string | null = null;
		let value: string | null = null;
		let error = false;
		let blank = false;
		try {
			r.read(RE.multilineWhitespace);
			if (!r.more) blank = true;
			else {
				r.read(RE.exportWord);
				const c = r.peek();
				key = c === '#' ? null : r.read(c === "'" ? RE.singleQuotedKey : RE.unquotedKey);
				r.read(RE.whitespace);
				if (r.peek() === '=') {
					const eq = r.read(RE.equalSign);
					value = eq.length > 1 && r.peek() === '#' ? '' : readValue(r);
				}
				r.read(RE.comment);
				r.read(RE.endOfLine);
			}
		} catch (e) {
			if (!(e instanceof NoMatch)) throw e;
			error = true;
			r.read(RE.restOfLine);
		}
		if (blank) break;
		const text = content.replace(/^\ufeff/, '').slice(start, r.pos);
		const leading = text.slice(0, text.length - text.trimStart().length);
		const where = `line ${startLine + (leading.match(NEWLINES) ?? []).length}`;
		if (text.includes('\x00')) problems.push(`${where}: contains a NUL character`);
		else if (error) problems.push(`${where}: not a NAME=value line (or a quote is never closed)`);
		else if (key === null) continue; // a comment or blank lines
		else if (!NAME_PATTERN.test(key)) problems.push(`${where}: ${BAD_NAME}`);
		else if (value === null) problems.push(`${where}: a name without '=' and a value`);
		else entries.push({ where, name: key, bytes: byteLength(value) });
	}
	return { entries, problems };
}

/** The entries of a JSON object of NAME: value, and its problems, by key. */
export function parseJsonObject(content: string): Parsed {
	let data: unknown;
	try {
		data = JSON.parse(content);
	} catch {
		return { entries: [], problems: ['content is not valid JSON'] };
	}
	if (typeof data !== 'object' || data === null || Array.isArray(data)) {
		return { entries: [], problems: ['content must be one JSON object, {"NAME": "value", ...}'] };
	}
	const entries: Entry[] = [];
	const problems: string[] = [];
	Object.entries(data).forEach(([name, value], i) => {
		if (!NAME_PATTERN.test(name)) problems.push(`entry ${i + 1}: ${BAD_NAME}`);
		else if (typeof value !== 'string') problems.push(`key ${name}: the value must be a string`);
		else entries.push({ where: `key ${name}`, name, bytes: byteLength(value) });
	});
	return { entries, problems };
}

export interface Preview {
	created: string[];
	/** Names that exist, spelled as the list spells them. */
	existing: string[];
	updated: string[];
	skipped: string[];
	problems: string[];
	/** True when the server would refuse the whole import. */
	blocked: boolean;
}

/** What an import would do, against the secrets as loaded. */
export function previewImport(
	format: ImportFormat,
	content: string,
	secrets: readonly Pick<Secret, 'name'>[],
	mode: ConflictMode
): Preview {
	const parsed = format === 'json' ? parseJsonObject(content) : parseDotenv(content);
	const problems = [...parsed.problems];
	const byLower = new Map(secrets.map((s) => [s.name.toLowerCase(), s.name]));
	const seen = new Map<string, string>();
	const created: string[] = [];
	const existing: string[] = [];
	for (const e of parsed.entries) {
		const lower = e.name.toLowerCase();
		const first = seen.get(lower);
		if (first) {
			problems.push(`${e.where}: ${e.name} is given twice (first at ${first})`);
			continue;
		}
		seen.set(lower, e.where);
		if (e.bytes === 0) problems.push(`${e.where}: value must not be empty`);
		else if (e.bytes > VALUE_MAX_BYTES) problems.push(`${e.where}: value must be at most ${VALUE_MAX_BYTES} bytes of UTF-8`);
		const current = byLower.get(lower);
		if (current) existing.push(current);
		else created.push(e.name);
	}
	if (parsed.entries.length === 0 && problems.length === 0 && content.trim()) problems.push('content holds no secrets');
	return {
		created,
		existing,
		updated: mode === 'overwrite' ? existing : [],
		skipped: mode === 'skip' ? existing : [],
		problems,
		blocked: problems.length > 0 || (mode === 'fail' && existing.length > 0) || seen.size === 0
	};
}

/** The server's 422 ("3 problems in content: line 2: …; line 5: …") as one problem a line. */
export function splitProblems(message: string): string[] {
	const body = message.replace(/^\d+ problems? in content: /, '');
	return body === message ? [message] : body.split('; ');
}

/** .json files are JSON; anything else (.env, .env.local, text) is .env text. */
export const formatOfFile = (fileName: string): ImportFormat => (/\.json$/i.test(fileName) ? 'json' : 'dotenv');
