-- The storage port's tables. Every row carries its tenant: the row-level
-- security policies of 0002_isolation.sql key on that column.
--
-- seq columns give creation order (the port lists executions in the order
-- they were created, and timestamps can tie). Time columns hold what the
-- caller's clock said, not the server's.

CREATE TABLE executions (
    tenant    text        NOT NULL CHECK (tenant <> ''),
    id        text        NOT NULL CHECK (id <> ''),
    seq       bigint      GENERATED ALWAYS AS IDENTITY,
    workflow  text        NOT NULL,
    steps     jsonb       NOT NULL,
    input     jsonb       NOT NULL,
    status    text        NOT NULL DEFAULT 'running'
              CHECK (status IN ('running', 'completed', 'compensated', 'dead-lettered', 'failed')),
    cause     text        NOT NULL DEFAULT '',
    run       integer     NOT NULL DEFAULT 0,
    recovered boolean     NOT NULL DEFAULT false,
    audited   boolean     NOT NULL DEFAULT false,
    created   timestamptz NOT NULL,
    CONSTRAINT executions_pkey PRIMARY KEY (tenant, id)
);

-- Recovery after a crash lists the running executions.
CREATE INDEX executions_running ON executions (seq) WHERE status = 'running';

-- The audit queue: terminal, recovered, not yet audited. Clean executions
-- never enter it, so a pass costs what the pending rows cost, however many
-- clean ones there are. The claim query repeats this predicate word for word.
CREATE INDEX executions_audit_pending ON executions (seq)
    WHERE status <> 'running' AND recovered AND NOT audited;

-- Begin records, and the outcome once the attempt ended in failure. A step
-- may begin the same attempt number twice (after a crash); End marks the last.
CREATE TABLE attempts (
    seq     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant  text        NOT NULL,
    exec    text        NOT NULL,
    run     integer     NOT NULL,
    step    integer     NOT NULL,
    number  integer     NOT NULL,
    kind    smallint    NOT NULL,
    key     text        NOT NULL,
    token   text        NOT NULL,
    begun   timestamptz NOT NULL,
    ended   boolean     NOT NULL DEFAULT false,
    outcome jsonb       NOT NULL,
    FOREIGN KEY (tenant, exec) REFERENCES executions (tenant, id)
);

CREATE INDEX attempts_by_execution ON attempts (tenant, exec, seq);

-- Checkpoints: a step's result and the context version it produced, in one
-- row. The primary key is the at-most-once rule: a second commit of a step in
-- the same run is a unique violation, which the store reports as
-- store.ErrCommitted. Rows of earlier runs stay, as history.
CREATE TABLE commits (
    tenant      text        NOT NULL,
    exec        text        NOT NULL,
    run         integer     NOT NULL,
    step        integer     NOT NULL,
    seq         bigint      GENERATED ALWAYS AS IDENTITY,
    attempt     integer     NOT NULL,
    result_data text        NOT NULL,
    result_ref  text        NOT NULL,
    version     integer     NOT NULL,
    context     jsonb       NOT NULL,
    at          timestamptz NOT NULL,
    CONSTRAINT commits_pkey PRIMARY KEY (tenant, exec, run, step),
    FOREIGN KEY (tenant, exec) REFERENCES executions (tenant, id)
);

-- Dead letters stay as history once resolved; the queue is the unresolved ones.
CREATE TABLE dead_letters (
    seq      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant   text        NOT NULL,
    exec     text        NOT NULL,
    run      integer     NOT NULL,
    step     integer     NOT NULL,
    cause    text        NOT NULL,
    at       timestamptz NOT NULL,
    resolved boolean     NOT NULL DEFAULT false,
    FOREIGN KEY (tenant, exec) REFERENCES executions (tenant, id)
);

CREATE INDEX dead_letters_by_execution ON dead_letters (tenant, exec, seq);
CREATE INDEX dead_letters_queue ON dead_letters (seq) WHERE NOT resolved;

-- Findings of the reconciliation worker, stored with the audit that made them.
CREATE TABLE recon_events (
    seq    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text        NOT NULL,
    exec   text        NOT NULL,
    step   integer     NOT NULL,
    tool   text        NOT NULL,
    kind   text        NOT NULL,
    detail text        NOT NULL,
    action text        NOT NULL,
    at     timestamptz NOT NULL,
    FOREIGN KEY (tenant, exec) REFERENCES executions (tenant, id)
);

CREATE INDEX recon_events_by_execution ON recon_events (tenant, exec, seq);
