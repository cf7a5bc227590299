-- 0004 gave every table that references executions a CHECK (tenant <> ''),
-- and 0005 gave shared_context one. Each repeats what the table's foreign
-- key already holds it to: a row must name an execution, the columns are
-- NOT NULL (so the key always applies), and executions refuses the empty
-- tenant. A row of the empty tenant is still refused, as a row of no
-- execution (SQLSTATE 23503 rather than 23514). The checks cost more than
-- they seem to: the server builds a CHECK's expression again for every
-- statement that writes the table (it parses the stored expression and plans
-- it), a visible part of a begin record's and a commit's server time.

ALTER TABLE attempts       DROP CONSTRAINT attempts_tenant_check;
ALTER TABLE commits        DROP CONSTRAINT commits_tenant_check;
ALTER TABLE dead_letters   DROP CONSTRAINT dead_letters_tenant_check;
ALTER TABLE recon_events   DROP CONSTRAINT recon_events_tenant_check;
ALTER TABLE shared_context DROP CONSTRAINT shared_context_tenant_check;
