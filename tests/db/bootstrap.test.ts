import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../supabase/local/migrate.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(() => stack?.close());

describe('database bootstrap', () => {
	it('gives a plain Postgres the Supabase roles, with service_role bypassing RLS', async () => {
		const { rows } = await stack.db.query<{ rolname: string; rolbypassrls: boolean }>(
			`select rolname, rolbypassrls from pg_roles
			 where rolname in ('anon','authenticated','service_role','authenticator') order by rolname`
		);
		expect(rows).toEqual([
			{ rolname: 'anon', rolbypassrls: false },
			{ rolname: 'authenticated', rolbypassrls: false },
			{ rolname: 'authenticator', rolbypassrls: false },
			{ rolname: 'service_role', rolbypassrls: true }
		]);
	});

	it('reads auth.uid(), auth.role() and auth.jwt() from the request claims', async () => {
		const claims = {
			sub: '7d3c0b2e-5a0f-4b8e-9a43-1f0c2b7d9e11',
			role: 'authenticated',
			aal: 'aal1'
		};
		const row = await stack.db.transaction(async (tx) => {
			await tx.query(
				`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
				[JSON.stringify(claims)]
			);
			const { rows } = await tx.query<{ uid: string; role: string; aal: string; who: string }>(
				`select auth.uid() as uid, auth.role() as role, auth.jwt() ->> 'aal' as aal, current_user as who`
			);
			return rows[0];
		});
		expect(row).toEqual({
			uid: claims.sub,
			role: 'authenticated',
			aal: 'aal1',
			who: 'authenticated'
		});
	});

	it("answers pgcrypto's digest() and gen_random_bytes() as pgcrypto does, with or without its library", async () => {
		const { rows } = await stack.db.query<Record<string, string | number>>(
			`select encode(extensions.digest('parley', 'sha256'), 'hex') as sha256,
			        encode(extensions.digest('parley'::bytea, 'md5'), 'hex') as md5,
			        length(extensions.gen_random_bytes(48)) as length,
			        extensions.gen_random_bytes(16) <> extensions.gen_random_bytes(16) as differ`
		);
		expect(rows).toEqual([
			{
				sha256: createHash('sha256').update('parley').digest('hex'),
				md5: createHash('md5').update('parley').digest('hex'),
				length: 48,
				differ: true
			}
		]);
		await expect(stack.db.query(`select extensions.digest('parley', 'whirlpool')`)).rejects.toThrow(
			/Cannot use "whirlpool"/
		);
	});

	it('realtime.send stores a private broadcast with an id added to its payload', async () => {
		await stack.db.query(`select realtime.send('{"n":1}'::jsonb, 'ping', 'room:bootstrap')`);
		const { rows } = await stack.db.query<{
			payload: { n: number; id: string };
			private: boolean;
			id: string;
		}>(`select payload, private, id::text from realtime.messages where topic = 'room:bootstrap'`);
		expect(rows).toHaveLength(1);
		expect(rows[0].private).toBe(true);
		expect(rows[0].payload).toEqual({ n: 1, id: rows[0].id });
	});

	it('is idempotent: migrating again applies nothing and keeps data', async () => {
		const again = await migrate(stack.db, stack.context.supabaseDir);
		expect(again).toEqual({ applied: [], seeded: false });
		const { rows } = await stack.db.query(
			`select 1 from realtime.messages where topic = 'room:bootstrap'`
		);
		expect(rows).toHaveLength(1);
	});
});
