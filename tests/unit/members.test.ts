import { describe, expect, it, vi } from 'vitest';
import { availabilityChange } from '../../src/lib/members/availability.ts';
import {
	databaseErrorSentence,
	databaseErrorStatus
} from '../../src/lib/members/database-errors.ts';
import { createWorkspaceSchema, inviteSchema } from '../../src/lib/members/forms.ts';
import { deliverToDevMailbox, invitationMail } from '../../src/lib/members/mailbox.server.ts';
import { relativeTime } from '../../src/lib/members/relative-time.ts';
import { grantableRoles, removalBlocker, roleChangeBlocker } from '../../src/lib/members/roles.ts';
import { slugFromName } from '../../src/lib/members/slug.ts';

describe('workspace addresses', () => {
	it('suggests a lowercase, hyphenated address without accents or punctuation', () => {
		expect(slugFromName('Café Ünïcorn Support!')).toBe('cafe-unicorn-support');
		expect(slugFromName('  --Acme   & Co.-- ')).toBe('acme-co');
	});

	it('keeps a suggestion within 40 characters and never ends it with a hyphen', () => {
		const slug = slugFromName('a'.repeat(39) + ' bcd');
		expect(slug).toBe('a'.repeat(39));
		expect(slug.length).toBeLessThanOrEqual(40);
	});

	it('explains an address with capitals or spaces beside the field', () => {
		const result = createWorkspaceSchema.safeParse({ name: 'Acme', slug: 'No Spaces' });
		expect(result.success).toBe(false);
		expect(result.error?.issues[0]).toMatchObject({
			path: ['slug'],
			message: 'Use only lowercase letters, digits and hyphens in the address.'
		});
	});
});

describe('invite form', () => {
	it('normalises the email and refuses a role that does not exist', () => {
		expect(inviteSchema.parse({ email: ' Ada@Example.COM ', role: 'admin' })).toEqual({
			email: 'ada@example.com',
			role: 'admin'
		});
		expect(
			inviteSchema.safeParse({ email: 'ada@example.com', role: 'king' }).error?.issues[0].message
		).toBe('Choose a role: owner, admin or agent.');
	});
});

describe('member rules as the interface shows them', () => {
	const owner = { role: 'owner' as const, isSelf: false };
	const agent = { role: 'agent' as const, isSelf: false };

	it('lets admins grant admin and agent but never owner', () => {
		expect(grantableRoles('owner')).toEqual(['owner', 'admin', 'agent']);
		expect(grantableRoles('admin')).toEqual(['admin', 'agent']);
		expect(grantableRoles('agent')).toEqual([]);
	});

	it('stops an admin from changing or removing an owner, with the reason', () => {
		expect(roleChangeBlocker('admin', owner, 2)).toBe('Admins cannot change the role of an owner.');
		expect(removalBlocker('admin', owner, 2)).toBe('Admins cannot remove an owner.');
		expect(roleChangeBlocker('admin', agent, 1)).toBeNull();
		expect(removalBlocker('admin', agent, 1)).toBeNull();
	});

	it('keeps the last owner: not demoted, not removed, cannot leave', () => {
		expect(roleChangeBlocker('owner', { role: 'owner', isSelf: true }, 1)).toMatch(
			/at least one owner/
		);
		expect(removalBlocker('owner', { role: 'owner', isSelf: true }, 1)).toMatch(/cannot leave/);
		expect(roleChangeBlocker('owner', owner, 2)).toBeNull();
	});

	it('lets an agent leave but not remove others', () => {
		expect(removalBlocker('agent', { role: 'agent', isSelf: true }, 1)).toBeNull();
		expect(removalBlocker('agent', agent, 1)).toBe('Only owners and admins can remove people.');
	});
});

