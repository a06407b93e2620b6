import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';

// Rules every migration keeps, checked over the whole public schema so new tables inherit them.
let stack: TestStack;
beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(() => stack?.close());

describe('schema conventions', () => {
	it('every table in public has row-level security enabled', async () => {
		const { rows } = await stack.db.query<{ name: string }>(
			`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
			 where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity order by 1`
		);
		expect(rows).toEqual([]);
	});

	it('every foreign key in public is covered by an index that starts with its columns', async () => {
		const { rows } = await stack.db.query<{ name: string }>(
			`select con.conrelid::regclass::text || '.' || con.conname as name
			 from pg_constraint con join pg_namespace n on n.oid = con.connamespace
			 where con.contype = 'f' and n.nspname = 'public'
			   and not exists (
			     select 1 from pg_index i
			     where i.indrelid = con.conrelid
			       and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] operator(pg_catalog.@>) con.conkey
			       and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] operator(pg_catalog.<@) con.conkey
			   )
			 order by 1`
		);
		expect(rows).toEqual([]);
	});

	it('the tenancy tables exist with their foreign keys, so the checks above are not vacuous', async () => {
		const { rows } = await stack.db.query<{ name: string }>(
			`select con.conrelid::regclass::text || '.' || con.conname as name
			 from pg_constraint con
			 where con.contype = 'f' and con.conrelid in ('public.memberships'::regclass, 'public.invitations'::regclass)
			 order by 1`
		);
		expect(rows.map((r) => r.name)).toEqual([
			'invitations.invitations_accepted_by_fkey',
			'invitations.invitations_invited_by_fkey',
			'invitations.invitations_tenant_id_fkey',
			'memberships.memberships_tenant_id_fkey',
			'memberships.memberships_user_id_fkey'
		]);
	});
});
