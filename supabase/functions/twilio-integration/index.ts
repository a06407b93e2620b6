// Connects, checks and disconnects a tenant's Twilio account; the API is documented in
// _shared/twilio-integration.ts.
import { createTwilioIntegrationHandler } from '../_shared/twilio-integration.ts';
import { providerFunctionConfig } from '../_shared/config.ts';

Deno.serve(createTwilioIntegrationHandler(providerFunctionConfig(Deno.env.toObject())));
