-- Webhooks verified with cached credentials, confirmed in the same call that stores them.
--
-- The webhook functions keep each number's decrypted secret in memory with the credential version
-- it was read at. A delivery is verified with the cached secret and then stored by
-- ingest_whatsapp_delivery, which is told the routing the delivery named and the versions the
-- function verified with: before storing anything it recomputes the numbers that routing names and
-- their versions, and when they differ (a secret rotated, a number added, moved or removed) it
-- stores nothing and answers {stale_credentials: true}; the function then reads the credentials
-- again, verifies again and stores with the fresh versions. One database call per delivery while
-- the cache is current, and never a delivery accepted on a secret that is no longer the number's.
--
-- A credential version is a SHA-256 over everything the verification and routing depend on (the
-- number, its tenant and provider, the address or Meta ids, the Twilio account, and the secret's
-- ciphertext, which changes on every save because each encryption has its own IV), so any change
-- is a new version without triggers to keep it, and a version says nothing about the secret.
--
-- Rotations wait for deliveries in flight: ingest takes a shared transaction lock per number it
-- stores under before it reads the versions, and a change of a Twilio auth token or a Meta app
-- secret takes the same lock exclusively. A delivery verified with the old secret therefore either
-- commits before the rotation does or is refused as stale; once the rotation is saved, no delivery
-- signed with the old secret is stored.

-- The numbers a delivery's routing names, with their encrypted secrets and credential versions.
-- Twilio routing: {account_sid, address}; Meta: {phone_number_ids: [...], business_account_ids: [...]}.
create function public.webhook_credentials(provider text, routing jsonb)
returns table (number_id uuid, tenant_id uuid, phone_number_id text, business_account_id text,
  secret_ciphertext text, credential_version text)
language sql stable security definer set search_path = '' as $$
  select n.id, n.tenant_id, n.phone_number_id, n.business_account_id, s.auth_token_ciphertext,
    pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.concat_ws('|',
      n.id, n.tenant_id, n.provider, n.address, i.account_sid, s.auth_token_ciphertext), 'UTF8')), 'hex')
  from public.whatsapp_numbers n
  join public.integrations i on i.id = n.integration_id
  join public.integration_secrets s on s.integration_id = i.id
  where webhook_credentials.provider = 'twilio' and n.provider = 'twilio'
    and n.address = webhook_credentials.routing ->> 'address'
    and i.account_sid = webhook_credentials.routing ->> 'account_sid'
  union all
  select n.id, n.tenant_id, n.phone_number_id, n.business_account_id, s.app_secret_ciphertext,
    pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.concat_ws('|',
      n.id, n.tenant_id, n.provider, n.phone_number_id, n.business_account_id, s.app_secret_ciphertext),
      'UTF8')), 'hex')
  from public.whatsapp_numbers n join public.whatsapp_number_secrets s on s.number_id = n.id
  where webhook_credentials.provider = 'meta' and n.provider = 'meta'
    and (n.phone_number_id in (select jsonb_array_elements_text(webhook_credentials.routing -> 'phone_number_ids'))
      or n.business_account_id in (select jsonb_array_elements_text(webhook_credentials.routing -> 'business_account_ids')))
$$;

-- The transaction lock a number's webhook credentials are read (shared) and rotated (exclusive)
-- under; taken in one order so rotations of several numbers cannot deadlock each other.
create function private.lock_webhook_credentials(number_ids uuid[], exclusive boolean) returns void
language plpgsql volatile set search_path = '' as $$
declare
  locked uuid;
begin
  for locked in select distinct u from unnest(number_ids) u where u is not null order by 1 loop
    if exclusive then
      perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('webhook-credentials:' || locked::text, 0));
    else
      perform pg_catalog.pg_advisory_xact_lock_shared(
        pg_catalog.hashtextextended('webhook-credentials:' || locked::text, 0));
    end if;
  end loop;
end $$;

-- A secret that verifies webhooks changes: wait for deliveries verified with the old one.
create function private.lock_rotated_webhook_credentials() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_table_name = 'integration_secrets' then
    perform private.lock_webhook_credentials(array(
      select n.id from public.whatsapp_numbers n where n.integration_id = old.integration_id), true);
  else
    perform private.lock_webhook_credentials(array[old.number_id], true);
  end if;
  return null;
end $$;
-- Not on delete: a number being deleted holds its row, which a delivery in flight waits for (its
-- raw delivery names the number), so waiting here could deadlock; a deleted number is simply no
-- longer among the routing's numbers, and its deliveries are refused as stale.
create trigger lock_rotated_webhook_credentials after update of auth_token_ciphertext
  on public.integration_secrets
  for each row when (old.auth_token_ciphertext is distinct from new.auth_token_ciphertext)
  execute function private.lock_rotated_webhook_credentials();
create trigger lock_rotated_webhook_credentials after update of app_secret_ciphertext
  on public.whatsapp_number_secrets
  for each row when (old.app_secret_ciphertext is distinct from new.app_secret_ciphertext)
  execute function private.lock_rotated_webhook_credentials();

-- As in 20261125120500, taking the numbers' credential locks first: a delivery in flight may
-- touch the integration row (its health), so the lock must come before that row's.
create or replace function public.save_twilio_integration(
  tenant_id uuid, account_sid text, account_name text, auth_token_ciphertext text, auth_token_last4 text,
  connected_by uuid default null
) returns public.integrations
language plpgsql security invoker set search_path = '' as $$
declare
  saved public.integrations;
begin
  perform private.lock_webhook_credentials(array(
    select n.id from public.whatsapp_numbers n join public.integrations i on i.id = n.integration_id
    where i.tenant_id = save_twilio_integration.tenant_id and i.provider = 'twilio'), true);
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

