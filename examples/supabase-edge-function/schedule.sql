-- The schedule instead of (or beside) self-invocation: pg_cron calls the function every minute through pg_net, as
-- Supabase documents it (https://supabase.com/docs/guides/functions/schedule-functions). Run in the SQL editor of the
-- project that hosts the function, with the pg_cron and pg_net extensions enabled.
--
-- Once: the project URL and the function's shared secret (the CLONE_SECRET you set) in Vault.
--   select vault.create_secret('https://<project-ref>.supabase.co', 'project_url');
--   select vault.create_secret('<CLONE_SECRET>', 'pgclone_clone_secret');
--
-- Each tick is one invocation. One that overlaps a running invocation answers `locked` in the function's log and does
-- nothing (the holder goes on); one after a killed invocation resumes the clone from the target's log.
select cron.schedule(
  'pgclone-clone-step',
  '* * * * *',
  $$
  select net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/clone-step',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'x-pgclone-secret', (select decrypted_secret from vault.decrypted_secrets where name = 'pgclone_clone_secret')
    ),
    body := '{}'::jsonb
  ) as request_id;
  $$
);

-- When the function's log (or `pgclone status --target …`) says finished:
--   select cron.unschedule('pgclone-clone-step');
