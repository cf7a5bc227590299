-- The checkpoint writes (begin records and commits) lock their execution's
-- row FOR SHARE in the same statement and insert only if it is running in
-- the record's run (see guarded in steps.go): the parent exists and cannot
-- change under them, and executions are never deleted (nobody is granted
-- DELETE). Their foreign keys only repeated that check, with a second
-- lookup and a second row lock on every step; the hot path drops them.
ALTER TABLE attempts DROP CONSTRAINT attempts_tenant_exec_fkey;
ALTER TABLE commits DROP CONSTRAINT commits_tenant_exec_fkey;