describe('database refusals', () => {
	it("shows the database's sentence and status for the codes the tenancy functions raise", () => {
		const refusal = { code: '42501', message: 'Admins cannot change the role of an owner.' };
		expect(databaseErrorSentence(refusal)).toBe('Admins cannot change the role of an owner.');
		expect(databaseErrorStatus(refusal)).toBe(403);
		expect(databaseErrorStatus({ code: '23505' })).toBe(409);
	});

	it('hides internal errors behind a generic sentence', () => {
		const internal = { code: '42P01', message: 'relation "public.x" does not exist' };
		expect(databaseErrorSentence(internal)).toBe(
			'Something went wrong on our side. Try again in a moment.'
		);
		expect(databaseErrorStatus(internal)).toBe(500);
	});
});

describe('relative times', () => {
	const now = new Date('2026-11-25T12:00:00Z');
	it('says just now, hours ago, and days ahead', () => {
		expect(relativeTime('2026-11-25T11:59:30Z', now)).toBe('just now');
		expect(relativeTime('2026-11-25T10:00:00Z', now)).toBe('2 hours ago');
		expect(relativeTime('2026-11-24T12:00:00Z', now)).toBe('yesterday');
		expect(relativeTime('2026-12-02T11:59:58Z', now)).toBe('in 7 days');
		expect(relativeTime('2026-12-16T12:00:00Z', now)).toBe('in 3 weeks');
	});
});

describe('dev mailbox delivery', () => {
	const mail = invitationMail({
		to: 'ada@example.com',
		workspaceName: 'Acme',
		roleLabel: 'Admin',
		inviterName: 'Olivia',
		link: 'http://localhost:5173/invite/abc'
	});

	it('posts the invitation to a local stack and reports it delivered', async () => {
		const fetchFn = vi.fn(async () => new Response('{}', { status: 201 }));
		expect(await deliverToDevMailbox('http://127.0.0.1:54321', mail, fetchFn)).toBe(true);
		const [url, init] = fetchFn.mock.calls[0] as unknown as [URL, RequestInit];
		expect(String(url)).toBe('http://127.0.0.1:54321/_parley/mailbox');
		expect(JSON.parse(String(init.body))).toMatchObject({
			to: 'ada@example.com',
			subject: 'Olivia invited you to Acme on Parley',
			link: 'http://localhost:5173/invite/abc'
		});
	});

	it('sends nothing to a hosted project, and treats a missing mailbox as not delivered', async () => {
		const fetchFn = vi.fn(async () => new Response('', { status: 404 }));
		expect(await deliverToDevMailbox('https://abc.supabase.co', mail, fetchFn)).toBe(false);
		expect(fetchFn).not.toHaveBeenCalled();
		expect(await deliverToDevMailbox('http://127.0.0.1:54321', mail, fetchFn)).toBe(false);
	});
});

describe('availability heard live', () => {
	const userId = '4d7f6c1e-2b5a-4c8e-9f10-1a2b3c4d5e6f';
	it('reads who is now available or away from an insert or an update', () => {
		expect(
			availabilityChange({
				operation: 'INSERT',
				record: { user_id: userId, available: false },
				old_record: null
			})
		).toEqual({ userId, available: false });
		expect(
			availabilityChange({
				operation: 'UPDATE',
				record: { user_id: userId, available: true },
				old_record: { user_id: userId, available: false }
			})
		).toEqual({ userId, available: true });
	});

	it('a removed row means available again, the default', () => {
		expect(
			availabilityChange({
				operation: 'DELETE',
				record: null,
				old_record: { user_id: userId, available: false }
			})
		).toEqual({ userId, available: true });
	});

	it('ignores anything that is not such a change', () => {
		expect(availabilityChange(null)).toBeNull();
		expect(availabilityChange({ operation: 'UPDATE', record: { user_id: 'x' } })).toBeNull();
		expect(
			availabilityChange({
				operation: 'TRUNCATE',
				record: { user_id: userId, available: true },
				old_record: null
			})
		).toBeNull();
	});
});
