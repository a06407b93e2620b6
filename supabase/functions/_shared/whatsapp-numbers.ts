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
 *          Twilio: { provider: 'twilio', displayName, address, assignedAgentId?, active? } — the
 *                  address as typed ('whatsapp:+14155238886', '+1 415 523 8886': a + and 8 to 15
 *                  digits, see whatsapp-address.ts), stored as whatsapp:+E164; it must be a sender or
 *                  incoming number of the tenant's Twilio account
 *          Meta:   { provider: 'meta', displayName, phoneNumberId, businessAccountId?, accessToken,
 *                    appSecret, assignedAgentId?, active? } — checked with the Graph API first;
 *                  with a business account, the app is subscribed to it when it is not (the
 *                  number's providerNotice says so, or what to do when Meta refused). A Meta
 *                  refusal about one ID names it in details.issues (phoneNumberId, businessAccountId)
 *   GET    /whatsapp-numbers/{tenantId}/{numberId}      → 200 { number }
 *   PATCH  /whatsapp-numbers/{tenantId}/{numberId}      → 200 { number }
 *          { displayName?, assignedAgentId? (null unassigns), active?, and for Meta numbers
 *            accessToken?, appSecret? (blank or absent = unchanged), businessAccountId? ('' or null clears) }
 *   DELETE /whatsapp-numbers/{tenantId}/{numberId}      → 200 { deleted: true, id }
 *
 * One route table: the collection (numbers/collection.ts), the Twilio account's senders
 * (numbers/twilio-numbers.ts) and one number (numbers/number.ts).
 *
 * Errors: { code, message, details? } with 400 invalid_request | agent_not_found |
 * twilio_number_not_owned | twilio_credentials_rejected | twilio_error | meta_token_invalid | meta_not_found |
 * meta_permission_denied | meta_business_account_mismatch | meta_error, 401 not_signed_in,
 * 403 forbidden, 404 not_found, 409 twilio_not_connected | twilio_integration_failed |
 * number_already_connected | stored_secret_unreadable, 422 agent_rule_violation,
 * 500 server_misconfigured (no encryption key), 502 provider_unavailable | provider_rate_limited.
 */
import { HttpError, methodNotAllowed, routeSegments, withCors, type Handler } from './http.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { requireTenantManager } from './callers.ts';
import { createTwilioAdapter, type TwilioAdapter } from './providers/twilio.ts';
import { createMetaAdapter, type MetaAdapter } from './providers/meta.ts';
import type { NumbersContext, NumbersRoute } from './numbers/context.ts';
import { collectionRoute } from './numbers/collection.ts';
import { twilioNumbersRoute } from './numbers/twilio-numbers.ts';
import { numberRoute } from './numbers/number.ts';

/** Builds the handler; adapters can be replaced in tests of this module. */
export function createWhatsAppNumbersHandler(
	config: ProviderFunctionConfig,
	adapters: {
		twilio?: TwilioAdapter;
		meta?: MetaAdapter;
	} = {}
): Handler {
	const context: NumbersContext = {
		config,
		twilio: adapters.twilio ?? createTwilioAdapter({ apiUrl: config.twilioApiUrl }),
		meta: adapters.meta ?? createMetaAdapter({ graphUrl: config.metaGraphUrl })
	};
	// In order: the first route that takes the segment after the tenant serves the request.
	const routes: NumbersRoute[] = [
		collectionRoute(context),
		twilioNumbersRoute(context),
		numberRoute(context)
	];

	return withCors(async (request) => {
		const [tenantId, segment, ...rest] = routeSegments(request, 'whatsapp-numbers');
		if (rest.length > 0) throw new HttpError(404, 'not_found', 'There is nothing at this address.');
		const manager = await requireTenantManager(request, tenantId, config);
		const open = routes.map((route) => route.serve(segment)).find((served) => served);
		if (!open) throw new HttpError(404, 'not_found', 'There is nothing at this address.');
		const handle = (await open({ ...manager, request }))[request.method];
		if (!handle) throw methodNotAllowed(request);
		return handle();
	});
}
