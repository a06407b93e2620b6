-- Kept deliveries no longer carry the provider's signature (the webhook functions drop it before
-- storing): a signature proves its body to whoever holds it, and owners and admins read these
-- rows. The deliveries kept before lose theirs too.
update public.webhook_events
set headers = headers - array['x-twilio-signature', 'x-hub-signature', 'x-hub-signature-256']
where headers ?| array['x-twilio-signature', 'x-hub-signature', 'x-hub-signature-256'];
