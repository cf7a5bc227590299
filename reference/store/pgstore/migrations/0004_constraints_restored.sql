-- 0003 dropped the foreign keys of attempts and commits because the
-- checkpoint writes check their execution themselves. But only those
-- statements did: a row written any other way (by hand, by a tool, by a
-- method added later) could name an execution that does not exist, or a
-- tenant that is empty. The database holds every row to both again. A
-- foreign key's check takes a KEY SHARE lock on the execution's row, which
-- the FOR SHARE lock of the guarded write already covers: no new waits.

ALTER TABLE attempts ADD CONSTRAINT attempts_tenant_exec_fkey
    FOREIGN KEY (tenant, exec) REFERENCES executions (tenant, id);
ALTER TABLE commits ADD CONSTRAINT commits_tenant_exec_fkey
    FOREIGN KEY (tenant, exec) REFERENCES executions (tenant, id);

-- No tenant is empty (executions refuses '' since 0001): a row with tenant
-- '' would be one that row-level security reads as "no tenant set".
ALTER TABLE attempts     ADD CONSTRAINT attempts_tenant_check     CHECK (tenant <> '');
ALTER TABLE commits      ADD CONSTRAINT commits_tenant_check      CHECK (tenant <> '');
ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_tenant_check CHECK (tenant <> '');
ALTER TABLE recon_events ADD CONSTRAINT recon_events_tenant_check CHECK (tenant <> '');
