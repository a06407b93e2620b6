import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_CREDENTIALS } from '../../sandbox/demo.ts';
import { invitationTokenOf, invitedEmailRefusal } from '$lib/auth/invitation-signup';
import { sandboxTwilioCredentials } from '$lib/integrations/sandbox-demo';
import { membershipReaction, readMembershipChange } from '$lib/members/membership-change';
import { soleWorkspacePath, type MyWorkspace } from '$lib/workspaces';

// What a first run decides without a server: where sign-in lands, who is offered the sandbox's
// demo credentials, which address an invitation signs up with, and how an open tab follows a
// role change.

const environment = vi.hoisted(() => ({ dev: false }));
vi.mock('$app/environment', () => ({
	get dev() {
		return environment.dev;
	}
}));
vi.mock('$lib/whatsapp/functions', () => ({
	callFunction: async () => ({ ok: true, status: 200, data: { integration: null } })
}));
const { load: integrationsLoad } =
	await import('../../src/routes/app/[tenant]/integrations/+page.server.ts');

const at = (path: string) => new URL(path, 'http://localhost:5173');
const acme: MyWorkspace = { name: 'Acme Support', slug: 'acme', role: 'owner' };
const globex: MyWorkspace = { name: 'Globex', slug: 'globex', role: 'agent' };

describe('where /app takes a signed-in person', () => {
	it('someone in exactly one workspace goes straight to its inbox', () => {
		expect(soleWorkspacePath([acme], at('/app'))).toBe('/app/acme/whatsapp');
	});

	it('someone in several workspaces, or none, gets the chooser', () => {
		expect(soleWorkspacePath([acme, globex], at('/app'))).toBeNull();
		expect(soleWorkspacePath([], at('/app'))).toBeNull();
	});

	it('asking for the chooser (to create another workspace) keeps it open', () => {
		expect(soleWorkspacePath([acme], at('/app?choose'))).toBeNull();
		expect(soleWorkspacePath([acme], at('/app?choose=&/createWorkspace'))).toBeNull();
	});
});

describe('an invitation sign-up', () => {
	const token = 'ab'.repeat(32);

	it('finds the invitation only in a next that returns to an invitation page', () => {
		expect(invitationTokenOf(`/invite/${token}`)).toBe(token);
		expect(invitationTokenOf('/app/acme')).toBeNull();
		expect(invitationTokenOf(`//evil.test/invite/${token}`)).toBeNull();
		expect(invitationTokenOf(`/invite/${token}/more`)).toBeNull();
		expect(invitationTokenOf('/invite/not-a-token')).toBeNull();
		expect(invitationTokenOf(null)).toBeNull();
	});

	it('accepts the invited address in any case, and refuses another with a sentence', () => {
		expect(invitedEmailRefusal('ana@example.com', ' Ana@Example.com ')).toBeNull();
		expect(invitedEmailRefusal('ana@example.com', 'ana.personal@example.com')).toBe(
			'This invitation is for ana@example.com. Sign up with that address to accept it, or ask whoever invited you to invite ana.personal@example.com instead.'
		);
	});
});

describe('the membership broadcast', () => {
	const tenantId = '7b3f9a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
	const here = { tenantId, tenantName: 'Acme Support', role: 'admin' as const };

	it('reads the payload the database sends, and nothing else', () => {
		expect(readMembershipChange({ tenant_id: tenantId, role: 'agent', left: false })).toEqual({
			tenantId,
			role: 'agent',
			left: false
		});
		expect(readMembershipChange({ tenant_id: tenantId, role: null, left: true })).toEqual({
			tenantId,
			role: null,
			left: true
		});
		expect(readMembershipChange({ tenant_id: tenantId, role: 'superuser' })).toBeNull();
		expect(readMembershipChange({ operation: 'UPDATE' })).toBeNull();
	});

	it('a new role in the open workspace reloads it and says so', () => {
		expect(membershipReaction({ tenantId, role: 'agent', left: false }, here)).toEqual({
			kind: 'role',
			message: 'Your role in Acme Support is now Agent.'
		});
	});

	it('a removal takes the person out, and says whether they left or were removed', () => {
		expect(membershipReaction({ tenantId, role: null, left: false }, here)).toEqual({
			kind: 'removed',
			message: 'You were removed from Acme Support. Ask an owner or admin to invite you again.'
		});
		expect(membershipReaction({ tenantId, role: null, left: true }, here)).toEqual({
			kind: 'removed',
			message: 'You left Acme Support.'
		});
	});

	it('another workspace only refreshes the switcher; the same role changes nothing', () => {
		const elsewhere = 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b';
		expect(membershipReaction({ tenantId: elsewhere, role: null, left: false }, here)).toEqual({
			kind: 'elsewhere'
		});
		expect(membershipReaction({ tenantId, role: 'admin', left: false }, here)).toEqual({
			kind: 'unchanged'
		});
	});
});

