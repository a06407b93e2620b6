// Inbound media, fetched with the number's credentials for members who may see the message.
import { createWhatsAppMediaHandler } from '../_shared/whatsapp-media.ts';
import { providerFunctionConfig } from '../_shared/config.ts';

Deno.serve(createWhatsAppMediaHandler(providerFunctionConfig(Deno.env.toObject())));
