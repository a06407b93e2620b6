import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.ts';
import type { Tx } from '../../supabase/local/db.ts';
import { testDatabaseServer, type TestStack } from '../support/stack.ts';
import { startSqlTap, type SqlTap } from '../support/sql-tap.ts';
import { callFunction } from '../support/clients.ts';
import {
	connectNumber,
	connectTwilio,
	createTeam,
	metaDelivery,
	metaText,
	postMeta,
	postTwilio,
	startPipelineStack,
	type PipelineStack,
	type Team
} from '../support/webhooks.ts';

// The webhook functions keep numbers' secrets in memory and confirm them in the one SQL call that
// stores a delivery: a warm delivery is one database call, a rotated secret takes effect on the
// next delivery, a delivery signed with the old secret (or another tenant's) is refused and
// leaves nothing, and deliveries racing each other or a rotation lose nothing they were told was
// stored.

let pipeline: PipelineStack;
let sandbox: Sandbox;
let stack: TestStack;
let functionsUrl: string;
let teamA: Team;
let teamB: Team;
let twilioA: { accountSid: string; authToken: string };
let twilioB: { accountSid: string; authToken: string };
let metaNumberA: string;
// On PostgreSQL the functions reach the database through a tap that reports their statements.
let tap: SqlTap | undefined;
let sqlSeen: (sql: string) => void = () => {};
/** The path a delivery's calls take: SQL where the functions have the database's address. */
const deliveryPath = testDatabaseServer ? 'sql' : 'rest';
const addressA = 'whatsapp:+15550400001';
const addressB = 'whatsapp:+15550500001';
const metaA = {
	phoneNumberId: '106540352400001',
	wabaId: '',
	appSecret: 'team-a-app-secret-0000000000001'
};

beforeAll(async () => {
	if (testDatabaseServer) {
		const server = new URL(testDatabaseServer);
		tap = await startSqlTap({ host: server.hostname, port: Number(server.port || 5432) }, (sql) =>
			sqlSeen(sql)
		);
	}
	const tapPort = tap?.port;
	pipeline = await startPipelineStack({
		functionsDatabaseUrl: tapPort
			? (url) => {
					const address = new URL(url);
					address.hostname = '127.0.0.1';
					address.port = String(tapPort);
					return address.toString();
				}
			: undefined
	});
	({ sandbox, stack, functionsUrl } = pipeline);
	teamA = await createTeam(stack, 'credentials-a');
	const accountA = sandbox.addTwilioAccount({ friendlyName: 'Team A' });
	sandbox.upsertTwilioNumber({ accountSid: accountA.sid, phoneNumber: addressA.slice(9) });
	twilioA = { accountSid: accountA.sid, authToken: accountA.authToken };
	await connectTwilio(teamA, twilioA);
	await connectNumber(teamA, { provider: 'twilio', displayName: 'A store', address: addressA });
	const meta = sandbox.upsertMetaNumber({
		phoneNumberId: metaA.phoneNumberId,
		displayPhoneNumber: '15550400002',
		appSecret: metaA.appSecret
	});
	metaA.wabaId = meta.wabaId;
	metaNumberA = await connectNumber(teamA, {
		provider: 'meta',
		displayName: 'A Meta line',
		phoneNumberId: meta.phoneNumberId,
		businessAccountId: meta.wabaId,
		accessToken: meta.accessToken,
		appSecret: metaA.appSecret
	});

	teamB = await createTeam(stack, 'credentials-b');
	const accountB = sandbox.addTwilioAccount({ friendlyName: 'Team B' });
	sandbox.upsertTwilioNumber({ accountSid: accountB.sid, phoneNumber: addressB.slice(9) });
	twilioB = { accountSid: accountB.sid, authToken: accountB.authToken };
	await connectTwilio(teamB, twilioB);
	await connectNumber(teamB, { provider: 'twilio', displayName: 'B store', address: addressB });
}, 240_000);

afterAll(async () => {
	await pipeline?.close();
	await tap?.close();
});

let sidCount = 0;
/** A Twilio MessageSid no other delivery of the file uses. */
function newSid(): string {
	sidCount += 1;
	return `SMcred${String(sidCount).padStart(28, '0')}`;
}

