/**
 * Supabase Auth documentation, "Admin API" (`supabase.auth.admin`, service_role only): create, list,
 * read, update and delete users, and generate links.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../../support/stack.ts';
import { PASSWORD, startAuthStack, uniqueEmail } from './gotrue-stack.ts';

let stack: TestStack;
const admin = () => stack.client(stack.serviceRoleKey).auth.admin;

beforeAll(async () => {
	stack = await startAuthStack();
});

afterAll(async () => {
	await stack?.close();
});

describe('who may call the admin API', () => {
	it('a caller with the anon key fails with 403 not_admin', async () => {
		const { error } = await stack.client().auth.admin.listUsers();
		expect(error?.status).toBe(403);
		expect(error?.code).toBe('not_admin');
	});
});

describe('users', () => {
	it('createUser with email_confirm makes a user who can sign in at once, with both metadata', async () => {
		const email = uniqueEmail('created');
		const { data, error } = await admin().createUser({
			email,
			password: PASSWORD,
			email_confirm: true,
			user_metadata: { name: 'Ana' },
			app_metadata: { plan: 'team' }
		});
		expect(error).toBeNull();
		expect(data.user).toMatchObject({
			email,
			user_metadata: { name: 'Ana' },
			app_metadata: { plan: 'team', provider: 'email', providers: ['email'] }
		});
		const signIn = await stack.client().auth.signInWithPassword({ email, password: PASSWORD });
		expect(signIn.error).toBeNull();
	});

	it('creating a user with a registered address fails with 422 email_exists', async () => {
		const email = uniqueEmail('dup');
		await admin().createUser({ email, email_confirm: true });
		const { error } = await admin().createUser({ email, email_confirm: true });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('email_exists');
	});

	it('listUsers pages with perPage and reports the total and the next page', async () => {
		for (let i = 0; i < 3; i++) await admin().createUser({ email: uniqueEmail('page') });
		const { data, error } = await admin().listUsers({ page: 1, perPage: 2 });
		expect(error).toBeNull();
		expect(data.users).toHaveLength(2);
		if (!('total' in data)) throw new Error('listUsers answered no pagination');
		expect(data.total).toBeGreaterThanOrEqual(3);
		expect(data.nextPage).toBe(2);
	});

	it('getUserById finds a user and answers 404 user_not_found for an unknown id', async () => {
		const created = await admin().createUser({ email: uniqueEmail('byid') });
		const found = await admin().getUserById(created.data.user!.id);
		expect(found.data.user?.id).toBe(created.data.user!.id);
		const missing = await admin().getUserById('00000000-0000-4000-8000-000000000000');
		expect(missing.error?.status).toBe(404);
		expect(missing.error?.code).toBe('user_not_found');
	});

	it('updateUserById merges metadata, removes null keys, and sets a new password', async () => {
		const email = uniqueEmail('update');
		const created = await admin().createUser({
			email,
			email_confirm: true,
			user_metadata: { a: 1, b: 2 }
		});
		const { data, error } = await admin().updateUserById(created.data.user!.id, {
			user_metadata: { b: null, c: 3 },
			password: 'another-password-9'
		});
		expect(error).toBeNull();
		expect(data.user?.user_metadata).toMatchObject({ a: 1, c: 3 });
		expect(data.user?.user_metadata).not.toHaveProperty('b');
		const signIn = await stack
			.client()
			.auth.signInWithPassword({ email, password: 'another-password-9' });
		expect(signIn.error).toBeNull();
	});

	it('deleteUser removes the user, whose sessions then end', async () => {
		const email = uniqueEmail('deleted');
		const created = await admin().createUser({ email, password: PASSWORD, email_confirm: true });
		const client = stack.client();
		await client.auth.signInWithPassword({ email, password: PASSWORD });
		expect((await admin().deleteUser(created.data.user!.id)).error).toBeNull();
		const { rows } = await stack.db.query('select 1 from auth.users where id = $1', [
			created.data.user!.id
		]);
		expect(rows).toHaveLength(0);
		expect((await client.auth.getUser()).error).not.toBeNull();
	});
});

describe('generateLink', () => {
	it('a magiclink answers the link properties, and its hashed token signs the user in once', async () => {
		const email = uniqueEmail('magic');
		await admin().createUser({ email, email_confirm: true });
		const { data, error } = await admin().generateLink({ type: 'magiclink', email });
		expect(error).toBeNull();
		expect(data.properties).toMatchObject({ verification_type: 'magiclink' });
		expect(data.properties?.action_link).toContain('/auth/v1/verify?token=');
		expect(data.properties?.email_otp).toMatch(/^\d{6}$/);
		const verified = await stack
			.client()
			.auth.verifyOtp({ token_hash: data.properties!.hashed_token, type: 'magiclink' });
		expect(verified.error).toBeNull();
		expect(verified.data.user?.email).toBe(email);
	});

	it('a recovery link for an unknown address fails with 404 user_not_found', async () => {
		const { error } = await admin().generateLink({ type: 'recovery', email: uniqueEmail('ghost') });
		expect(error?.status).toBe(404);
		expect(error?.code).toBe('user_not_found');
	});

	it('a link type the local stack does not make is refused in words', async () => {
		const { error } = await admin().generateLink({
			type: 'email_change_new',
			email: uniqueEmail('change'),
			newEmail: uniqueEmail('changed')
		});
		expect(error?.status).toBe(400);
		expect(error?.message).toContain(
			'the local stack makes signup, invite, magiclink and recovery links'
		);
	});
});
