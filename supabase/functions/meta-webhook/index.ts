// Meta WhatsApp Cloud API subscription check and deliveries; see _shared/ingest.ts.
import { createMetaWebhookHandler } from '../_shared/ingest.ts';
import { providerFunctionConfig } from '../_shared/config.ts';
import { aiReplyScheduler } from '../_shared/schedule-ai-reply.ts';

const env = Deno.env.toObject();
const config = providerFunctionConfig(env);
Deno.serve(createMetaWebhookHandler(config, aiReplyScheduler(config, env)));
