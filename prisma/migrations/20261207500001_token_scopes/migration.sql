-- Token scopes (issue 19): read (resolve), invoke (proxy), evaluate (models,
-- sample sets, comparisons), request (promotion requests). Existing tokens keep
-- what they could do before: read and invoke.
ALTER TABLE "api_tokens" ADD COLUMN "scopes" TEXT[] NOT NULL DEFAULT ARRAY['read', 'invoke']::TEXT[];
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_scopes_known"
  CHECK (cardinality("scopes") > 0 AND "scopes" <@ ARRAY['read', 'invoke', 'evaluate', 'request']::TEXT[]);

-- The token that opened a promotion request (null: a member or drift watch), so
-- that token, and only it, may cancel the request. Not part of the frozen hash:
-- it says who may cancel, not what was requested.
ALTER TABLE "promotion_requests" ADD COLUMN "requested_by_token_id" UUID;
ALTER TABLE "promotion_requests" ADD CONSTRAINT "promotion_requests_requested_by_token_id_fkey"
  FOREIGN KEY ("requested_by_token_id") REFERENCES "api_tokens"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
