// Inbound media, fetched with the number's credentials for members who may see the message.
import { createWhatsAppMediaHandler } from '../_shared/pipeline-send.ts';
import { providerFunctionConfig } from '../_shared/supabase.ts';

Deno.serve(createWhatsAppMediaHandler(providerFunctionConfig(Deno.env.toObject())));