/** A Twilio inbound text to `address` of `account` from a customer. */
function twilioInbound(
	account: { accountSid: string },
	address: string,
	sid = newSid(),
	customer = '14155550777'
): Record<string, string> {
	return {
		MessageSid: sid,
		SmsMessageSid: sid,
		NumMedia: '0',
		ProfileName: 'Ana',
		MessageType: 'text',
		WaId: customer,
		SmsStatus: 'received',
		Body: `Hello ${sid}`,
		To: address,
		AccountSid: account.accountSid,
		From: `whatsapp:+${customer}`,
		ApiVersion: '2010-04-01'
	};
}

async function stored(providerId: string): Promise<{ messages: number; events: number }> {
	const { rows } = await stack.db.query<{ messages: number; events: number }>(
		`select (select count(*)::int from public.messages where provider_message_id = $1) as messages,
		   (select count(*)::int from public.webhook_events where strpos(raw_body, $1) > 0) as events`,
		[providerId]
	);
	return rows[0];
}

/**
 * The delivery calls the functions made while `work` ran, in order, by SQL function name: each is
 * one database transaction. On PGlite they go through REST (`/rpc/<name>`, as PostgREST serves
 * it); on PostgreSQL the functions have the database's address and send SQL, seen on the tap.
 * `via` says which path carried them.
 */
