-- The documents the store writes (a step's context, an attempt's outcome,
-- a workflow's steps and input, a shared key's writer) are read back whole
-- and never queried inside: no operator, index or comparison looks into
-- them. As jsonb every write parsed each one into the binary form, a good
-- part of a checkpoint insert's server time, and every read turned it back
-- into text. json checks that the text is JSON and keeps it as it is.

ALTER TABLE commits        ALTER COLUMN context TYPE json;
ALTER TABLE attempts       ALTER COLUMN outcome TYPE json;
ALTER TABLE executions     ALTER COLUMN steps   TYPE json,
                           ALTER COLUMN input   TYPE json;
ALTER TABLE shared_context ALTER COLUMN writer  TYPE json;
