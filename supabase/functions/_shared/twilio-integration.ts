/**
 * The `twilio-integration` function: a tenant's Twilio account (owners and admins only).
 *
 *   GET    /twilio-integration/{tenantId}  → 200 { integration: TwilioIntegrationView | null }
 *   POST   /twilio-integration/{tenantId}  { accountSid, authToken? }
 *          → 200 { integration }; the credentials are checked with Twilio first and saved only if
 *          accepted. authToken may be blank/absent to re-check the stored token of the same account.
 *          Another Account SID is refused (409 integration_in_use) while Twilio numbers exist.
 *   DELETE /twilio-integration/{tenantId}  → 200 { disconnected: true }; 409 while Twilio numbers exist.
 *
 * Errors: { code, message } with 400 invalid_request | twilio_credentials_rejected |
 * twilio_account_inactive | twilio_error, 401 not_signed_in, 403 forbidden, 404 not_found,
 * 409 integration_in_use | stored_secret_unreadable, 500 server_misconfigured (no encryption key),
 * 502 provider_unavailable | provider_rate_limited.
 */
import { z } from 'zod';
import {
	HttpError,
	jsonResponse,
	methodNotAllowed,
	parseWith,
	readJson,
	routeSegments,
	withCors,
	type Handler
} from './http.ts';
import { encryptSecret, lastFour, maskSecret } from './crypto.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { requireTenantManager } from './callers.ts';
import { encryptionKeyOf, openStoredSecret } from './stored-secrets.ts';
import { createTwilioAdapter, type TwilioCredentials } from './providers/twilio.ts';
import type { WhatsAppProviderAdapter } from './providers/provider.ts';
import type { DatabaseClient } from './clients.ts';
import type { Row } from './database.ts';
import type { TwilioIntegrationView } from './contracts.ts';

export type { TwilioIntegrationView };

type IntegrationRow = Row<'integrations'>;

const connectBody = z.object({
	accountSid: z
		.string({ error: 'Enter the Account SID from the Twilio Console.' })
		.trim()
		.regex(
			/^AC[0-9a-fA-F]{32}$/,
			'The Account SID starts with AC followed by 32 letters and digits. Copy it from the Twilio Console.'
		),
	authToken: z
		.string({ error: 'Enter the Auth Token from the Twilio Console.' })
		.trim()
		.max(200, 'That Auth Token is too long. Copy it again from the Twilio Console.')
		.optional()
});

/** Reads the tenant's Twilio integration and its secret (service role). */
export async function loadTwilioIntegration(
	service: DatabaseClient,
	tenantId: string
): Promise<{ row: IntegrationRow; ciphertext: string; last4: string } | null> {
	const { data, error } = await service
		.from('integrations')
		.select('*, integration_secrets(auth_token_ciphertext, auth_token_last4)')
		.eq('tenant_id', tenantId)
		.eq('provider', 'twilio')
		.maybeSingle();
	if (error) throw new Error(`loading the Twilio integration failed: ${error.message}`);
	if (!data) return null;
	const { integration_secrets: secret, ...row } = data;
	if (!secret) return null;
	return { row, ciphertext: secret.auth_token_ciphertext, last4: secret.auth_token_last4 };
}

/** Decrypted Twilio credentials of a tenant, or a 409 that says to connect Twilio first. */
export async function twilioCredentialsOf(
	service: DatabaseClient,
	tenantId: string,
	config: ProviderFunctionConfig
): Promise<{ credentials: TwilioCredentials; integrationId: string; status: string }> {
	const stored = await loadTwilioIntegration(service, tenantId);
	if (!stored) {
		throw new HttpError(
			409,
			'twilio_not_connected',
			'Twilio is not connected to this workspace. Connect it under Integrations first.'
		);
	}
	const key = await encryptionKeyOf(config);
	return {
		credentials: {
			accountSid: stored.row.account_sid,
			authToken: await openStoredSecret(stored.ciphertext, key, 'Twilio Auth Token')
		},
		integrationId: stored.row.id,
		status: stored.row.status
	};
}

/** Marks the integration failed after Twilio refused its stored credentials, so the UI can say so. */
export async function markTwilioIntegrationFailed(
	service: DatabaseClient,
	integrationId: string,
	message: string
): Promise<void> {
	await service
		.from('integrations')
		.update({ status: 'failed', last_error: message, updated_at: new Date().toISOString() })
		.eq('id', integrationId);
}

/**
 * A workspace's Twilio numbers belong to the account that was checked when they were connected;
 * under another account their webhooks and sends would fail, so the account cannot change under them.
 */
