// Twilio WhatsApp inbound messages and status callbacks; see _shared/ingest.ts.
import { createTwilioWebhookHandler } from '../_shared/ingest.ts';
import { providerFunctionConfig } from '../_shared/config.ts';
import { aiReplyScheduler } from '../_shared/schedule-ai-reply.ts';
import { sqlDeliveryCallsFrom } from '../_shared/sql-delivery-calls.ts';
import { WebhookCredentialCache } from '../_shared/webhook-credentials.ts';

const env = Deno.env.toObject();
const config = providerFunctionConfig(env);
Deno.serve(
	createTwilioWebhookHandler(
		config,
		aiReplyScheduler(config, env),
		new WebhookCredentialCache(config),
		sqlDeliveryCallsFrom(env)
	)
);
