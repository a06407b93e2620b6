import { randomUUID } from 'node:crypto';
import type { Db, Tx } from '../db.ts';
import type { JwtClaims } from '../jwt.ts';

/** What a token may do on one private topic, as the RLS policies on realtime.messages decide. */
export interface ChannelPolicies {
	broadcastRead: boolean;
	presenceRead: boolean;
	broadcastWrite: boolean;
	presenceWrite: boolean;
}

/** Nothing allowed: what a token whose role Postgres does not know gets. */
export const noPolicies: ChannelPolicies = {
	broadcastRead: false,
	presenceRead: false,
	broadcastWrite: false,
	presenceWrite: false
};

/** Thrown inside the probe transaction so it always rolls back. */
class ProbeRollback extends Error {}

/**
 * Asks the database what `claims` may do on private topic `topic`, the way Supabase Realtime does:
 * probe rows are inserted into realtime.messages, then, acting as the token's role with its claims
 * and `realtime.topic` set, a select shows which probes the read policies let through, and an insert
 * in a savepoint shows whether the write policies allow sending. Everything is rolled back.
 */
export async function checkChannelPolicies(
	db: Db,
	topic: string,
	claims: JwtClaims
): Promise<ChannelPolicies> {
	const rollback = new ProbeRollback();
	let policies: ChannelPolicies = noPolicies;
	try {
		await db.transaction(async (tx) => {
			const broadcastProbe = randomUUID();
			const presenceProbe = randomUUID();
			await tx.query(
				`insert into realtime.messages (id, topic, extension) values ($1, $3, 'broadcast'), ($2, $3, 'presence')`,
				[broadcastProbe, presenceProbe, topic]
			);
			try {
				await tx.query(
					`select set_config('role', $1, true), set_config('realtime.topic', $2, true),
					        set_config('request.jwt.claims', $3, true), set_config('request.jwt.claim.sub', $4, true),
					        set_config('request.jwt.claim.role', $1, true)`,
					[claims.role, topic, JSON.stringify(claims), claims.sub ?? '']
				);
			} catch (error) {
				// A role Postgres does not know (22023/42704) may do nothing, as PostgREST refuses it.
				if (isUnknownRole(error)) throw rollback;
				throw error;
			}
			const { rows } = await tx.query<{ id: string }>(
				`select id::text as id from realtime.messages where id in ($1, $2)`,
				[broadcastProbe, presenceProbe]
			);
			const visible = new Set(rows.map((row) => row.id));
			policies = {
				broadcastRead: visible.has(broadcastProbe),
				presenceRead: visible.has(presenceProbe),
				broadcastWrite: await canInsert(tx, topic, 'broadcast'),
				presenceWrite: await canInsert(tx, topic, 'presence')
			};
			throw rollback;
		});
	} catch (error) {
		if (error !== rollback) throw error;
	}
	return policies;
}

async function canInsert(
	tx: Tx,
	topic: string,
	extension: 'broadcast' | 'presence'
): Promise<boolean> {
	await tx.query('savepoint realtime_write_probe');
	try {
		await tx.query(`insert into realtime.messages (topic, extension) values ($1, $2)`, [
			topic,
			extension
		]);
		await tx.query('rollback to savepoint realtime_write_probe');
		return true;
	} catch (error) {
		await tx.query('rollback to savepoint realtime_write_probe');
		if ((error as { code?: string }).code === '42501') return false;
		throw error;
	}
}

function isUnknownRole(error: unknown): boolean {
	const code = (error as { code?: string }).code;
	return code === '22023' || code === '42704';
}
