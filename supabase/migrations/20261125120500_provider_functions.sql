-- RPC functions behind the twilio-integration and whatsapp-numbers Edge Functions.
-- The functions first ask the database for the caller's role with the caller's JWT
-- (current_member_role), then write credentials with the service role through the two
-- service-role-only functions below, each one transaction so a row never exists without its secret.

-- The caller's role in a tenant ('owner' | 'admin' | 'agent'), or null for non-members.
create function public.current_member_role(tenant_id uuid) returns text
language sql stable security invoker set search_path = '' as $$
  select private.role_in(current_member_role.tenant_id)::text
$$;
revoke all on function public.current_member_role(uuid) from public, anon;
grant execute on function public.current_member_role(uuid) to authenticated, service_role;

-- Creates or replaces the tenant's Twilio integration once Twilio accepted the credentials.
create function public.save_twilio_integration(
  tenant_id uuid, account_sid text, account_name text, auth_token_ciphertext text, auth_token_last4 text,
  connected_by uuid default null
) returns public.integrations
language plpgsql security invoker set search_path = '' as $$
declare
  saved public.integrations;
begin
  insert into public.integrations as i (tenant_id, provider, account_sid, account_name, status, last_error, verified_at, connected_by)
  values (save_twilio_integration.tenant_id, 'twilio', save_twilio_integration.account_sid,
          save_twilio_integration.account_name, 'connected', null, now(),
          save_twilio_integration.connected_by)
  on conflict on constraint integrations_tenant_id_provider_key do update
    set account_sid = excluded.account_sid, account_name = excluded.account_name, status = 'connected', last_error = null,
        verified_at = now(), connected_by = excluded.connected_by, updated_at = now()
  returning * into saved;
  insert into public.integration_secrets as s (integration_id, auth_token_ciphertext, auth_token_last4)
  values (saved.id, save_twilio_integration.auth_token_ciphertext, save_twilio_integration.auth_token_last4)
  on conflict (integration_id) do update
    set auth_token_ciphertext = excluded.auth_token_ciphertext,
        auth_token_last4 = excluded.auth_token_last4, updated_at = now();
  return saved;
end $$;

-- Inserts a number the provider accepted, with its Meta secrets; a number already connected
-- anywhere is refused with a sentence (23505).
create function public.connect_whatsapp_number(
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
begin
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

revoke all on function
  public.save_twilio_integration(uuid, text, text, text, text, uuid),
  public.connect_whatsapp_number(uuid, text, text, text, uuid, text, text, uuid, boolean, uuid, text, text, text, text, text)
  from public, anon, authenticated;
grant execute on function
  public.save_twilio_integration(uuid, text, text, text, text, uuid),
  public.connect_whatsapp_number(uuid, text, text, text, uuid, text, text, uuid, boolean, uuid, text, text, text, text, text)
  to service_role;
