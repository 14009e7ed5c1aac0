-- CreateTable
CREATE TABLE "promotion_requests" (
    "id" UUID NOT NULL,
    "number" SERIAL NOT NULL,
    "function_id" TEXT NOT NULL,
    "environment_id" UUID NOT NULL,
    "target_model_ref_id" UUID,
    "target_model_id" TEXT,
    "base_version" INTEGER NOT NULL,
    "base_model_id" TEXT,
    "reason" TEXT NOT NULL,
    "evidence_run_id" UUID,
    "evidence_summary" JSONB,
    "evidence_hash" TEXT,
    "policy" JSONB NOT NULL,
    "approvals_required" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "status_reason" TEXT,
    "requested_by_id" UUID,
    "requested_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "closed_at" TIMESTAMPTZ(3),
    "applied_version" INTEGER,

    CONSTRAINT "promotion_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion_decisions" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "user_label" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "comment" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "promotion_decisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhooks" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "secret_ciphertext" TEXT NOT NULL,
    "events" TEXT[],
    "format" TEXT NOT NULL DEFAULT 'json',
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_by_id" UUID,
    "created_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_events" (
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "function_id" TEXT,
    "environment_id" UUID,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dispatched_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "webhook_id" UUID NOT NULL,
    "event_id" UUID,
    "event_type" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "duration_ms" INTEGER,
    "response_body" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "environment_id" UUID NOT NULL,
    "prefix" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "created_by_id" UUID,
    "created_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "proxy_usage" (
    "token_id" UUID NOT NULL,
    "function_id" TEXT NOT NULL,
    "model_id" TEXT NOT NULL,
    "environment_id" UUID NOT NULL,
    "calls" BIGINT NOT NULL DEFAULT 0,
    "error_calls" BIGINT NOT NULL DEFAULT 0,
    "first_at" TIMESTAMPTZ(3) NOT NULL,
    "last_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "proxy_usage_pkey" PRIMARY KEY ("token_id","function_id","model_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "promotion_requests_number_key" ON "promotion_requests"("number");

-- CreateIndex
CREATE INDEX "promotion_requests_status_environment_id_idx" ON "promotion_requests"("status", "environment_id");

-- CreateIndex
CREATE INDEX "promotion_requests_function_id_created_at_idx" ON "promotion_requests"("function_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "promotion_requests_status_expires_at_idx" ON "promotion_requests"("status", "expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "promotion_decisions_request_id_user_id_key" ON "promotion_decisions"("request_id", "user_id");

-- CreateIndex
CREATE INDEX "webhook_events_dispatched_at_created_at_idx" ON "webhook_events"("dispatched_at", "created_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_webhook_id_created_at_idx" ON "webhook_deliveries"("webhook_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "api_tokens_environment_id_idx" ON "api_tokens"("environment_id");

-- CreateIndex
CREATE INDEX "proxy_usage_function_id_environment_id_idx" ON "proxy_usage"("function_id", "environment_id");

-- AddForeignKey
ALTER TABLE "promotion_requests" ADD CONSTRAINT "promotion_requests_function_id_fkey" FOREIGN KEY ("function_id") REFERENCES "functions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion_requests" ADD CONSTRAINT "promotion_requests_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion_requests" ADD CONSTRAINT "promotion_requests_evidence_run_id_fkey" FOREIGN KEY ("evidence_run_id") REFERENCES "comparison_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion_decisions" ADD CONSTRAINT "promotion_decisions_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "promotion_requests"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "webhook_events"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "proxy_usage" ADD CONSTRAINT "proxy_usage_token_id_fkey" FOREIGN KEY ("token_id") REFERENCES "api_tokens"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Cache invalidation across instances (issue 7): every change to a pin, an API
-- token or an environment is announced on channel "modelpin_changes" at commit.
-- Payload: {"table": …, "op": …, "id": …} (id of the changed row, as text).
CREATE FUNCTION modelpin_notify_change() RETURNS trigger AS $$
DECLARE
  row_id TEXT;
BEGIN
  IF TG_OP = 'DELETE' THEN
    row_id := OLD.id::text;
  ELSE
    row_id := NEW.id::text;
  END IF;
  PERFORM pg_notify('modelpin_changes', json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'id', row_id)::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER pins_notify_change AFTER INSERT OR UPDATE OR DELETE ON "pins"
  FOR EACH ROW EXECUTE FUNCTION modelpin_notify_change();
CREATE TRIGGER api_tokens_notify_change AFTER INSERT OR UPDATE OF "revoked_at", "expires_at", "environment_id", "token_hash" OR DELETE ON "api_tokens"
  FOR EACH ROW EXECUTE FUNCTION modelpin_notify_change();
CREATE TRIGGER environments_notify_change AFTER INSERT OR UPDATE OR DELETE ON "environments"
  FOR EACH ROW EXECUTE FUNCTION modelpin_notify_change();
