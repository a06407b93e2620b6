// Meta WhatsApp Cloud API subscription check and deliveries; see _shared/ingest.ts.
import { createMetaWebhookHandler } from '../_shared/ingest.ts';
import { providerFunctionConfig } from '../_shared/config.ts';
import { aiReplyScheduler } from '../_shared/schedule-ai-reply.ts';
import { sqlDeliveryCallsFrom } from '../_shared/sql-delivery-calls.ts';
import { WebhookCredentialCache } from '../_shared/webhook-credentials.ts';

const env = Deno.env.toObject();
const config = providerFunctionConfig(env);
Deno.serve(
	createMetaWebhookHandler(
		config,
		aiReplyScheduler(config, env),
		new WebhookCredentialCache(config),
		sqlDeliveryCallsFrom(env)
	)
);