-- As in 20261201120000, with `credentials` ({routing, versions: {number_id: version}}) checked
-- first, and the raw delivery written once, complete, instead of inserted and then updated. Without
-- `credentials` (tools and tests that call it directly) nothing is checked, as before.
drop function public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, jsonb, text, jsonb);
create function public.ingest_whatsapp_delivery(
  provider text, number_id uuid, headers jsonb, raw_body text,
  messages jsonb default '[]', statuses jsonb default '[]', rejected jsonb default '[]',
  parse_error text default null, events jsonb default '[]', credentials jsonb default null
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  number public.whatsapp_numbers;
  event_id uuid := gen_random_uuid();
  claimed jsonb;
  current_versions jsonb;
  item jsonb;
  outcome jsonb;
  results jsonb := '[]';
  failures jsonb := coalesce(rejected, '[]');
  failure jsonb;
  errors text[] := '{}';
  error_text text;
begin
  if credentials is not null then
    claimed := coalesce(credentials -> 'versions', '{}');
    if not claimed ? ingest_whatsapp_delivery.number_id::text then
      raise exception using errcode = '22023',
        message = 'The number to store this delivery under is not one whose credentials verified it.';
    end if;
    perform private.lock_webhook_credentials(
      array(select k::uuid from jsonb_object_keys(claimed) k), false);
    select coalesce(jsonb_object_agg(w.number_id::text, w.credential_version), '{}') into current_versions
    from public.webhook_credentials(ingest_whatsapp_delivery.provider, credentials -> 'routing') w;
    if current_versions is distinct from claimed then
      return jsonb_build_object('stale_credentials', true);
    end if;
  end if;

  select * into number from public.whatsapp_numbers n where n.id = ingest_whatsapp_delivery.number_id;
  if parse_error is not null then
    errors := errors || parse_error;
  end if;
  if number.id is null then
    errors := errors || 'The number this delivery is for is no longer connected.'::text;
  else
    -- By customer first: every delivery locks the same conversations in the same order.
    for item in
      select value from jsonb_array_elements(coalesce(messages, '[]')) with ordinality
      order by coalesce(value ->> 'wa_id', value ->> 'user_id'), ordinality
    loop
      begin
        outcome := case when item ->> 'direction' = 'outbound' then private.ingest_echo(number, item)
          else private.ingest_inbound_message(number, item) end;
        results := results || jsonb_build_array(outcome || jsonb_build_object('provider_message_id', item ->> 'provider_message_id'));
      exception when others then
        if not private.is_data_error(sqlstate) then
          raise;
        end if;
        failures := failures || jsonb_build_array(jsonb_build_object('kind', 'message',
          'provider_message_id', item ->> 'provider_message_id', 'item', item,
          'reason', format('The database refused this message: %s', sqlerrm)));
      end;
    end loop;
    for item in
      select value from jsonb_array_elements(coalesce(statuses, '[]')) with ordinality
      order by value ->> 'provider_message_id', ordinality
    loop
      begin
        perform private.apply_message_status(number, item);
      exception when others then
        if not private.is_data_error(sqlstate) then
          raise;
        end if;
        failures := failures || jsonb_build_array(jsonb_build_object('kind', 'status',
          'provider_message_id', item ->> 'provider_message_id', 'item', item,
          'reason', format('The database refused this %s status: %s', item ->> 'status', sqlerrm)));
      end;
    end loop;
    for item in select value from jsonb_array_elements(coalesce(events, '[]')) loop
      perform private.apply_account_event(number, item);
    end loop;
  end if;

  for failure in select value from jsonb_array_elements(failures) loop
    errors := errors || format('%s %s could not be stored: %s', initcap(failure ->> 'kind'),
      coalesce(failure ->> 'provider_message_id', 'without an id'), failure ->> 'reason');
  end loop;
  error_text := nullif(array_to_string(errors, ' '), '');
  insert into public.webhook_events (id, tenant_id, provider, number_id, headers, raw_body, signature_valid,
    processed_at, error)
  values (event_id, number.tenant_id, ingest_whatsapp_delivery.provider, number.id, coalesce(headers, '{}'),
    raw_body, true, now(), error_text);
  if number.id is not null and jsonb_array_length(failures) > 0 then
    insert into public.webhook_item_failures (tenant_id, number_id, event_id, kind, provider_message_id, reason, item)
    select number.tenant_id, number.id, event_id, f ->> 'kind', f ->> 'provider_message_id', f ->> 'reason', f -> 'item'
    from jsonb_array_elements(failures) f;
  end if;

  if number.id is not null then
    -- A Twilio signature is made with the account's current auth token, so a verified delivery
    -- proves the credentials work. (A Meta signature proves only the app secret, not the token.)
    if number.provider = 'twilio' then
      perform private.mark_number_healthy(number.id);
    end if;
    if number.last_webhook_at is null or number.last_webhook_at < now() - interval '1 minute' then
      -- Health, not a log: once a minute is enough and keeps busy numbers from rewriting the row.
      update public.whatsapp_numbers n set last_webhook_at = now() where n.id = number.id;
    end if;
  end if;
  return jsonb_build_object('event_id', event_id, 'messages', results,
    'failed_items', jsonb_array_length(failures), 'error', error_text);
end $$;

revoke all on function private.lock_webhook_credentials(uuid[], boolean),
  private.lock_rotated_webhook_credentials() from public;
-- save_twilio_integration runs as its caller, the twilio-integration function's service role.
grant execute on function private.lock_webhook_credentials(uuid[], boolean) to service_role;
revoke all on function
  public.webhook_credentials(text, jsonb),
  public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, jsonb, text, jsonb, jsonb)
  from public, anon, authenticated;
grant execute on function
  public.webhook_credentials(text, jsonb),
  public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, jsonb, text, jsonb, jsonb)
  to service_role;