describe("the sandbox's demo Twilio credentials", () => {
	const localUrl = 'http://127.0.0.1:54321';
	const stackJson = JSON.stringify({
		supabaseUrl: localUrl,
		anonKey: 'anon',
		sandbox: { url: 'http://127.0.0.1:54330', twilio: DEMO_CREDENTIALS.twilio }
	});
	const demo = {
		accountSid: DEMO_CREDENTIALS.twilio.accountSid,
		authToken: DEMO_CREDENTIALS.twilio.authToken
	};

	it('are offered in development over the local stack that runs the sandbox', () => {
		expect(
			sandboxTwilioCredentials({ dev: true, supabaseUrl: localUrl, stackInfo: () => stackJson })
		).toEqual(demo);
	});

	it('are never offered by a production build, even beside a local stack', () => {
		expect(
			sandboxTwilioCredentials({ dev: false, supabaseUrl: localUrl, stackInfo: () => stackJson })
		).toBeNull();
	});

	it('are not offered when the app talks to another Supabase, or no sandbox runs', () => {
		const hosted = 'https://abc.supabase.co';
		expect(
			sandboxTwilioCredentials({ dev: true, supabaseUrl: hosted, stackInfo: () => stackJson })
		).toBeNull();
		expect(
			sandboxTwilioCredentials({ dev: true, supabaseUrl: localUrl, stackInfo: () => undefined })
		).toBeNull();
		expect(
			sandboxTwilioCredentials({
				dev: true,
				supabaseUrl: localUrl,
				stackInfo: () => JSON.stringify({ supabaseUrl: localUrl, anonKey: 'anon' })
			})
		).toBeNull();
		expect(
			sandboxTwilioCredentials({ dev: true, supabaseUrl: localUrl, stackInfo: () => '{' })
		).toBeNull();
	});

	describe('in the Integrations page data', () => {
		let dataDir: string;
		const previousDataDir = process.env.PARLEY_DATA_DIR;

		beforeAll(async () => {
			dataDir = await mkdtemp(join(tmpdir(), 'parley-first-run-'));
			await writeFile(join(dataDir, 'stack.json'), stackJson);
			process.env.PARLEY_DATA_DIR = dataDir;
		});
		afterAll(async () => {
			if (previousDataDir === undefined) delete process.env.PARLEY_DATA_DIR;
			else process.env.PARLEY_DATA_DIR = previousDataDir;
			await rm(dataDir, { recursive: true, force: true });
		});

		/** The page's data as the browser would receive it, serialised. */
		async function pageData(): Promise<string> {
			const event = {
				locals: { supabase: {}, supabaseConfig: { url: localUrl, anonKey: 'anon' } },
				parent: async () => ({
					role: 'owner',
					tenant: { id: '7b3f9a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b', name: 'Acme', slug: 'acme' }
				})
			} as unknown as Parameters<typeof integrationsLoad>[0];
			return JSON.stringify(await integrationsLoad(event));
		}

		it('a production page carries neither the Account SID nor the Auth Token', async () => {
			environment.dev = false;
			const data = await pageData();
			expect(data).toContain('"sandboxTwilio":null');
			expect(data).not.toContain(DEMO_CREDENTIALS.twilio.accountSid);
			expect(data).not.toContain(DEMO_CREDENTIALS.twilio.authToken);
		});

		it('a development page over the local sandbox carries them for the button', async () => {
			environment.dev = true;
			const data = await pageData();
			expect(data).toContain(DEMO_CREDENTIALS.twilio.accountSid);
			expect(data).toContain(DEMO_CREDENTIALS.twilio.authToken);
		});
	});
});
