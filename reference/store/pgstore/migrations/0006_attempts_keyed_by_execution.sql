-- A begin record is written on every step, and each index on attempts is
-- one more insertion it pays for. attempts had two: its primary key on seq
-- alone, and attempts_by_execution on (tenant, exec, seq), which is what
-- every read of the table uses (a snapshot's attempts in order, the latest
-- begin record of an attempt that End marks). seq stays unique within an
-- execution, so (tenant, exec, seq) is a key: it becomes the primary key,
-- and the index on seq alone goes.

CREATE UNIQUE INDEX attempts_execution_seq ON attempts (tenant, exec, seq);
ALTER TABLE attempts DROP CONSTRAINT attempts_pkey;
ALTER TABLE attempts ADD CONSTRAINT attempts_pkey PRIMARY KEY USING INDEX attempts_execution_seq;
DROP INDEX attempts_by_execution;
