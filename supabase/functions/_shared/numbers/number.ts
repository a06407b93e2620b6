/**
 * GET    /whatsapp-numbers/{tenantId}/{numberId}: one number.
 * PATCH  /whatsapp-numbers/{tenantId}/{numberId}: edits it; a Meta number's new token or business
 *        account is checked with the Graph API first.
 * DELETE /whatsapp-numbers/{tenantId}/{numberId}: disconnects it.
 */
import { HttpError, jsonResponse, parseWith, readJson } from '../http.ts';
import { encryptSecret, lastFour } from '../crypto.ts';
import type { Update } from '../database.ts';
import { encryptionKeyOf, openStoredSecret } from '../stored-secrets.ts';
import type { MetaAppSubscription } from '../providers/meta.ts';
import { updateBody } from './fields.ts';
import {
	freshView,
	loadNumber,
	noSuchNumber,
	numberView,
	numberWriteRefusal,
	secretsOf,
	subscribeApp,
	type NumberRow,
	type NumbersCall,
	type NumbersContext,
	type NumbersRoute
} from './context.ts';

/** Every segment the routes before it do not take is a number id. */
export function numberRoute(context: NumbersContext): NumbersRoute {
	return {
		serve: (numberId) =>
			numberId === undefined
				? undefined
				: async (call) => {
						const number = await loadNumber(call.caller, call.tenantId, numberId);
						return {
							GET: async () => {
								const secret = (await secretsOf(call.service, [number.id])).get(number.id);
								return jsonResponse({ number: numberView(context.config, number, secret) });
							},
							PATCH: () => updateNumber(context, call, number),
							DELETE: () => deleteNumber(call, number)
						};
					}
	};
}

async function deleteNumber({ caller }: NumbersCall, number: NumberRow): Promise<Response> {
	const { data, error } = await caller
		.from('whatsapp_numbers')
		.delete()
		.eq('id', number.id)
		.select('id');
	if (error) throw numberWriteRefusal(error);
	if (!data.length) throw noSuchNumber();
	return jsonResponse({ deleted: true, id: number.id });
}

async function updateNumber(
	context: NumbersContext,
	call: NumbersCall,
	number: NumberRow
): Promise<Response> {
	const { config, meta } = context;
	const { caller, service } = call;
	const body = parseWith(updateBody, await readJson(call.request));
	const newAccessToken = body.accessToken || undefined;
	const newAppSecret = body.appSecret || undefined;
	const businessAccountChanged =
		body.businessAccountId !== undefined &&
		(body.businessAccountId || null) !== number.business_account_id;
	if (number.provider === 'twilio' && (newAccessToken || newAppSecret || body.businessAccountId)) {
		throw new HttpError(
			400,
			'invalid_request',
			'Only Meta numbers have an access token, an app secret and a business account.'
		);
	}

	let secretChanges: Update<'whatsapp_number_secrets'> = {};
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
		if (!data.length) throw noSuchNumber();
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
		appSubscription = await subscribeApp(context, service, number.id, {
			phoneNumberId: number.phone_number_id ?? '',
			accessToken: checkedAccessToken,
			businessAccountId: body.businessAccountId
		});
	}
	return jsonResponse({
		number: await freshView(context, call, number.id),
		...(appSubscription ? { appSubscription } : {})
	});
}
