import { describe, expect, it } from 'vitest';
import { formatOfFile, parseDotenv, parseJsonObject, previewImport, splitProblems } from './importPreview';

// The same text through the server's parser (python-dotenv via shared/secrets/formats.py)
// gives these entries and problems; the expectations below were taken from it.
const TRICKY =
	"# comment\n\nexport A_KEY=sk_test_fake_1\nB='multi\nline'\n  C=\"x\\ny\" # c\nbad line here\n1BAD=x\nNOEQ\nD= # empty\nE=#hash\n'F'=quoted\nG=\"never closed\n";

describe('parseDotenv', () => {
	it('reads entries and problems by line as the server does', () => {
		const { entries, problems } = parseDotenv(TRICKY);
		expect(entries.map((e) => [e.where, e.name, e.bytes])).toEqual([
			['line 3', 'A_KEY', 14],
			['line 4', 'B', 10],
			['line 6', 'C', 3],
			['line 10', 'D', 0],
			['line 11', 'E', 5],
			['line 12', 'F', 6]
		]);
		expect(problems).toEqual([
			'line 7: not a NAME=value line (or a quote is never closed)',
			'line 8: the name is not a valid secret name (a letter or underscore, then up to 127 letters, digits or underscores)',
			"line 9: a name without '=' and a value",
			'line 13: not a NAME=value line (or a quote is never closed)'
		]);
	});

	it('never keeps a value, only its size', () => {
		const { entries } = parseDotenv('STRIPE_KEY=sk_test_fake_secret_value\n');
		expect(JSON.stringify(entries)).not.toContain('sk_test_fake');
	});

	it('counts CRLF and CR line ends, and ignores a BOM', () => {
		expect(parseDotenv('\ufeffA=1\r\n\r\nB=2\rC=3').entries.map((e) => e.where)).toEqual(['line 1', 'line 3', 'line 4']);
	});

	it('decodes escapes before measuring', () => {
		expect(parseDotenv('A="\\n"\nB=\'\\\\\'').entries.map((e) => e.bytes)).toEqual([1, 1]);
	});
});

describe('parseJsonObject', () => {
	it('reads a NAME: value object, problems by key', () => {
		const { entries, problems } = parseJsonObject('{"A": "sk_test_fake", "bad-name": "x", "N": 1}');
		expect(entries).toEqual([{ where: 'key A', name: 'A', bytes: 12 }]);
		expect(problems).toEqual([
			expect.stringMatching(/^entry 2: the name is not a valid secret name/),
			'key N: the value must be a string'
		]);
	});

	it('refuses what is not one object', () => {
		expect(parseJsonObject('[1]').problems).toEqual(['content must be one JSON object, {"NAME": "value", ...}']);
		expect(parseJsonObject('{').problems).toEqual(['content is not valid JSON']);
	});
});

describe('previewImport', () => {
	const list = [{ name: 'STRIPE_KEY' }, { name: 'GITHUB_TOKEN' }];
	const text = 'NEW_ONE=sk_test_fake_1\nstripe_key=sk_test_fake_2\n';

	it('sorts names into created and existing, spelled as the list spells them', () => {
		const p = previewImport('dotenv', text, list, 'overwrite');
		expect(p).toMatchObject({ created: ['NEW_ONE'], existing: ['STRIPE_KEY'], updated: ['STRIPE_KEY'], skipped: [] });
		expect(p.blocked).toBe(false);
	});

	it('skip leaves existing ones; fail blocks on them', () => {
		expect(previewImport('dotenv', text, list, 'skip')).toMatchObject({ updated: [], skipped: ['STRIPE_KEY'], blocked: false });
		expect(previewImport('dotenv', text, list, 'fail')).toMatchObject({ updated: [], skipped: [], blocked: true });
		expect(previewImport('dotenv', 'ONLY_NEW=x', list, 'fail').blocked).toBe(false);
	});

	it('reports duplicates ignoring case, and empty values', () => {
		const p = previewImport('dotenv', 'A=1\na=2\nB=\n', [], 'fail');
		expect(p.problems).toEqual(['line 2: a is given twice (first at line 1)', 'line 3: value must not be empty']);
		expect(p.blocked).toBe(true);
	});

	it('nothing to import is blocked', () => {
		expect(previewImport('dotenv', '', [], 'fail').blocked).toBe(true);
		expect(previewImport('dotenv', '# only a comment\n', [], 'fail').problems).toEqual(['content holds no secrets']);
	});
});

describe('helpers', () => {
	it("splits the server's 422 into one problem a line", () => {
		expect(splitProblems('2 problems in content: line 2: x; line 5: y')).toEqual(['line 2: x', 'line 5: y']);
		expect(splitProblems('1 problem in content: line 1: z')).toEqual(['line 1: z']);
		expect(splitProblems('content must be valid UTF-8 text')).toEqual(['content must be valid UTF-8 text']);
	});

	it('tells the format by the file name', () => {
		expect(formatOfFile('prod.json')).toBe('json');
		expect(formatOfFile('.env.local')).toBe('dotenv');
	});
});
