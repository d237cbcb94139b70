-- Expand: a new table nothing reads yet. The version running now ignores it, so this
-- ships as a schema release of its own, before the code that writes orders.
SET lock_timeout = '5s';

CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
