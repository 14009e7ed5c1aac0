-- Anchored audit chain (issue 13 item 7; docs/audit.md).
--
-- audit_head: one row (id 1) with the chain's event count, newest event id and
-- hash, and an HMAC-SHA256 over them with a key derived from
-- MODELPIN_ENCRYPTION_KEY (lib/audit/head.ts). Every append updates it in the
-- same transaction; appends serialise on its row lock. The key is not in the
-- database, so SQL cannot sign: this migration builds the head from the
-- existing chain unsigned (hmac NULL), and Modelpin signs it at its first start
-- or first audit event, recording an `audit.anchored` event.
CREATE TABLE "audit_head" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "event_count" BIGINT NOT NULL,
    "last_event_id" BIGINT,
    "last_hash" TEXT NOT NULL,
    "hmac" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_head_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_head_one_row" CHECK ("id" = 1)
);

-- audit_checkpoints: each head sent out as an `audit.checkpoint` webhook event
-- (kind 'scheduled'), or set by an audited re-anchor (kind 'reanchor').
CREATE TABLE "audit_checkpoints" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "event_count" BIGINT NOT NULL,
    "last_event_id" BIGINT,
    "last_hash" TEXT NOT NULL,
    "hmac" TEXT NOT NULL,
    "webhook_event_id" UUID,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_checkpoints_kind_check" CHECK ("kind" IN ('scheduled', 'reanchor'))
);

-- The head built from the chain as it is now (an empty chain: count 0, the genesis hash).
INSERT INTO "audit_head" ("id", "event_count", "last_event_id", "last_hash", "hmac")
SELECT 1, (SELECT count(*) FROM "audit_events"), newest."id", COALESCE(newest."hash", repeat('0', 64)), NULL
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (SELECT "id", "hash" FROM "audit_events" ORDER BY "id" DESC LIMIT 1) AS newest ON true;

-- The head row is never deleted; checkpoints are append-only (statement-level,
-- so a statement matching no row is refused too). The owner can still disable
-- triggers: the HMAC and the checkpoints held outside are what detect that.
CREATE OR REPLACE FUNCTION audit_anchor_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%: % is not allowed (the audit chain''s anchor)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_head_no_delete
  BEFORE DELETE ON "audit_head"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_refuse_change();

CREATE TRIGGER audit_head_no_truncate
  BEFORE TRUNCATE ON "audit_head"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_refuse_change();

CREATE TRIGGER audit_checkpoints_no_update
  BEFORE UPDATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_refuse_change();

CREATE TRIGGER audit_checkpoints_no_delete
  BEFORE DELETE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_refuse_change();

CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_refuse_change();
