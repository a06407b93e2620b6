// Connects, lists, edits and deletes a tenant's WhatsApp numbers; the API is documented in
// _shared/whatsapp-numbers.ts.
import { createWhatsAppNumbersHandler } from '../_shared/whatsapp-numbers.ts';
import { providerFunctionConfig } from '../_shared/config.ts';

Deno.serve(createWhatsAppNumbersHandler(providerFunctionConfig(Deno.env.toObject())));
