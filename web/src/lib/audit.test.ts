import { describe, expect, it } from 'vitest';
import type { AuditEvent, Secret } from './api';
import { actorLabel, actorName, actorOptions, csvCell, secretOptions, toCsv } from './audit';

const ME = 'd8d95648-0000-4000-8000-000000000001';
const OTHER = '7a1b2c3d-0000-4000-8000-000000000002';

function event(over: Partial<AuditEvent> = {}): AuditEvent {
	return {
		id: 1,
		project_id: 'p',
		secret_id: 's1',
		secret_name: 'STRIPE_KEY',
		actor_type: 'user',
		actor_id: OTHER,
		run_id: null,
		action: 'reveal',
		outcome: 'success',
		metadata: {},
		ip_address: '127.0.0.1',
		user_agent: 'ua',
		actor_email: null,
		created_at: '2026-12-02T07:39:10.123Z',
		...over
	};
}

const secret = (id: string, name: string) => ({ id, name }) as Secret;

describe('actorLabel', () => {
	it('prefers the email, else a labelled short id, and marks the caller', () => {
		expect(actorLabel(event({ actor_email: 'ana@example.com' }))).toBe('ana@example.com');
		expect(actorLabel(event())).toBe('User 7a1b2c3d…');
		expect(actorLabel(event({ actor_id: ME }), ME)).toBe('User d8d95648… (you)');
		expect(actorLabel(event({ actor_id: ME, actor_email: 'me@example.com' }), ME)).toBe('me@example.com (you)');
	});

	it('names runners, the service key and the system', () => {
		expect(actorLabel(event({ actor_type: 'runner', actor_id: null, run_id: 'run_dev_demo' }))).toBe(
			'Workflow run run_dev_demo'
		);
		expect(actorLabel(event({ actor_type: 'service', actor_id: null }))).toBe('Service key');
		expect(actorLabel(event({ actor_type: 'system', actor_id: null }))).toBe('System');
	});
});

describe('filter options', () => {
	it('lists current secrets, then deleted ones named by the events', () => {
		const options = secretOptions(
			[secret('s2', 'B_KEY'), secret('s1', 'A_KEY')],
			[event({ secret_id: 's9', secret_name: 'GONE' }), event({ secret_id: 's1' }), event({ secret_id: null })]
		);
		expect(options).toEqual([
			{ id: 's1', label: 'A_KEY' },
			{ id: 's2', label: 'B_KEY' },
			{ id: 's9', label: 'GONE (deleted)' }
		]);
	});

	it('lists each actor once', () => {
		const options = actorOptions([event(), event({ id: 2 }), event({ actor_type: 'runner', run_id: 'run_1' })], null);
		expect(options.map((o) => o.id)).toEqual([OTHER, 'run_1']);
	});
});

describe('CSV', () => {
	it('quotes what needs quoting and defuses formulas', () => {
		expect(csvCell('plain')).toBe('plain');
		expect(csvCell('a,b')).toBe('"a,b"');
		expect(csvCell('say "hi"')).toBe('"say ""hi"""');
		expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
		expect(csvCell('-1')).toBe("'-1");
		expect(csvCell(null)).toBe('');
		expect(csvCell(42)).toBe('42');
	});

	it('has a header and one CRLF row per event', () => {
		const csv = toCsv([event({ actor_email: 'ana@example.com' })]);
		const lines = csv.split('\r\n');
		expect(lines[0]).toBe(
			'created_at,action,outcome,actor_type,actor_id,actor_email,run_id,secret_name,secret_id,ip_address,user_agent,id'
		);
		expect(lines[1]).toBe(
			`2026-12-02T07:39:10.123Z,reveal,success,user,${OTHER},ana@example.com,,STRIPE_KEY,s1,127.0.0.1,ua,1`
		);
		expect(lines[2]).toBe('');
	});
});

describe('actorName (a version\'s created_by)', () => {
	it('names members by email, others by a short id, and marks you', () => {
		expect(actorName('user', ME, 'ana@example.com', ME)).toBe('ana@example.com (you)');
		expect(actorName('user', OTHER, null, ME)).toBe('User 7a1b2c3d…');
		expect(actorName('runner', 'run_0123456789abcdef', null)).toBe('Workflow run run_0123…');
		expect(actorName('service', null, null)).toBe('Service key');
	});
});
