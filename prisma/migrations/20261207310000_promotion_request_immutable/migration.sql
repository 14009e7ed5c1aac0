-- Promotion requests are immutable in the database (issue 13 item 8).
--
-- request_hash: SHA-256 over the whole request as submitted (target, base pin
-- version, environment, reason, evidence and its hash, frozen policy,
-- requester, times). lib/promotions/frozen.ts computes the same value in
-- TypeScript and checks it at every decision; promotion_request_frozen_hash()
-- below is that definition in SQL, used here for the existing rows (and by a
-- test that both agree). Each field is length-prefixed (bytes of UTF-8) or '~'
-- for NULL, one per line; jsonb columns as PostgreSQL prints them; times in
-- epoch milliseconds.
ALTER TABLE "promotion_requests" ADD COLUMN "request_hash" TEXT;

CREATE OR REPLACE FUNCTION promotion_request_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN '~' ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v END
$$;

CREATE OR REPLACE FUNCTION promotion_request_frozen_hash(r "promotion_requests") RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(array_to_string(ARRAY[
    'modelpin/promotion-request/v1',
    promotion_request_field(r."id"::text),
    promotion_request_field(r."number"::text),
    promotion_request_field(r."function_id"),
    promotion_request_field(r."environment_id"::text),
    promotion_request_field(r."target_model_ref_id"::text),
    promotion_request_field(r."target_model_id"),
    promotion_request_field(r."base_version"::text),
    promotion_request_field(r."base_model_id"),
    promotion_request_field(r."reason"),
    promotion_request_field(r."evidence_run_id"::text),
    promotion_request_field(r."evidence_summary"::text),
    promotion_request_field(r."evidence_hash"),
    promotion_request_field(r."policy"::text),
    promotion_request_field(r."approvals_required"::text),
    promotion_request_field(r."requested_by_id"::text),
    promotion_request_field(r."requested_by_label"),
    promotion_request_field(((extract(epoch FROM r."created_at") * 1000)::bigint)::text),
    promotion_request_field(((extract(epoch FROM r."expires_at") * 1000)::bigint)::text)
  ], E'\n'), 'UTF8')), 'hex')
$$;

UPDATE "promotion_requests" SET "request_hash" = promotion_request_frozen_hash("promotion_requests");
ALTER TABLE "promotion_requests" ALTER COLUMN "request_hash" SET NOT NULL;

-- Only the decision columns change (status, status_reason, closed_at,
-- applied_version), and only while the request is pending; nothing is
-- deleted. The app's role cannot disable this; the owner can, which is what
-- the hash check at every decision is for.
CREATE OR REPLACE FUNCTION promotion_requests_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  frozen text[] := ARRAY[]::text[];
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'promotion_requests are immutable: % is not allowed', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW."id" IS DISTINCT FROM OLD."id" THEN frozen := frozen || 'id'::text; END IF;
  IF NEW."number" IS DISTINCT FROM OLD."number" THEN frozen := frozen || 'number'::text; END IF;
  IF NEW."function_id" IS DISTINCT FROM OLD."function_id" THEN frozen := frozen || 'function_id'::text; END IF;
  IF NEW."environment_id" IS DISTINCT FROM OLD."environment_id" THEN frozen := frozen || 'environment_id'::text; END IF;
  IF NEW."target_model_ref_id" IS DISTINCT FROM OLD."target_model_ref_id" THEN frozen := frozen || 'target_model_ref_id'::text; END IF;
  IF NEW."target_model_id" IS DISTINCT FROM OLD."target_model_id" THEN frozen := frozen || 'target_model_id'::text; END IF;
  IF NEW."base_version" IS DISTINCT FROM OLD."base_version" THEN frozen := frozen || 'base_version'::text; END IF;
  IF NEW."base_model_id" IS DISTINCT FROM OLD."base_model_id" THEN frozen := frozen || 'base_model_id'::text; END IF;
  IF NEW."reason" IS DISTINCT FROM OLD."reason" THEN frozen := frozen || 'reason'::text; END IF;
  IF NEW."evidence_run_id" IS DISTINCT FROM OLD."evidence_run_id" THEN frozen := frozen || 'evidence_run_id'::text; END IF;
  IF NEW."evidence_summary" IS DISTINCT FROM OLD."evidence_summary" THEN frozen := frozen || 'evidence_summary'::text; END IF;
  IF NEW."evidence_hash" IS DISTINCT FROM OLD."evidence_hash" THEN frozen := frozen || 'evidence_hash'::text; END IF;
  IF NEW."policy" IS DISTINCT FROM OLD."policy" THEN frozen := frozen || 'policy'::text; END IF;
  IF NEW."approvals_required" IS DISTINCT FROM OLD."approvals_required" THEN frozen := frozen || 'approvals_required'::text; END IF;
  IF NEW."requested_by_id" IS DISTINCT FROM OLD."requested_by_id" THEN frozen := frozen || 'requested_by_id'::text; END IF;
  IF NEW."requested_by_label" IS DISTINCT FROM OLD."requested_by_label" THEN frozen := frozen || 'requested_by_label'::text; END IF;
  IF NEW."created_at" IS DISTINCT FROM OLD."created_at" THEN frozen := frozen || 'created_at'::text; END IF;
  IF NEW."expires_at" IS DISTINCT FROM OLD."expires_at" THEN frozen := frozen || 'expires_at'::text; END IF;
  IF NEW."request_hash" IS DISTINCT FROM OLD."request_hash" THEN frozen := frozen || 'request_hash'::text; END IF;
  IF cardinality(frozen) > 0 THEN
    RAISE EXCEPTION 'promotion request #% is immutable: % cannot change once submitted', OLD."number", array_to_string(frozen, ', ')
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD."status" <> 'pending' THEN
    RAISE EXCEPTION 'promotion request #% is % and can no longer change', OLD."number", OLD."status"
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER promotion_requests_frozen
  BEFORE UPDATE ON "promotion_requests"
  FOR EACH ROW EXECUTE FUNCTION promotion_requests_refuse_change();

CREATE TRIGGER promotion_requests_no_delete
  BEFORE DELETE ON "promotion_requests"
  FOR EACH STATEMENT EXECUTE FUNCTION promotion_requests_refuse_change();

CREATE TRIGGER promotion_requests_no_truncate
  BEFORE TRUNCATE ON "promotion_requests"
  FOR EACH STATEMENT EXECUTE FUNCTION promotion_requests_refuse_change();
