-- The shared scratchpad of shared-context mode: one row per key that an
-- attempt wrote, as its last writer left it. It belongs to the execution,
-- not to a run or a context version: a restart does not reset it and a
-- crash does not lose it, as a real shared document keeps what a failed
-- attempt wrote.

CREATE TABLE shared_context (
    tenant text  NOT NULL CHECK (tenant <> ''),
    exec   text  NOT NULL,
    key    text  NOT NULL,
    data   text  NOT NULL,
    writer jsonb NOT NULL,
    CONSTRAINT shared_context_pkey PRIMARY KEY (tenant, exec, key),
    FOREIGN KEY (tenant, exec) REFERENCES executions (tenant, id)
);

-- As for every tenant table (0002): a tenant's transactions see and write
-- only its own rows; nobody deletes.
GRANT SELECT, INSERT, UPDATE ON shared_context TO chaosrun_app;
ALTER TABLE shared_context ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON shared_context TO chaosrun_app
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));