async function refuseAccountChangeWithNumbers(
	service: DatabaseClient,
	tenantId: string,
	accountSid: string
): Promise<void> {
	const { count, error } = await service
		.from('whatsapp_numbers')
		.select('id', { count: 'exact', head: true })
		.eq('tenant_id', tenantId)
		.eq('provider', 'twilio');
	if (error) throw new Error(`counting Twilio numbers failed: ${error.message}`);
	if (!count) return;
	throw new HttpError(
		409,
		'integration_in_use',
		`${count === 1 ? '1 WhatsApp number' : `${count} WhatsApp numbers`} of the Twilio account ${accountSid} ${count === 1 ? 'is' : 'are'} connected here. Delete ${count === 1 ? 'it' : 'them'} before connecting another Twilio account, or reconnect ${accountSid}.`
	);
}

/** Twilio just accepted the integration's credentials: its numbers that needed attention are healthy. */
export async function recordTwilioNumbersWorking(
	service: DatabaseClient,
	integrationId: string
): Promise<void> {
	const { data, error } = await service
		.from('whatsapp_numbers')
		.select('id')
		.eq('integration_id', integrationId);
	if (error) throw new Error(`loading the Twilio numbers failed: ${error.message}`);
	const numberIds = data.map((number) => number.id);
	if (numberIds.length === 0) return;
	const healthy = await service.rpc('record_credentials_working', { number_ids: numberIds });
	if (healthy.error) {
		throw new Error(`recording the Twilio numbers as working failed: ${healthy.error.message}`);
	}
}

function integrationView(row: IntegrationRow, last4: string | null): TwilioIntegrationView {
	return {
		id: row.id,
		tenantId: row.tenant_id,
		provider: 'twilio',
		accountSid: row.account_sid,
		accountName: row.account_name,
		status: row.status,
		lastError: row.last_error,
		authToken: maskSecret(last4),
		verifiedAt: row.verified_at,
		connectedAt: row.created_at,
		updatedAt: row.updated_at
	};
}

/** Builds the handler; `twilio` can be replaced in tests of this module. */
export function createTwilioIntegrationHandler(
	config: ProviderFunctionConfig,
	twilio: WhatsAppProviderAdapter<TwilioCredentials> = createTwilioAdapter({
		apiUrl: config.twilioApiUrl
	})
): Handler {
	return withCors(async (request) => {
		const [tenantId, ...rest] = routeSegments(request, 'twilio-integration');
		if (rest.length > 0) throw new HttpError(404, 'not_found', 'There is nothing at this address.');
		const { service, userId } = await requireTenantManager(request, tenantId, config);

		if (request.method === 'GET') {
			const stored = await loadTwilioIntegration(service, tenantId);
			return jsonResponse({
				integration: stored ? integrationView(stored.row, stored.last4) : null
			});
		}

		if (request.method === 'POST') {
			const body = parseWith(connectBody, await readJson(request));
			const key = await encryptionKeyOf(config);
			const stored = await loadTwilioIntegration(service, tenantId);
			if (stored && stored.row.account_sid !== body.accountSid) {
				await refuseAccountChangeWithNumbers(service, tenantId, stored.row.account_sid);
			}
			let authToken = body.authToken ?? '';
			if (!authToken) {
				if (!stored || stored.row.account_sid !== body.accountSid) {
					throw new HttpError(
						400,
						'invalid_request',
						'Enter the Auth Token from the Twilio Console.'
					);
				}
				authToken = await openStoredSecret(stored.ciphertext, key, 'Twilio Auth Token');
			}
			const verified = await twilio.verifyCredentials({ accountSid: body.accountSid, authToken });
			const { data, error } = await service.rpc('save_twilio_integration', {
				tenant_id: tenantId,
				account_sid: body.accountSid,
				account_name: verified.accountName || null,
				auth_token_ciphertext: await encryptSecret(authToken, key),
				auth_token_last4: lastFour(authToken),
				connected_by: userId
			});
			if (error) throw new Error(`saving the Twilio integration failed: ${error.message}`);
			const saved = data;
			await recordTwilioNumbersWorking(service, saved.id);
			return jsonResponse({ integration: integrationView(saved, lastFour(authToken)) });
		}

		if (request.method === 'DELETE') {
			const { count, error: countError } = await service
				.from('whatsapp_numbers')
				.select('id', { count: 'exact', head: true })
				.eq('tenant_id', tenantId)
				.eq('provider', 'twilio');
			if (countError) throw new Error(`counting Twilio numbers failed: ${countError.message}`);
			if (count) {
				throw new HttpError(
					409,
					'integration_in_use',
					`Twilio cannot be disconnected while ${count === 1 ? '1 WhatsApp number uses' : `${count} WhatsApp numbers use`} it. Delete those numbers first.`
				);
			}
			const { error } = await service
				.from('integrations')
				.delete()
				.eq('tenant_id', tenantId)
				.eq('provider', 'twilio');
			if (error) throw new Error(`disconnecting Twilio failed: ${error.message}`);
			return jsonResponse({ disconnected: true });
		}

		throw methodNotAllowed(request);
	});
}
