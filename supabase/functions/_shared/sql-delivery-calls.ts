/**
 * The delivery calls straight over SQL, on the database address the platform gives Edge
 * Functions (SUPABASE_DB_URL), with postgres.js as Supabase's own Edge Function guides use it.
 * Each call is one statement: Postgres runs it in a transaction of its own, so it is committed
 * when its answer arrives, as a REST call is. Postgres names each parameter's type from the
 * function's signature, and postgres.js writes each value for it (objects and arrays as JSON for
 * jsonb), as PostgREST hands a request's JSON over. Unnamed statements only: a transaction pooler
 * (Supavisor) in front of the database keeps no prepared statement between transactions.
 *
 * The session runs as the service role, the role REST calls with, so the same grants decide. An
 * address that cannot be used that way (a login that may not become service_role, a pooler that
 * refuses the setting or ignores it) is found by the first answer, said once in the log, and the
 * calls go through REST instead: a wrong setting must not cost a single delivery.
 */
import postgres from 'postgres';
import { databaseUnreachable, type DatabaseCallError } from './database-errors.ts';
import type { DeliveryCallName, DeliveryCallResult, DeliveryCalls } from './delivery-calls.ts';

/** Connections one function instance keeps: deliveries are short, and instances are many. */
const maxConnections = 2;

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

/** The statement that checks who a new set of connections runs as. */
export const sessionRoleCheck = 'select current_user as role';

/** What failed, as the REST path reports it: anything but Postgres's own answer reads as 08006. */
function callError(error: unknown): DatabaseCallError {
	if (error instanceof postgres.PostgresError) {
		return { code: error.code, message: error.message, details: error.detail ?? null };
	}
	return { code: '08006', message: error instanceof Error ? error.message : String(error) };
}

/**
 * The calls over SQL on `databaseUrl`, through `rest` when the address turns out unusable as the
 * service role. A delivery kept as unprocessed because the database was out of reach over SQL is
 * tried through REST too: the reason it could not be stored must survive.
 */
export function sqlDeliveryCalls(
	databaseUrl: string,
	rest: DeliveryCalls,
	log: (line: string) => void = console.error
): DeliveryCalls {
	const sql = postgres(databaseUrl, {
		max: maxConnections,
		prepare: false,
		// Only jsonb and scalars are sent: no array types to look up on each new connection.
		fetch_types: false,
		idle_timeout: 60,
		connect_timeout: 10,
		// Postgres's notices (a function's RAISE NOTICE) are not the caller's business.
		onnotice: () => {},
		connection: { application_name: 'parley-webhooks', role: 'service_role' }
	});

	// Settled by the first answer, never by an outage: unreachable leaves it to the next call.
	let usable: Promise<boolean> | undefined;
	const checked = (): Promise<boolean> => {
		usable ??= sql.unsafe(sessionRoleCheck).then(
			(rows) => {
				const role = String(rows[0]?.role);
				if (role === 'service_role') return true;
				log(
					`SUPABASE_DB_URL connects as ${role}, not service_role; webhook deliveries go through REST.`
				);
				return false;
			},
			(error) => {
				const failure = callError(error);
				if (databaseUnreachable(failure)) {
					usable = undefined;
					return true;
				}
				log(
					`SUPABASE_DB_URL cannot be used as service_role (${failure.code}: ${failure.message}); webhook deliveries go through REST.`
				);
				return false;
			}
		);
		return usable;
	};

	async function call<N extends DeliveryCallName>(
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

	return {
		async rpc(name, args) {
			if (!(await checked())) return rest.rpc(name, args);
			const result = await call(name, args as Record<string, unknown>);
			if (
				result.error &&
				name === 'keep_unprocessed_delivery' &&
				databaseUnreachable(result.error)
			) {
				return rest.rpc(name, args);
			}
			return result;
		}
	};
}

/**
 * The SQL calls when the platform gives the function a database address, made from the REST
 * calls they fall back on; none without an address, and deliveries go through REST.
 */
export function sqlDeliveryCallsFrom(
	env: Record<string, string | undefined>
): ((rest: DeliveryCalls) => DeliveryCalls) | undefined {
	const url = env.SUPABASE_DB_URL;
	return url ? (rest) => sqlDeliveryCalls(url, rest) : undefined;
}
