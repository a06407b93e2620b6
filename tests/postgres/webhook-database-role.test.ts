import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Tx } from '../../supabase/local/db.ts';
import { testDatabaseServer } from '../support/stack.ts';
import {
	connectDemoNumbers,
	createTeam,
	startPipelineStack,
	type PipelineStack
} from '../support/webhooks.ts';

// The webhook functions store deliveries over SQL as the service role when they are given the
// database's address. An address whose login may not become service_role (a wrong secret, a
// pooler that refuses the setting) must not cost a delivery: the functions say so once and store
// through REST instead.

const login = `parley_no_service_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');
let server: pg.Client;
let pipeline: PipelineStack;

beforeAll(async () => {
	if (!testDatabaseServer)
		throw new Error(
			'These tests need a PostgreSQL server: set PARLEY_TEST_DATABASE_URL to a superuser URL.'
		);
	server = new pg.Client({ connectionString: testDatabaseServer });
	await server.connect();
	// A login of its own, with no membership in service_role: it may connect and nothing more.
	await server.query(`create role ${login} login password '${password}'`);
	pipeline = await startPipelineStack({
		functionsDatabaseUrl: (url) => {
			const address = new URL(url);
			address.username = login;
			address.password = password;
			return address.toString();
		}
	});
});

afterAll(async () => {
	await pipeline?.close();
	await server?.query(`drop role if exists ${login}`);
	await server?.end();
});

describe('a database address that cannot act as the service role', () => {
	it('stores every delivery through REST instead, and each once', async () => {
		const { stack, sandbox } = pipeline;
		const team = await createTeam(stack, 'db-role');
		await connectDemoNumbers(team);

		// REST serves each call in a transaction that names its path among its settings.
		const paths: string[] = [];
		const original = stack.db.transaction;
		stack.db.transaction = <R>(fn: (tx: Tx) => Promise<R>, opening?: string) => {
			const path = opening?.match(/set_config\('request\.path', '([^']*)'/)?.[1];
			if (path) paths.push(path);
			return original.call(stack.db, fn, opening) as Promise<R>;
		};
		try {
			for (const text of ['First message', 'Second message', 'Third message']) {
				const { delivery } = await sandbox.sendCustomerMessage({
					provider: 'twilio',
					to: '+15550100001',
					from: '+5215577000042',
					profileName: 'Rita',
					text
				});
				expect(delivery.responseStatus).toBe(200);
			}
		} finally {
			stack.db.transaction = original;
		}
		expect(paths.filter((path) => path === '/rpc/ingest_whatsapp_delivery')).toHaveLength(3);
		const { rows } = await stack.db.query<{ body: string }>(
			`select body from public.messages where tenant_id = $1 order by created_at`,
			[team.tenantId]
		);
		expect(rows.map((row) => row.body)).toEqual([
			'First message',
			'Second message',
			'Third message'
		]);
	});
});
