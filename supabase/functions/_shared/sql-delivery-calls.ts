/**
 * The delivery calls straight over SQL, on the database address the platform gives Edge
 * Functions (SUPABASE_DB_URL), with postgres.js as Supabase's own Edge Function guides use it.
 * Each call is one statement: Postgres runs it in a transaction of its own, so it is committed
 * when its answer arrives, as a REST call is. Postgres names each parameter's type from the
 * function's signature, and postgres.js writes each value for it (objects and arrays as JSON for
 * jsonb), as PostgREST hands a request's JSON over. Unnamed statements only: a transaction pooler
 * (Supavisor) in front of the database keeps no prepared statement between transactions.
 */
import postgres from 'postgres';
import type { DatabaseCallError } from './database-errors.ts';
import type { DeliveryCallName, DeliveryCallResult, DeliveryCalls } from './delivery-calls.ts';

/** Connections one function instance keeps: deliveries are short, and instances are many. */
const maxConnections = 3;

/** How each call is written: a set-returning function is read as rows, the others as one value. */
const statements: Record<DeliveryCallName, { sql: (args: string) => string; rows: boolean }> = {
	ingest_whatsapp_delivery: {
		sql: (args) => `select public.ingest_whatsapp_delivery(${args}) as result`,
		rows: false
	},
	keep_unprocessed_delivery: {
		sql: (args) => `select public.keep_unprocessed_delivery(${args}) as result`,
		rows: false
	},
	webhook_credentials: {
		sql: (args) => `select * from public.webhook_credentials(${args})`,
		rows: true
	}
};

/** A SQLSTATE is five digits or capitals; postgres.js names its own connection failures otherwise. */
const sqlState = /^[0-9A-Z]{5}$/;

/** What failed, as the REST path reports it: a connection failure reads as SQLSTATE 08006. */
function callError(error: unknown): DatabaseCallError {
	const failure = error as { code?: unknown; message?: unknown; detail?: unknown };
	const code = typeof failure?.code === 'string' ? failure.code : '';
	return {
		code: sqlState.test(code) ? code : '08006',
		message: typeof failure?.message === 'string' ? failure.message : String(error),
		details: typeof failure?.detail === 'string' ? failure.detail : null
	};
}

export function sqlDeliveryCalls(databaseUrl: string): DeliveryCalls {
	const sql = postgres(databaseUrl, {
		max: maxConnections,
		prepare: false,
		idle_timeout: 300,
		connect_timeout: 10,
		// Postgres's notices (a function's RAISE NOTICE) are not the caller's business.
		onnotice: () => {},
		// As the service role, the role the REST path calls with: the same grants decide.
		connection: { application_name: 'parley-webhooks', role: 'service_role' }
	});
	return {
		async rpc<N extends DeliveryCallName>(
			name: N,
			args: Record<string, unknown>
		): Promise<DeliveryCallResult<N>> {
			const names = Object.keys(args);
			// Named notation, as PostgREST calls functions: the argument names come from this file's
			// callers, never from a request, and are quoted all the same.
			const list = names.map((arg, i) => `"${arg.replaceAll('"', '""')}" => $${i + 1}`).join(', ');
			const statement = statements[name];
			try {
				const rows = await sql.unsafe(
					statement.sql(list),
					names.map((arg) => args[arg] ?? null) as never[]
				);
				const data = statement.rows ? [...rows] : (rows[0]?.result ?? null);
				return { data: data as DeliveryCallResult<N>['data'], error: null };
			} catch (error) {
				return { data: null, error: callError(error) };
			}
		}
	} as DeliveryCalls;
}

/** The SQL calls when the platform gives the function a database address, else none (REST). */
export function sqlDeliveryCallsFrom(
	env: Record<string, string | undefined>
): DeliveryCalls | undefined {
	return env.SUPABASE_DB_URL ? sqlDeliveryCalls(env.SUPABASE_DB_URL) : undefined;
}
