/**
 * GET /whatsapp-numbers/{tenantId}/twilio-numbers: the Twilio account's WhatsApp senders, live
 * through the SDK, each with the id of the number it is connected as (409 twilio_not_connected).
 */
import { HttpError, jsonResponse } from '../http.ts';
import {
	markTwilioIntegrationFailed,
	recordTwilioNumbersWorking,
	twilioCredentialsOf
} from '../twilio-integration.ts';
import type { ProviderNumber } from '../providers/provider.ts';
import type { TwilioNumberOption } from '../contracts.ts';
import {
	numberWriteRefusal,
	type NumbersCall,
	type NumbersContext,
	type NumbersRoute
} from './context.ts';

export function twilioNumbersRoute(context: NumbersContext): NumbersRoute {
	return {
		serve: (segment) =>
			segment === 'twilio-numbers'
				? (call) => ({
						GET: async () => jsonResponse({ numbers: await listTwilioNumbers(context, call) })
					})
				: undefined
	};
}

async function listTwilioNumbers(
	{ config, twilio }: NumbersContext,
	{ caller, service, tenantId }: NumbersCall
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
	const connected = new Map(data.map((number) => [number.address, number.id]));
	return numbers.map((number) => ({
		...number,
		connectedNumberId: connected.get(number.address) ?? null
	}));
}