async function databaseCallsDuring<T>(
	work: () => Promise<T>
): Promise<{ result: T; calls: string[]; via: string[] }> {
	const db = stack.db;
	const original = db.transaction;
	const calls: string[] = [];
	const via = new Set<string>();
	const rest = (path: string) => {
		via.add('rest');
		calls.push(path.replace(/^\/rpc\//, ''));
	};
	// A request's settings open its transaction (the path among them), as literals or, failing
	// that, as the parameters of its first query.
	db.transaction = <R>(fn: (tx: Tx) => Promise<R>, opening?: string) => {
		const path = opening?.match(/set_config\('request\.path', '((?:[^']|'')*)'/)?.[1];
		if (path !== undefined) rest(path.replaceAll("''", "'"));
		return original.call(
			db,
			(tx: Tx) =>
				fn({
					...tx,
					query: ((sql: string, params?: unknown[]) => {
						if (sql.includes('set_config') && params?.includes('request.path'))
							rest(String(params[params.indexOf('request.path') + 1]));
						return tx.query(sql, params);
					}) as Tx['query']
				}),
			opening
		) as Promise<R>;
	};
	sqlSeen = (sql) => {
		// Each function instance first checks it runs as service_role (sql-delivery-calls.ts).
		if (sql === 'select current_user as role') return;
		via.add('sql');
		calls.push(sql.match(/^select (?:\* from )?public\.(\w+)\(/)?.[1] ?? sql);
	};
	try {
		const result = await work();
		expect(calls.length === 0 || [...via].join() === deliveryPath, `calls via ${[...via]}`).toBe(
			true
		);
		return { result, calls, via: [...via] };
	} finally {
		db.transaction = original;
		sqlSeen = () => {};
	}
}

describe('a warm cache', () => {
	it('reads a Twilio number’s credentials once, then stores each delivery in one database call', async () => {
		const first = twilioInbound(twilioA, addressA);
		const cold = await databaseCallsDuring(() => postTwilio(functionsUrl, first, twilioA));
		expect(cold.result.status).toBe(200);
		expect(cold.calls).toEqual(['webhook_credentials', 'ingest_whatsapp_delivery']);
		expect(cold.via).toEqual([deliveryPath]);

		const second = twilioInbound(twilioA, addressA);
		const warm = await databaseCallsDuring(() => postTwilio(functionsUrl, second, twilioA));
		expect(warm.result.status).toBe(200);
		expect(warm.calls).toEqual(['ingest_whatsapp_delivery']);
		expect(await stored(first.MessageSid)).toEqual({ messages: 1, events: 1 });
		expect(await stored(second.MessageSid)).toEqual({ messages: 1, events: 1 });
	});

	it('stores a warm Meta delivery in one database call', async () => {
		const delivery = (id: string) =>
			metaDelivery(
				metaA.phoneNumberId,
				{
					contacts: [{ profile: { name: 'Ana' }, wa_id: '5215512345000' }],
					messages: [metaText('5215512345000', id, 'Hola')]
				},
				metaA.wabaId
			);
		const cold = await databaseCallsDuring(() =>
			postMeta(functionsUrl, delivery('wamid.credcold'), { appSecret: metaA.appSecret })
		);
		expect(cold.result.status).toBe(200);
		expect(cold.calls).toEqual(['webhook_credentials', 'ingest_whatsapp_delivery']);
		const warm = await databaseCallsDuring(() =>
			postMeta(functionsUrl, delivery('wamid.credwarm'), { appSecret: metaA.appSecret })
		);
		expect(warm.result.status).toBe(200);
		expect(warm.calls).toEqual(['ingest_whatsapp_delivery']);
		expect(warm.via).toEqual([deliveryPath]);
		expect(await stored('wamid.credwarm')).toEqual({ messages: 1, events: 1 });
	});
});

describe('rotation', () => {
	it('a new Twilio auth token takes effect on the next delivery; one signed with the old token is refused and leaves nothing', async () => {
		const warm = twilioInbound(twilioA, addressA);
		expect((await postTwilio(functionsUrl, warm, twilioA)).status).toBe(200);
		const oldToken = twilioA.authToken;
		const newToken = 'rotated0token0000000000000000001';
		sandbox.addTwilioAccount({
			sid: twilioA.accountSid,
			authToken: newToken,
			friendlyName: 'Team A'
		});
		await connectTwilio(teamA, { accountSid: twilioA.accountSid, authToken: newToken });
		twilioA.authToken = newToken;

		// The function still holds the old token: the signature checks out on it, and the SQL call
		// refuses the old credential version, so the token is read again and the delivery refused.
		const old = twilioInbound(twilioA, addressA);
		const refused = await databaseCallsDuring(() =>
			postTwilio(functionsUrl, old, { authToken: oldToken })
		);
		expect(refused.result.status).toBe(403);
		expect((await refused.result.json()).code).toBe('invalid_signature');
		expect(refused.calls).toEqual(['ingest_whatsapp_delivery', 'webhook_credentials']);
		expect(await stored(old.MessageSid)).toEqual({ messages: 0, events: 0 });

		const fresh = twilioInbound(twilioA, addressA);
		const accepted = await databaseCallsDuring(() =>
			postTwilio(functionsUrl, fresh, { authToken: newToken })
		);
		expect(accepted.result.status).toBe(200);
		expect(accepted.calls).toEqual(['ingest_whatsapp_delivery']);
		expect(await stored(fresh.MessageSid)).toEqual({ messages: 1, events: 1 });
	});

	it('a delivery signed with the new token first is checked on the token read again, not refused', async () => {
		const warm = twilioInbound(twilioA, addressA);
		expect((await postTwilio(functionsUrl, warm, twilioA)).status).toBe(200);
		const newToken = 'rotated0token0000000000000000002';
		sandbox.addTwilioAccount({
			sid: twilioA.accountSid,
			authToken: newToken,
			friendlyName: 'Team A'
		});
		await connectTwilio(teamA, { accountSid: twilioA.accountSid, authToken: newToken });
		const oldToken = twilioA.authToken;
		twilioA.authToken = newToken;

		const fresh = twilioInbound(twilioA, addressA);
		const accepted = await databaseCallsDuring(() =>
			postTwilio(functionsUrl, fresh, { authToken: newToken })
		);
		expect(accepted.result.status).toBe(200);
		expect(accepted.calls).toEqual(['webhook_credentials', 'ingest_whatsapp_delivery']);
		expect(await stored(fresh.MessageSid)).toEqual({ messages: 1, events: 1 });
		const old = twilioInbound(twilioA, addressA);
		expect((await postTwilio(functionsUrl, old, { authToken: oldToken })).status).toBe(403);
		expect(await stored(old.MessageSid)).toEqual({ messages: 0, events: 0 });
	});

	it('a new Meta app secret takes effect on the next delivery; the old one is refused', async () => {
		const delivery = (id: string) =>
			metaDelivery(
				metaA.phoneNumberId,
				{
					contacts: [{ profile: { name: 'Ana' }, wa_id: '5215512345001' }],
					messages: [metaText('5215512345001', id, 'Hola')]
				},
				metaA.wabaId
			);
		const oldSecret = metaA.appSecret;
		expect(
			(await postMeta(functionsUrl, delivery('wamid.rotwarm'), { appSecret: oldSecret })).status
		).toBe(200);
		const newSecret = 'team-a-app-secret-rotated-000002';
		const edited = await callFunction(
			teamA.owner,
			`whatsapp-numbers/${teamA.tenantId}/${metaNumberA}`,
			'PATCH',
			{ appSecret: newSecret }
		);
		expect(edited.status).toBe(200);
		metaA.appSecret = newSecret;

		const refused = await postMeta(functionsUrl, delivery('wamid.rotold'), {
			appSecret: oldSecret
		});
		expect(refused.status).toBe(403);
		expect(await stored('wamid.rotold')).toEqual({ messages: 0, events: 0 });
		const accepted = await databaseCallsDuring(() =>
			postMeta(functionsUrl, delivery('wamid.rotnew'), { appSecret: newSecret })
		);
		expect(accepted.result.status).toBe(200);
		expect(accepted.calls).toEqual(['ingest_whatsapp_delivery']);
		expect(await stored('wamid.rotnew')).toEqual({ messages: 1, events: 1 });
	});
});

describe('another tenant', () => {
	it('a delivery for team A’s number signed with team B’s token is refused, however warm B’s cache is', async () => {
		expect((await postTwilio(functionsUrl, twilioInbound(twilioB, addressB), twilioB)).status).toBe(
			200
		);
		// Team A's number, signed with team B's token; and B's own account naming A's address.
		const forged = twilioInbound(twilioA, addressA);
		expect((await postTwilio(functionsUrl, forged, twilioB)).status).toBe(403);
		const crossed = twilioInbound(twilioB, addressA);
		expect((await postTwilio(functionsUrl, crossed, twilioB)).status).toBe(403);
		expect(await stored(forged.MessageSid)).toEqual({ messages: 0, events: 0 });
		expect(await stored(crossed.MessageSid)).toEqual({ messages: 0, events: 0 });
	});

	it('the SQL call stores nothing under a number its credentials claim does not name, or on stale versions', async () => {
		const { rows: numbers } = await stack.db.query<{ id: string; tenant_id: string }>(
			`select n.id, n.tenant_id from public.whatsapp_numbers n where n.address in ($1, $2) order by n.address`,
			[addressA, addressB]
		);
		const [numberA, numberB] = numbers;
		const routing = { account_sid: twilioA.accountSid, address: addressA };
		const { rows: current } = await stack.db.query<{
			number_id: string;
			credential_version: string;
		}>(`select number_id, credential_version from public.webhook_credentials('twilio', $1)`, [
			JSON.stringify(routing)
		]);
		expect(current.map((row) => row.number_id)).toEqual([numberA.id]);
		const claim = { routing, versions: { [numberA.id]: current[0].credential_version } };
		const message = (sid: string) => [
			{ provider_message_id: sid, wa_id: '14155550778', type: 'text', body: 'x' }
		];
		const call = (numberId: string, sid: string, credentials: unknown) =>
			stack.db.query<{ result: Record<string, unknown> }>(
				`select public.ingest_whatsapp_delivery('twilio', $1, '{}', $2, $3, credentials => $4) as result`,
				[numberId, sid, JSON.stringify(message(sid)), JSON.stringify(credentials)]
			);

		const elsewhere = newSid();
		await expect(call(numberB.id, elsewhere, claim)).rejects.toThrow(
			'The number to store this delivery under is not one whose credentials verified it.'
		);
		const stale = newSid();
		const answer = await call(numberA.id, stale, {
			routing,
			versions: { [numberA.id]: 'a-version-from-before' }
		});
		expect(answer.rows[0].result).toEqual({ stale_credentials: true });
		const current2 = newSid();
		expect((await call(numberA.id, current2, claim)).rows[0].result).toMatchObject({ error: null });
		expect(await stored(elsewhere)).toEqual({ messages: 0, events: 0 });
		expect(await stored(stale)).toEqual({ messages: 0, events: 0 });
		expect(await stored(current2)).toEqual({ messages: 1, events: 1 });
	});
});

describe('concurrent deliveries', () => {
	it('40 deliveries at once, duplicates among them, each stored exactly once', async () => {
		// The customers write once first: on PostgreSQL, new conversations racing other deliveries
		// deadlock on the reports' rollup (a conversation's cycle locks its day's row before the
		// message volume row, a commit takes them the other way round), which this test is not about.
		for (let i = 0; i < 7; i++) {
			const first = twilioInbound(twilioA, addressA, newSid(), String(14155551000 + i));
			expect((await postTwilio(functionsUrl, first, twilioA)).status).toBe(200);
		}
		const sids = Array.from({ length: 30 }, () => newSid());
		const posts = [...sids, ...sids.slice(0, 10)].map((sid, i) =>
			postTwilio(
				functionsUrl,
				twilioInbound(twilioA, addressA, sid, String(14155551000 + (i % 7))),
				twilioA
			)
		);
		const answers = await Promise.all(posts);
		expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
		const { rows } = await stack.db.query<{ n: number }>(
			'select count(*)::int as n from public.messages where provider_message_id = any($1)',
			[sids]
		);
		expect(rows[0].n).toBe(30);
	}, 120_000);

	it('deliveries racing a token rotation: every one answered 200 is stored, every refused one left nothing', async () => {
		const oldToken = twilioA.authToken;
		const newToken = 'rotated0token0000000000000000003';
		const sids = Array.from({ length: 20 }, () => newSid());
		const posts = sids.map((sid, i) =>
			postTwilio(
				functionsUrl,
				twilioInbound(twilioA, addressA, sid, String(14155552000 + (i % 5))),
				{ authToken: oldToken }
			)
		);
		sandbox.addTwilioAccount({
			sid: twilioA.accountSid,
			authToken: newToken,
			friendlyName: 'Team A'
		});
		const rotation = connectTwilio(teamA, { accountSid: twilioA.accountSid, authToken: newToken });
		const answers = await Promise.all(posts);
		await rotation;
		twilioA.authToken = newToken;
		for (const [i, answer] of answers.entries()) {
			expect([200, 403]).toContain(answer.status);
			expect(await stored(sids[i])).toEqual(
				answer.status === 200 ? { messages: 1, events: 1 } : { messages: 0, events: 0 }
			);
		}
		// Once the rotation is saved, the old token stores nothing.
		const late = twilioInbound(twilioA, addressA);
		expect((await postTwilio(functionsUrl, late, { authToken: oldToken })).status).toBe(403);
		expect(await stored(late.MessageSid)).toEqual({ messages: 0, events: 0 });
	}, 120_000);
});

describe('a number removed', () => {
	it('a delivery for a deleted number is refused though its secret is still in the cache', async () => {
		const number = sandbox.upsertMetaNumber({
			phoneNumberId: '106540352500009',
			displayPhoneNumber: '15550500009',
			appSecret: 'team-b-app-secret-to-be-deleted01'
		});
		const numberId = await connectNumber(teamB, {
			provider: 'meta',
			displayName: 'B line to delete',
			phoneNumberId: number.phoneNumberId,
			businessAccountId: number.wabaId,
			accessToken: number.accessToken,
			appSecret: number.appSecret
		});
		const delivery = (id: string) =>
			metaDelivery(
				number.phoneNumberId,
				{
					contacts: [{ profile: { name: 'Bo' }, wa_id: '5215512345009' }],
					messages: [metaText('5215512345009', id, 'Hola')]
				},
				number.wabaId
			);
		expect(
			(await postMeta(functionsUrl, delivery('wamid.delwarm'), { appSecret: number.appSecret }))
				.status
		).toBe(200);
		const deleted = await callFunction(
			teamB.owner,
			`whatsapp-numbers/${teamB.tenantId}/${numberId}`,
			'DELETE'
		);
		expect(deleted.status).toBe(200);
		const after = await databaseCallsDuring(() =>
			postMeta(functionsUrl, delivery('wamid.delafter'), { appSecret: number.appSecret })
		);
		expect(after.result.status).toBe(403);
		expect(after.calls).toEqual(['ingest_whatsapp_delivery', 'webhook_credentials']);
		expect(await stored('wamid.delafter')).toEqual({ messages: 0, events: 0 });
	});
});
