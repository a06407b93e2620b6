// Twilio WhatsApp inbound messages and status callbacks; see _shared/ingest.ts.
import { createTwilioWebhookHandler } from '../_shared/ingest.ts';
import { providerFunctionConfig } from '../_shared/config.ts';
import { aiReplyScheduler } from '../_shared/schedule-ai-reply.ts';

const env = Deno.env.toObject();
const config = providerFunctionConfig(env);
Deno.serve(createTwilioWebhookHandler(config, aiReplyScheduler(config, env)));
