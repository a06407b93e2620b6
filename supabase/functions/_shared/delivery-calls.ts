/**
 * The database calls a webhook delivery makes: reading a routing's credentials, storing the
 * delivery, and keeping one that could not be stored. Through the REST API (supabase-js, the
 * service role) by default; straight over SQL when the platform gives the function a database
 * address (SUPABASE_DB_URL, see sql-delivery-calls.ts), so a warm delivery is one statement in a
 * transaction of its own instead of an HTTP request that opens, sets up and commits one.
 */
import type { DatabaseClient } from './clients.ts';
import type { Database } from './database.ts';
import type { DatabaseCallError } from './database-errors.ts';

type Functions = Database['public']['Functions'];

/** The SQL functions of the delivery path. */
export type DeliveryCallName =
	'ingest_whatsapp_delivery' | 'keep_unprocessed_delivery' | 'webhook_credentials';

/** A call's answer, shaped as supabase-js shapes it. */
export interface DeliveryCallResult<N extends DeliveryCallName> {
	data: Functions[N]['Returns'] | null;
	error: DatabaseCallError | null;
}

export interface DeliveryCalls {
	rpc<N extends DeliveryCallName>(
		name: N,
		args: Functions[N]['Args']
	): PromiseLike<DeliveryCallResult<N>>;
}

/** The calls through the REST API, as the service role. */
export function restDeliveryCalls(service: DatabaseClient): DeliveryCalls {
	return {
		rpc: (name, args) =>
			// supabase-js types each name's answer on its own; the union of the three is the same shape.
			service.rpc(name, args as never) as unknown as PromiseLike<DeliveryCallResult<typeof name>>
	};
}
