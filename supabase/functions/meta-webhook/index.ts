// Meta WhatsApp Cloud API subscription check and deliveries; see _shared/ingest.ts.
import { createMetaWebhookHandler } from '../_shared/ingest.ts';
import { providerFunctionConfig } from '../_shared/supabase.ts';

Deno.serve(createMetaWebhookHandler(providerFunctionConfig(Deno.env.toObject())));
