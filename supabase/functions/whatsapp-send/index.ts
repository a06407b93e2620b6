// Agents' replies, retries of failed messages, and read marks; see _shared/pipeline-send.ts.
import { createWhatsAppSendHandler } from '../_shared/pipeline-send.ts';
import { providerFunctionConfig } from '../_shared/supabase.ts';

Deno.serve(createWhatsAppSendHandler(providerFunctionConfig(Deno.env.toObject())));
