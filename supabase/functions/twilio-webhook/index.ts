// Twilio WhatsApp inbound messages and status callbacks; see _shared/ingest.ts.
import { createTwilioWebhookHandler } from '../_shared/ingest.ts';
import { providerFunctionConfig } from '../_shared/supabase.ts';

Deno.serve(createTwilioWebhookHandler(providerFunctionConfig(Deno.env.toObject())));
