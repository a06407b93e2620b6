import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { attempt, rowsOf } from './support.ts';

let stack: TestStack;
beforeAll(async () => {
	stack = await startTestStack({ seed: true });
});
afterAll(() => stack?.close());

const demoEmails = ['admin@parley.local', 'agent@parley.local', 'owner@parley.local'];

describe('seed', () => {
	it('creates the three demo users, confirmed, with the password parley-demo as a bcrypt hash', async () => {
		const { rows } = await stack.db.query<{
			id: string;
			email: string;
			encrypted_password: string;
			confirmed: boolean;
			aud: string;
			role: string;
			raw_app_meta_data: unknown;
		}>(
			`select id, email, encrypted_password, email_confirmed_at is not null as confirmed, aud, role, raw_app_meta_data
			 from auth.users where email like '%@parley.local' order by email`
		);
		expect(rows.map((r) => r.email)).toEqual(demoEmails);
		for (const user of rows) {
			expect(user).toMatchObject({
				confirmed: true,
				aud: 'authenticated',
				role: 'authenticated',
				raw_app_meta_data: { provider: 'email', providers: ['email'] }
			});
			expect(user.encrypted_password).toMatch(/^\$2[ab]\$/);
			expect(bcrypt.compareSync('parley-demo', user.encrypted_password)).toBe(true);
			expect(bcrypt.compareSync('wrong-password', user.encrypted_password)).toBe(false);
		}
	});

	it('gives each demo user an email identity keyed by their user id', async () => {
		const { rows } = await stack.db.query<{ email: string; matches: boolean }>(
			`select u.email, i.provider_id = u.id::text and i.identity_data ->> 'email' = u.email as matches
			 from auth.identities i join auth.users u on u.id = i.user_id
			 where i.provider = 'email' and u.email like '%@parley.local' order by u.email`
		);
		expect(rows).toEqual(demoEmails.map((email) => ({ email, matches: true })));
	});

	it('creates Acme Support (acme) with an owner, an admin and an agent', async () => {
		const { rows } = await stack.db.query<{
			name: string;
			slug: string;
			email: string;
			role: string;
			display_name: string;
		}>(
			`select t.name, t.slug, u.email, m.role, p.display_name
			 from public.tenants t join public.memberships m on m.tenant_id = t.id
			 join auth.users u on u.id = m.user_id join public.profiles p on p.id = u.id
			 order by u.email`
		);
		expect(rows).toEqual([
			{
				name: 'Acme Support',
				slug: 'acme',
				email: 'admin@parley.local',
				role: 'admin',
				display_name: 'Adam Admin'
			},
			{
				name: 'Acme Support',
				slug: 'acme',
				email: 'agent@parley.local',
				role: 'agent',
				display_name: 'Sofia Agent'
			},
			{
				name: 'Acme Support',
				slug: 'acme',
				email: 'owner@parley.local',
				role: 'owner',
				display_name: 'Olivia Owner'
			}
		]);
	});

	it('lets the demo agent see the workspace and teammates through RLS', async () => {
		const { rows } = await stack.db.query<{ id: string }>(
			`select id from auth.users where email = 'agent@parley.local'`
		);
		const agent = { label: 'agent', id: rows[0].id, email: 'agent@parley.local' };
		expect(rowsOf(await attempt(stack.db, agent, 'select slug from public.tenants'))).toEqual([
			{ slug: 'acme' }
		]);
		expect(rowsOf(await attempt(stack.db, agent, 'select id from public.profiles'))).toHaveLength(
			3
		);
	});
});
