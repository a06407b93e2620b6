/**
 * The `whatsapp-numbers` function: connecting and managing a tenant's WhatsApp numbers (owners and
 * admins only; every member reads numbers directly from the `whatsapp_numbers` table, which holds
 * no secrets, and gets live changes on `tenant:{tenantId}`, event `whatsapp_numbers`).
 *
 *   GET    /whatsapp-numbers/{tenantId}                 → 200 { numbers: NumberView[] }
 *   GET    /whatsapp-numbers/{tenantId}/twilio-numbers  → 200 { numbers: TwilioNumberOption[] }
 *          the Twilio account's WhatsApp senders, live through the SDK (409 twilio_not_connected)
 *   POST   /whatsapp-numbers/{tenantId}                 → 201 { number: NumberView,
 *                                                                  appSubscription? (Meta) }
 *          Twilio: { provider: 'twilio', displayName, address: 'whatsapp:+E164', assignedAgentId?, active? }
 *                  — the address must be a sender or incoming number of the tenant's Twilio account
 *          Meta:   { provider: 'meta', displayName, phoneNumberId, businessAccountId?, accessToken,
 *                    appSecret, assignedAgentId?, active? } — checked with the Graph API first;
 *                  with a business account, the app is subscribed to it when it is not (the
 *                  number's providerNotice says so, or what to do when Meta refused)
 *   GET    /whatsapp-numbers/{tenantId}/{numberId}      → 200 { number }
 *   PATCH  /whatsapp-numbers/{tenantId}/{numberId}      → 200 { number }
 *          { displayName?, assignedAgentId? (null unassigns), active?, and for Meta numbers
 *            accessToken?, appSecret? (blank or absent = unchanged), businessAccountId? ('' or null clears) }
 *   DELETE /whatsapp-numbers/{tenantId}/{numberId}      → 200 { deleted: true, id }
 *
 * Errors: { code, message, details? } with 400 invalid_request | invalid_address | agent_not_found |
 * twilio_number_not_owned | twilio_credentials_rejected | twilio_error | meta_token_invalid | meta_not_found |
 * meta_permission_denied | meta_business_account_mismatch | meta_error, 401 not_signed_in,
 * 403 forbidden, 404 not_found, 409 twilio_not_connected | twilio_integration_failed |
 * number_already_connected | stored_secret_unreadable, 422 agent_rule_violation,
 * 500 server_misconfigured (no encryption key), 502 provider_unavailable | provider_rate_limited.
 */
import { z } from 'zod';
import type { PostgrestError } from '@supabase/supabase-js';
import type { DatabaseClient } from './clients.ts';
import type { Row, Update } from './database.ts';
import {
	HttpError,
	uuidPattern,
	jsonResponse,
	methodNotAllowed,
	parseWith,
	readJson,
	routeSegments,
	withCors,
	type Handler
} from './http.ts';
import { encryptSecret, generateVerifyToken, lastFour, maskSecret } from './crypto.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { requireTenantManager } from './callers.ts';
import { encryptionKeyOf, openStoredSecret } from './stored-secrets.ts';
import { invalidWhatsAppAddressMessage, parseWhatsAppAddress } from './whatsapp-address.ts';
import { twilioWebhookUrl } from './public-urls.ts';
import {
	markTwilioIntegrationFailed,
	recordTwilioNumbersWorking,
	twilioCredentialsOf
} from './twilio-integration.ts';
import {
	createTwilioAdapter,
	twilioSandboxAddress,
	type TwilioAdapter,
	type TwilioCredentials
} from './providers/twilio.ts';
import {
	createMetaAdapter,
	type MetaAdapter,
	type MetaAppSubscription,
	type MetaCredentials
} from './providers/meta.ts';
import type { ProviderNumber } from './providers/provider.ts';
import { numberViewFromRow, type NumberView, type TwilioNumberOption } from './contracts.ts';

type NumberRow = Row<'whatsapp_numbers'>;
type SecretRow = Row<'whatsapp_number_secrets'>;

const displayName = z
	.string({ error: 'Enter a display name for this number.' })
	.trim()
	.min(1, 'Enter a display name for this number.')
	.max(80, 'A display name can be at most 80 characters long.');
const assignedAgentId = z
	.string()
	.regex(uuidPattern, 'Choose the AI agent from the list.')
	.nullish();
const active = z.boolean({ error: 'Active is either true or false.' });
const metaId = (label: string) =>
	z
		.string({ error: `Enter the ${label} from Meta's API Setup page.` })
		.trim()
		.regex(/^\d{1,32}$/, `The ${label} is a number, digits only, from Meta's API Setup page.`);
