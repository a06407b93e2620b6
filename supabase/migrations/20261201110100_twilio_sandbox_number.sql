-- Twilio's shared WhatsApp Sandbox number (whatsapp:+14155238886) belongs to no account: every
-- Twilio account can use it, each with its own participants, and Twilio tells them apart by the
-- account (webhooks carry the AccountSid and are signed with that account's token; sends use the
-- account's credentials). Every other Twilio address is checked with Twilio before connecting (the
-- whatsapp-numbers function), so one workspace cannot take another account's number.
-- Held by one workspace across Parley, the sandbox number would let the first tenant to connect it
-- block everyone else's trial. So it is unique per Twilio account instead: deliveries are found by
-- (AccountSid, address) in twilio_webhook_number, which then names exactly one number.

drop index public.whatsapp_numbers_twilio_address_key;
create unique index whatsapp_numbers_twilio_address_key on public.whatsapp_numbers (address)
  where provider = 'twilio' and address <> 'whatsapp:+14155238886';

-- As before (a number already connected anywhere is refused with a sentence, 23505), and the
-- sandbox number at most once per Twilio account: concurrent connections of one account wait for
-- each other on its integration rows, so two cannot both pass the check.
create or replace function public.connect_whatsapp_number(
  tenant_id uuid, provider text, display_name text,
  address text default null, integration_id uuid default null,
  phone_number_id text default null, business_account_id text default null,
  assigned_agent_id uuid default null, active boolean default false, connected_by uuid default null,
  access_token_ciphertext text default null, access_token_last4 text default null,
  app_secret_ciphertext text default null, app_secret_last4 text default null,
  verify_token text default null
) returns public.whatsapp_numbers
language plpgsql security invoker set search_path = '' as $$
declare
  created public.whatsapp_numbers;
  sandbox_account text;
begin
  if connect_whatsapp_number.provider = 'twilio' and connect_whatsapp_number.address = 'whatsapp:+14155238886' then
    select i.account_sid into sandbox_account from public.integrations i
    where i.id = connect_whatsapp_number.integration_id;
    perform 1 from public.integrations i where i.account_sid = sandbox_account order by i.id for update;
    if exists (
      select 1 from public.whatsapp_numbers n join public.integrations i on i.id = n.integration_id
      where n.provider = 'twilio' and n.address = connect_whatsapp_number.address
        and i.account_sid = sandbox_account
    ) then
      raise exception using errcode = '23505',
        message = format('The Twilio Sandbox of account %s is already connected to Parley. A Twilio account''s sandbox can be connected to one workspace only.',
                         sandbox_account);
    end if;
  end if;
  begin
    insert into public.whatsapp_numbers (tenant_id, provider, display_name, address, integration_id,
      phone_number_id, business_account_id, assigned_agent_id, active, connected_by)
    values (connect_whatsapp_number.tenant_id, connect_whatsapp_number.provider,
      connect_whatsapp_number.display_name, connect_whatsapp_number.address,
      connect_whatsapp_number.integration_id, connect_whatsapp_number.phone_number_id,
      connect_whatsapp_number.business_account_id, connect_whatsapp_number.assigned_agent_id,
      coalesce(connect_whatsapp_number.active, false), connect_whatsapp_number.connected_by)
    returning * into created;
  exception when unique_violation then
    raise exception using errcode = '23505',
      message = case when connect_whatsapp_number.provider = 'twilio'
        then format('%s is already connected to Parley. A number can be connected to one workspace only.',
                    connect_whatsapp_number.address)
        else format('The Meta phone number %s is already connected to Parley. A number can be connected to one workspace only.',
                    connect_whatsapp_number.phone_number_id)
      end;
  end;
  if created.provider = 'meta' then
    insert into public.whatsapp_number_secrets (number_id, access_token_ciphertext, access_token_last4,
      app_secret_ciphertext, app_secret_last4, verify_token)
    values (created.id, connect_whatsapp_number.access_token_ciphertext, connect_whatsapp_number.access_token_last4,
      connect_whatsapp_number.app_secret_ciphertext, connect_whatsapp_number.app_secret_last4,
      connect_whatsapp_number.verify_token);
  end if;
  return created;
end $$;
