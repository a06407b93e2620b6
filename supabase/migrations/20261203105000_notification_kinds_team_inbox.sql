-- The team inbox tells people more than "new message": a conversation assigned to them, an
-- @mention in an internal note, and a snoozed conversation waking up.
alter table public.notifications drop constraint notifications_kind;
alter table public.notifications add constraint notifications_kind
  check (kind in ('new_message', 'escalation', 'credentials', 'assignment', 'mention', 'snooze'));