const optionalBusinessAccountId = z
	.union([z.literal(''), metaId('WhatsApp Business Account ID')])
	.nullish();

const connectBody = z.discriminatedUnion(
	'provider',
	[
		z.object({
			provider: z.literal('twilio'),
			displayName,
			address: z.string({ error: 'Pick a Twilio number or enter one like whatsapp:+14155238886.' }),
			assignedAgentId,
			active: active.default(false)
		}),
		z.object({
			provider: z.literal('meta'),
			displayName,
			phoneNumberId: metaId('Phone Number ID'),
			businessAccountId: optionalBusinessAccountId,
			accessToken: z
				.string({ error: 'Enter the access token of your System User.' })
				.trim()
				.min(1, 'Enter the access token of your System User.'),
			appSecret: z
				.string({ error: "Enter the App Secret from your Meta app's Basic settings." })
				.trim()
				.min(1, "Enter the App Secret from your Meta app's Basic settings."),
			assignedAgentId,
			active: active.default(false)
		})
	],
	{ error: 'Choose the provider of this number: twilio or meta.' }
);

const updateBody = z.object({
	displayName: displayName.optional(),
	assignedAgentId,
	active: active.optional(),
	accessToken: z.string().trim().optional(),
	appSecret: z.string().trim().optional(),
	businessAccountId: optionalBusinessAccountId
});

/**
 * A refused write or read of a number as the HTTP error the number form shows (the database already
 * speaks in sentences): a number connected twice, the agent rule, a missing agent, a role too low.
 */
