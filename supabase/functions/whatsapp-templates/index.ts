// Syncs a number's approved message templates from its provider; see _shared/whatsapp-templates.ts.
import { createWhatsAppTemplatesHandler } from '../_shared/whatsapp-templates.ts';
import { providerFunctionConfig } from '../_shared/config.ts';

Deno.serve(createWhatsAppTemplatesHandler(providerFunctionConfig(Deno.env.toObject())));
