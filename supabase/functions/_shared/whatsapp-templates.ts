/**
 * The `whatsapp-templates` function: syncs a number's message templates from its provider into
 * `whatsapp_templates`, which members then read directly (RLS). Any member may sync: agents need
 * templates once a customer's 24-hour window has closed.
 *
 *   POST /whatsapp-templates/sync  { numberId } → 200 { templates: WhatsAppTemplateRow[] }
 *
 * Errors: 400 invalid_request | twilio_credentials_rejected | twilio_error | meta_token_invalid |
 * meta_not_found | meta_permission_denied | meta_error, 401 not_signed_in, 404 not_found (no such
 * number, or not yours), 409 no_business_account (a Meta number without its WhatsApp Business
 * Account id) | number_not_connected, 502 provider_unavailable | provider_rate_limited.
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
import { databaseFailure } from './database-errors.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { requireCaller } from './callers.ts';
import { serviceClient } from './clients.ts';
import { numberChannel } from './number-channel.ts';

const syncSchema = z.object({
	numberId: z.guid('That is not a valid id.')
});

/** The whatsapp-templates function. */
export function createWhatsAppTemplatesHandler(config: ProviderFunctionConfig): Handler {
	return withCors(async (request) => {
		if (request.method !== 'POST') throw methodNotAllowed(request);
		const caller = requireCaller(request, config);
		const [route] = routeSegments(request, 'whatsapp-templates');
		if (route !== 'sync') throw new HttpError(404, 'not_found', 'There is no such route.');
		const { numberId } = parseWith(syncSchema, await readJson(request));

		// RLS decides whether the caller may see this number at all.
		const { data: number, error } = await caller.client
			.from('whatsapp_numbers')
			.select('id, business_account_id')
			.eq('id', numberId)
			.maybeSingle();
		if (error) throw databaseFailure(error);
		if (!number)
			throw new HttpError(404, 'not_found', 'There is no such number, or you cannot see it.');

		const service = serviceClient(config);
		let templates;
		try {
			const channel = await numberChannel(config, service, number.id);
			templates = await channel.listTemplates(number.business_account_id);
		} catch (failure) {
			if (
				failure instanceof HttpError &&
				(failure.code === 'twilio_credentials_rejected' || failure.code === 'meta_token_invalid')
			) {
				const flagged = await service.rpc('flag_number_credentials', {
					number_id: number.id,
					error: failure.message
				});
				if (flagged.error) throw databaseFailure(flagged.error);
			}
			throw failure;
		}
		const synced = await service.rpc('sync_whatsapp_templates', {
			number_id: number.id,
			templates
		});
		if (synced.error) throw databaseFailure(synced.error);
		return jsonResponse({ templates: synced.data });
	});
}
