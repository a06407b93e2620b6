/**
 * What every endpoint of the whatsapp-numbers function works with: the provider adapters, the
 * checked caller, and reading numbers with their (masked) secrets.
 */
import type { PostgrestError } from '@supabase/supabase-js';
import { HttpError, uuidPattern } from '../http.ts';
import { maskSecret } from '../crypto.ts';
import type { DatabaseClient } from '../clients.ts';
import type { Row } from '../database.ts';
import type { ProviderFunctionConfig } from '../config.ts';
import type { TenantManager } from '../callers.ts';
import { twilioWebhookUrl } from '../public-urls.ts';
import type { TwilioAdapter } from '../providers/twilio.ts';
import type { MetaAdapter, MetaAppSubscription, MetaCredentials } from '../providers/meta.ts';
import { numberViewFromRow, type NumberView } from '../contracts.ts';

export type NumberRow = Row<'whatsapp_numbers'>;
export type SecretRow = Row<'whatsapp_number_secrets'>;

/** The function's configuration and the provider adapters (replaceable in tests). */
export interface NumbersContext {
	config: ProviderFunctionConfig;
	twilio: TwilioAdapter;
	meta: MetaAdapter;
}

/** One request to a tenant's numbers, after the caller was checked as its owner or admin. */
export interface NumbersCall extends TenantManager {
	request: Request;
}

/** A route's handlers by HTTP method (GET, POST, PATCH, DELETE); a method without one answers 405. */
export type MethodHandlers = Partial<Record<string, () => Promise<Response>>>;

/**
 * One address under /whatsapp-numbers/{tenantId}: given the segment after the tenant (none for the
 * collection), the route's methods when it serves that address. They are opened with the checked
 * call before the method is looked at, so what they all work on (a number) is loaded first and a
 * missing number answers 404 before a wrong method answers 405.
 */
export interface NumbersRoute {
	serve(
		segment: string | undefined
	): ((call: NumbersCall) => Promise<MethodHandlers> | MethodHandlers) | undefined;
}

export const noSuchNumber = () =>
	new HttpError(404, 'not_found', 'There is no such number in this workspace.');

/**
 * A refused write or read of a number as the HTTP error the number form shows (the database already
 * speaks in sentences): a number connected twice, the agent rule, a missing agent, a role too low.
 */
export function numberWriteRefusal(error: PostgrestError): HttpError | Error {
	switch (error.code) {
		case '23505':
			return new HttpError(409, 'number_already_connected', error.message);
		case 'P0001':
			return new HttpError(422, 'agent_rule_violation', error.message);
		case '22023':
			return new HttpError(400, 'invalid_request', error.message);
		case '23503':
			return new HttpError(
				400,
				'agent_not_found',
				'That AI agent does not exist in this workspace. Choose another one.'
			);
		case '42501':
			return new HttpError(403, 'forbidden', 'Only owners and admins can manage WhatsApp numbers.');
		default:
			return new Error(`database error ${error.code}: ${error.message}`);
	}
}

/** A number as its owners and admins see it: masked Meta secrets and the webhook settings. */
export function numberView(
	config: ProviderFunctionConfig,
	row: NumberRow,
	secret: SecretRow | undefined
): NumberView {
	return numberViewFromRow(row, {
		credentials:
			row.provider === 'meta'
				? {
						accessToken: maskSecret(secret?.access_token_last4),
						appSecret: maskSecret(secret?.app_secret_last4)
					}
				: null,
		webhook: {
			callbackUrl:
				row.provider === 'meta'
					? `${config.publicFunctionsUrl}/meta-webhook`
					: twilioWebhookUrl(config),
			verifyToken: row.provider === 'meta' ? (secret?.verify_token ?? null) : null
		}
	});
}

/** The stored secrets of these numbers (service role), by number id. */
export async function secretsOf(
	service: DatabaseClient,
	ids: string[]
): Promise<Map<string, SecretRow>> {
	if (ids.length === 0) return new Map();
	const { data, error } = await service
		.from('whatsapp_number_secrets')
		.select('*')
		.in('number_id', ids);
	if (error) throw new Error(`loading number secrets failed: ${error.message}`);
	return new Map(data.map((secret) => [secret.number_id, secret]));
}

/** A number of the tenant the caller may see (RLS), or 404. */
export async function loadNumber(
	caller: DatabaseClient,
	tenantId: string,
	numberId: string
): Promise<NumberRow> {
	if (!uuidPattern.test(numberId)) throw noSuchNumber();
	const { data, error } = await caller
		.from('whatsapp_numbers')
		.select('*')
		.eq('tenant_id', tenantId)
		.eq('id', numberId)
		.maybeSingle();
	if (error) throw numberWriteRefusal(error);
	if (!data) throw noSuchNumber();
	return data;
}

/** The number as read again after a change, with its secrets. */
export async function freshView(
	{ config }: NumbersContext,
	call: NumbersCall,
	numberId: string
): Promise<NumberView> {
	const row = await loadNumber(call.caller, call.tenantId, numberId);
	return numberView(config, row, (await secretsOf(call.service, [row.id])).get(row.id));
}

/** Subscribes the Meta app to the number's business account when missing; the card says so. */
export async function subscribeApp(
	{ meta }: NumbersContext,
	service: DatabaseClient,
	numberId: string,
	credentials: MetaCredentials
): Promise<MetaAppSubscription> {
	const subscription = await meta.ensureAppSubscribed(credentials);
	if (subscription.sentence) {
		const { error } = await service
			.from('whatsapp_numbers')
			.update({
				provider_notice: subscription.sentence.slice(0, 500),
				provider_notice_at: new Date().toISOString()
			})
			.eq('id', numberId);
		if (error) console.error('recording the app subscription notice failed', error.message);
	}
	return subscription;
}
