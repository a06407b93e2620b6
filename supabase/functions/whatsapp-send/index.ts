// Agents' replies, retries of failed messages, and read marks; see _shared/whatsapp-send.ts.
import { createWhatsAppSendHandler } from '../_shared/whatsapp-send.ts';
import { providerFunctionConfig } from '../_shared/config.ts';

Deno.serve(createWhatsAppSendHandler(providerFunctionConfig(Deno.env.toObject())));
