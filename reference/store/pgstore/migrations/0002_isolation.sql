-- Tenant isolation, enforced by the database.
--
-- The store runs every transaction as one of two roles, switched to with
-- set_config('role', ..., true) for that transaction only:
--
--   chaosrun_app     a tenant's transactions. Sees and writes only the rows
--                    whose tenant equals the transaction's app.tenant setting.
--   chaosrun_system  the cross-tenant operations (Active, Audit,
--                    ClaimDeadLetters). Reads and locks rows of every tenant,
--                    writes none: the store switches to chaosrun_app and the
--                    row's tenant before it changes a claimed row.
--
-- Neither role can log in, is a superuser or bypasses row-level security,
-- and FORCE ROW LEVEL SECURITY subjects the tables' owner to the policies
-- too. A session that has not switched role sees no rows unless it is a
-- superuser, which bypasses row-level security whatever the policies say;
-- hence the switch, which also holds when the store connects as one.

-- Roles belong to the server, not to the database: another database on the
-- same server may have created them already, or be creating them right now.
DO $$
BEGIN
    CREATE ROLE chaosrun_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
    CREATE ROLE chaosrun_system NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- A role of that name made by someone else must not defeat the policies.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles
               WHERE rolname IN ('chaosrun_app', 'chaosrun_system')
                 AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'roles chaosrun_app and chaosrun_system must not be superusers or bypass row-level security';
    END IF;
END
$$;

-- The store's login role must be allowed to switch to both (a superuser
-- always is).
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'chaosrun_app', 'MEMBER') THEN
        GRANT chaosrun_app TO CURRENT_USER;
    END IF;
    IF NOT pg_has_role(current_user, 'chaosrun_system', 'MEMBER') THEN
        GRANT chaosrun_system TO CURRENT_USER;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO chaosrun_app, chaosrun_system', current_schema());
END
$$;

-- No DELETE for anyone: the store never deletes, and history stays.
GRANT SELECT, INSERT, UPDATE ON executions, attempts, commits, dead_letters, recon_events TO chaosrun_app;

-- SELECT ... FOR UPDATE needs the UPDATE privilege on some column; the
-- system_claims policies below refuse every row an actual UPDATE would write.
GRANT SELECT ON executions, dead_letters TO chaosrun_system;
GRANT UPDATE (audited) ON executions TO chaosrun_system;
GRANT UPDATE (resolved) ON dead_letters TO chaosrun_system;

ALTER TABLE executions   ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE attempts     ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE commits      ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE dead_letters ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE recon_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- current_setting(..., true) is NULL when the setting was never made on the
-- connection and '' once a finished transaction made it. No tenant is either
-- (executions refuses ''): a transaction that forgot its tenant sees nothing.
CREATE POLICY tenant_rows ON executions TO chaosrun_app
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));
CREATE POLICY tenant_rows ON attempts TO chaosrun_app
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));
CREATE POLICY tenant_rows ON commits TO chaosrun_app
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));
CREATE POLICY tenant_rows ON dead_letters TO chaosrun_app
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));
CREATE POLICY tenant_rows ON recon_events TO chaosrun_app
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));

CREATE POLICY system_reads ON executions FOR SELECT TO chaosrun_system USING (true);
CREATE POLICY system_claims ON executions FOR UPDATE TO chaosrun_system USING (true) WITH CHECK (false);
CREATE POLICY system_reads ON dead_letters FOR SELECT TO chaosrun_system USING (true);
CREATE POLICY system_claims ON dead_letters FOR UPDATE TO chaosrun_system USING (true) WITH CHECK (false);
