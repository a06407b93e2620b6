/**
 * GET  /whatsapp-numbers/{tenantId}: the tenant's numbers.
 * POST /whatsapp-numbers/{tenantId}: connects a Twilio number (one the tenant's Twilio account
 * owns) or a Meta number (checked with the Graph API first, its secrets encrypted).
 */
import { HttpError, jsonResponse, parseWith, readJson } from '../http.ts';
import { encryptSecret, generateVerifyToken, lastFour } from '../crypto.ts';
import { encryptionKeyOf } from '../stored-secrets.ts';
import { markTwilioIntegrationFailed, twilioCredentialsOf } from '../twilio-integration.ts';
import { twilioSandboxAddress, type TwilioCredentials } from '../providers/twilio.ts';
import { connectBody } from './fields.ts';
import {
	freshView,
	numberView,
	numberWriteRefusal,
	secretsOf,
	subscribeApp,
	type NumbersCall,
	type NumbersContext,
	type NumbersRoute
} from './context.ts';

export function collectionRoute(context: NumbersContext): NumbersRoute {
	return {
		serve: (segment) =>
			segment === undefined
				? (call) => ({
						GET: () => listNumbers(context, call),
						POST: () => connectNumber(context, call)
					})
				: undefined
	};
}

async function listNumbers({ config }: NumbersContext, call: NumbersCall): Promise<Response> {
	const { data: rows, error } = await call.caller
		.from('whatsapp_numbers')
		.select('*')
		.eq('tenant_id', call.tenantId)
		.order('created_at');
	if (error) throw numberWriteRefusal(error);
	const secrets = await secretsOf(
		call.service,
		rows.map((row) => row.id)
	);
	return jsonResponse({ numbers: rows.map((row) => numberView(config, row, secrets.get(row.id))) });
}

/**
 * Refuses an address the tenant's Twilio account does not own, so nobody can take (and block)
 * another account's number. Twilio's shared Sandbox number is the one exception: no account
 * owns it and the database keeps it to one workspace per Twilio account.
 */
async function requireOwnedTwilioAddress(
	{ twilio }: NumbersContext,
	call: NumbersCall,
	stored: { credentials: TwilioCredentials; integrationId: string },
	address: string
): Promise<void> {
	if (address === twilioSandboxAddress) return;
	let owned: boolean;
	try {
		owned = await twilio.ownsAddress(stored.credentials, address);
	} catch (error) {
		if (error instanceof HttpError && error.code === 'twilio_credentials_rejected') {
			await markTwilioIntegrationFailed(call.service, stored.integrationId, error.message);
		}
		throw error;
	}
	if (owned) return;
	const message = `${address} is not a WhatsApp sender or phone number of the Twilio account ${stored.credentials.accountSid}. Add it to that account in Twilio first, or connect the Twilio account that owns it under Integrations.`;
	throw new HttpError(400, 'twilio_number_not_owned', message, {
		issues: [{ path: 'address', message }]
	});
}

async function connectNumber(context: NumbersContext, call: NumbersCall): Promise<Response> {
	const { config, meta } = context;
	const { service, tenantId, userId } = call;
	const body = parseWith(connectBody, await readJson(call.request));
	let created;
	if (body.provider === 'twilio') {
		// The schema already wrote it as whatsapp:+E164.
		const address = body.address;
		const stored = await twilioCredentialsOf(service, tenantId, config);
		if (stored.status === 'failed') {
			throw new HttpError(
				409,
				'twilio_integration_failed',
				'Twilio refused the saved credentials the last time Parley used them. Reconnect Twilio under Integrations, then connect the number.'
			);
		}
		await requireOwnedTwilioAddress(context, call, stored, address);
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
			? await subscribeApp(context, service, row.id, {
					phoneNumberId: body.phoneNumberId,
					accessToken: body.accessToken,
					businessAccountId: row.business_account_id
				})
			: undefined;
	return jsonResponse(
		{
			number: await freshView(context, call, row.id),
			...(appSubscription ? { appSubscription } : {})
		},
		201
	);
}