function numberWriteRefusal(error: PostgrestError): HttpError | Error {
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

/** Builds the handler; adapters can be replaced in tests of this module. */
export function createWhatsAppNumbersHandler(
	config: ProviderFunctionConfig,
	adapters: {
		twilio?: TwilioAdapter;
		meta?: MetaAdapter;
	} = {}
): Handler {
	const twilio = adapters.twilio ?? createTwilioAdapter({ apiUrl: config.twilioApiUrl });
	const meta = adapters.meta ?? createMetaAdapter({ graphUrl: config.metaGraphUrl });

	const view = (row: NumberRow, secret: SecretRow | undefined): NumberView =>
		numberViewFromRow(row, {
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

	/** Subscribes the Meta app to the number's business account when missing; the card says so. */
	async function subscribeApp(
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

	async function secretsOf(
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

	async function loadNumber(
		caller: DatabaseClient,
		tenantId: string,
		numberId: string
	): Promise<NumberRow> {
		if (!uuidPattern.test(numberId)) {
			throw new HttpError(404, 'not_found', 'There is no such number in this workspace.');
		}
		const { data, error } = await caller
			.from('whatsapp_numbers')
			.select('*')
			.eq('tenant_id', tenantId)
			.eq('id', numberId)
			.maybeSingle();
		if (error) throw numberWriteRefusal(error);
		if (!data) throw new HttpError(404, 'not_found', 'There is no such number in this workspace.');
		return data;
	}

	async function viewOf(service: DatabaseClient, row: NumberRow): Promise<NumberView> {
		return view(row, (await secretsOf(service, [row.id])).get(row.id));
	}

	async function listTwilioNumbers(
		caller: DatabaseClient,
		service: DatabaseClient,
		tenantId: string
	): Promise<TwilioNumberOption[]> {
		const stored = await twilioCredentialsOf(service, tenantId, config);
		let numbers: ProviderNumber[];
		try {
			numbers = await twilio.listNumbers(stored.credentials);
		} catch (error) {
			if (error instanceof HttpError && error.code === 'twilio_credentials_rejected') {
				await markTwilioIntegrationFailed(service, stored.integrationId, error.message);
			}
			throw error;
		}
		if (stored.status === 'failed') {
			await service
				.from('integrations')
				.update({ status: 'connected', last_error: null, verified_at: new Date().toISOString() })
				.eq('id', stored.integrationId);
			// Twilio took the stored token again: the numbers flagged by its rejection are healthy.
			await recordTwilioNumbersWorking(service, stored.integrationId);
		}
		const { data, error } = await caller
			.from('whatsapp_numbers')
			.select('id, address')
			.eq('tenant_id', tenantId)
			.eq('provider', 'twilio');
		if (error) throw numberWriteRefusal(error);
		const connected = new Map(data.map((n) => [n.address, n.id]));
		return numbers.map((number) => ({
			...number,
			connectedNumberId: connected.get(number.address) ?? null
		}));
	}

	/**
	 * Refuses an address the tenant's Twilio account does not own, so nobody can take (and block)
	 * another account's number. Twilio's shared Sandbox number is the one exception: no account
	 * owns it and the database keeps it to one workspace per Twilio account.
	 */
	async function requireOwnedTwilioAddress(
		service: DatabaseClient,
		stored: { credentials: TwilioCredentials; integrationId: string },
		address: string
	): Promise<void> {
		if (address === twilioSandboxAddress) return;
		let owned: boolean;
		try {
			owned = await twilio.ownsAddress(stored.credentials, address);
		} catch (error) {
			if (error instanceof HttpError && error.code === 'twilio_credentials_rejected') {
				await markTwilioIntegrationFailed(service, stored.integrationId, error.message);
			}
			throw error;
		}
		if (owned) return;
		const message = `${address} is not a WhatsApp sender or phone number of the Twilio account ${stored.credentials.accountSid}. Add it to that account in Twilio first, or connect the Twilio account that owns it under Integrations.`;
		throw new HttpError(400, 'twilio_number_not_owned', message, {
			issues: [{ path: 'address', message }]
		});
	}

	return withCors(async (request) => {
		const [tenantId, target, ...rest] = routeSegments(request, 'whatsapp-numbers');
		if (rest.length > 0) throw new HttpError(404, 'not_found', 'There is nothing at this address.');
		const { caller, service, userId } = await requireTenantManager(request, tenantId, config);

		if (!target) {
			if (request.method === 'GET') {
				const { data, error } = await caller
					.from('whatsapp_numbers')
					.select('*')
					.eq('tenant_id', tenantId)
					.order('created_at');
				if (error) throw numberWriteRefusal(error);
				const rows = data;
				const secrets = await secretsOf(
					service,
					rows.map((row) => row.id)
				);
				return jsonResponse({ numbers: rows.map((row) => view(row, secrets.get(row.id))) });
			}
			if (request.method !== 'POST') throw methodNotAllowed(request);

			const body = parseWith(connectBody, await readJson(request));
			let created;
			if (body.provider === 'twilio') {
				const address = parseWhatsAppAddress(body.address);
				if (!address) {
					throw new HttpError(400, 'invalid_address', invalidWhatsAppAddressMessage(body.address), {
						issues: [{ path: 'address', message: invalidWhatsAppAddressMessage(body.address) }]
					});
				}
				const stored = await twilioCredentialsOf(service, tenantId, config);
				if (stored.status === 'failed') {
					throw new HttpError(
						409,
						'twilio_integration_failed',
						'Twilio refused the saved credentials the last time Parley used them. Reconnect Twilio under Integrations, then connect the number.'
					);
				}
				await requireOwnedTwilioAddress(service, stored, address);
				created = await service.rpc('connect_whatsapp_number', {
					tenant_id: tenantId,
					provider: 'twilio',
					display_name: body.displayName,
					address,
					integration_id: stored.integrationId,
					assigned_agent_id: body.assignedAgentId ?? null,
					active: body.active,
					connected_by: userId
				});
			} else {
				const businessAccountId = body.businessAccountId || null;
				const verified = await meta.verifyCredentials({
					phoneNumberId: body.phoneNumberId,
					accessToken: body.accessToken,
					businessAccountId
				});
				const key = await encryptionKeyOf(config);
				created = await service.rpc('connect_whatsapp_number', {
					tenant_id: tenantId,
					provider: 'meta',
					display_name: body.displayName,
					address: verified.phoneNumber ? `whatsapp:${verified.phoneNumber}` : null,
					phone_number_id: body.phoneNumberId,
					business_account_id: businessAccountId,
					assigned_agent_id: body.assignedAgentId ?? null,
					active: body.active,
					connected_by: userId,
					access_token_ciphertext: await encryptSecret(body.accessToken, key),
					access_token_last4: lastFour(body.accessToken),
					app_secret_ciphertext: await encryptSecret(body.appSecret, key),
					app_secret_last4: lastFour(body.appSecret),
					verify_token: generateVerifyToken()
				});
			}
			if (created.error) throw numberWriteRefusal(created.error);
			const row = created.data;
			// Without the app subscribed to the business account Meta sends no webhooks for the
			// number; the number is connected either way and its card says what happened.
			const appSubscription =
				body.provider === 'meta' && row.business_account_id
					? await subscribeApp(service, row.id, {
							phoneNumberId: body.phoneNumberId,
							accessToken: body.accessToken,
							businessAccountId: row.business_account_id
						})
					: undefined;
			return jsonResponse(
				{
					number: await viewOf(service, await loadNumber(caller, tenantId, row.id)),
					...(appSubscription ? { appSubscription } : {})
				},
				201
			);
		}

		if (target === 'twilio-numbers') {
			if (request.method !== 'GET') throw methodNotAllowed(request);
			return jsonResponse({ numbers: await listTwilioNumbers(caller, service, tenantId) });
		}

		const number = await loadNumber(caller, tenantId, target);

		if (request.method === 'GET') return jsonResponse({ number: await viewOf(service, number) });

		if (request.method === 'DELETE') {
			const { data, error } = await caller
				.from('whatsapp_numbers')
				.delete()
				.eq('id', number.id)
				.select('id');
			if (error) throw numberWriteRefusal(error);
			if (!data?.length)
				throw new HttpError(404, 'not_found', 'There is no such number in this workspace.');
			return jsonResponse({ deleted: true, id: number.id });
		}

		if (request.method !== 'PATCH') throw methodNotAllowed(request);
		const body = parseWith(updateBody, await readJson(request));
		const newAccessToken = body.accessToken || undefined;
		const newAppSecret = body.appSecret || undefined;
		const businessAccountChanged =
			body.businessAccountId !== undefined &&
			(body.businessAccountId || null) !== number.business_account_id;
		if (
			number.provider === 'twilio' &&
			(newAccessToken || newAppSecret || body.businessAccountId)
		) {
			throw new HttpError(
				400,
				'invalid_request',
				'Only Meta numbers have an access token, an app secret and a business account.'
			);
		}

		let secretChanges: Partial<SecretRow> = {};
		let checkedAccessToken: string | undefined;
		if (number.provider === 'meta' && (newAccessToken || newAppSecret || businessAccountChanged)) {
			const key = await encryptionKeyOf(config);
			const stored = (await secretsOf(service, [number.id])).get(number.id);
			if (newAccessToken || businessAccountChanged) {
				const accessToken =
					newAccessToken ??
					(stored
						? await openStoredSecret(stored.access_token_ciphertext, key, 'Meta access token')
						: '');
				await meta.verifyCredentials({
					phoneNumberId: number.phone_number_id ?? '',
					accessToken,
					businessAccountId: businessAccountChanged ? body.businessAccountId || null : null
				});
				checkedAccessToken = accessToken;
			}
			if (newAccessToken) {
				secretChanges = {
					access_token_ciphertext: await encryptSecret(newAccessToken, key),
					access_token_last4: lastFour(newAccessToken)
				};
			}
			if (newAppSecret) {
				secretChanges = {
					...secretChanges,
					app_secret_ciphertext: await encryptSecret(newAppSecret, key),
					app_secret_last4: lastFour(newAppSecret)
				};
			}
		}

		// The caller's own JWT for what owners and admins may edit, so RLS and the agent rule apply.
		const fields: Update<'whatsapp_numbers'> = {};
		if (body.displayName !== undefined) fields.display_name = body.displayName;
		if (body.assignedAgentId !== undefined) fields.assigned_agent_id = body.assignedAgentId;
		if (body.active !== undefined) fields.active = body.active;
		if (Object.keys(fields).length > 0) {
			const { data, error } = await caller
				.from('whatsapp_numbers')
				.update(fields)
				.eq('id', number.id)
				.select('id');
			if (error) throw numberWriteRefusal(error);
			if (!data?.length)
				throw new HttpError(404, 'not_found', 'There is no such number in this workspace.');
		}
		if (businessAccountChanged) {
			const { error } = await service
				.from('whatsapp_numbers')
				.update({ business_account_id: body.businessAccountId || null })
				.eq('id', number.id);
			if (error) throw numberWriteRefusal(error);
		}
		if (Object.keys(secretChanges).length > 0) {
			const { error } = await service
				.from('whatsapp_number_secrets')
				.update({ ...secretChanges, updated_at: new Date().toISOString() })
				.eq('number_id', number.id);
			if (error) throw numberWriteRefusal(error);
		}
		if (number.provider === 'meta' && (newAccessToken || businessAccountChanged)) {
			// Meta just accepted the token: the number is healthy again until the next rejection.
			const { error } = await service.rpc('record_credentials_working', {
				number_ids: [number.id]
			});
			if (error) throw numberWriteRefusal(error);
		}
		let appSubscription: MetaAppSubscription | undefined;
		if (businessAccountChanged && body.businessAccountId && checkedAccessToken) {
			appSubscription = await subscribeApp(service, number.id, {
				phoneNumberId: number.phone_number_id ?? '',
				accessToken: checkedAccessToken,
				businessAccountId: body.businessAccountId
			});
		}
		return jsonResponse({
			number: await viewOf(service, await loadNumber(caller, tenantId, number.id)),
			...(appSubscription ? { appSubscription } : {})
		});
	});
}
