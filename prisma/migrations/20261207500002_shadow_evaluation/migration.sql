-- Shadow evaluation (issue 18): shadows, their recorded mirrored requests, hourly aggregates, the reservoir of disagreeing inputs, snapshots frozen as promotion evidence.
-- AlterTable
ALTER TABLE "promotion_requests" ADD COLUMN     "evidence_shadow_snapshot_id" UUID;

-- CreateTable
CREATE TABLE "shadows" (
    "id" UUID NOT NULL,
    "function_id" TEXT NOT NULL,
    "environment_id" UUID NOT NULL,
    "candidate_model_ref_id" UUID NOT NULL,
    "candidate_model_id" TEXT NOT NULL,
    "share_pct" INTEGER NOT NULL,
    "max_per_second" INTEGER NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "keep_inputs" BOOLEAN NOT NULL DEFAULT false,
    "reason" TEXT NOT NULL DEFAULT '',
    "created_by_id" UUID,
    "created_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "stopped_at" TIMESTAMPTZ(3),
    "stopped_by_label" TEXT,
    "disagreements_seen" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "shadows_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shadow_records" (
    "id" BIGSERIAL NOT NULL,
    "shadow_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "served_model_id" TEXT NOT NULL,
    "served_label" TEXT,
    "served_confidence" DOUBLE PRECISION,
    "served_latency_ms" DOUBLE PRECISION NOT NULL,
    "candidate_label" TEXT,
    "candidate_confidence" DOUBLE PRECISION,
    "candidate_latency_ms" DOUBLE PRECISION,
    "error" TEXT,
    "input_sha256" TEXT NOT NULL,

    CONSTRAINT "shadow_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shadow_hours" (
    "shadow_id" UUID NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "seen" INTEGER NOT NULL DEFAULT 0,
    "sampled" INTEGER NOT NULL DEFAULT 0,
    "dropped_budget" INTEGER NOT NULL DEFAULT 0,
    "dropped_too_large" INTEGER NOT NULL DEFAULT 0,
    "dropped_cap" INTEGER NOT NULL DEFAULT 0,
    "mirrored" INTEGER NOT NULL DEFAULT 0,
    "answered" INTEGER NOT NULL DEFAULT 0,
    "agree" INTEGER NOT NULL DEFAULT 0,
    "served_errors" INTEGER NOT NULL DEFAULT 0,
    "candidate_errors" INTEGER NOT NULL DEFAULT 0,
    "confidence_delta_sum" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "confidence_delta_n" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "shadow_hours_pkey" PRIMARY KEY ("shadow_id","hour")
);

-- CreateTable
CREATE TABLE "shadow_hour_pairs" (
    "shadow_id" UUID NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "served_label" TEXT NOT NULL,
    "candidate_label" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "shadow_hour_pairs_pkey" PRIMARY KEY ("shadow_id","hour","served_label","candidate_label")
);

-- CreateTable
CREATE TABLE "shadow_latencies" (
    "shadow_id" UUID NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "side" TEXT NOT NULL,
    "bucket" INTEGER NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "shadow_latencies_pkey" PRIMARY KEY ("shadow_id","hour","side","bucket")
);

-- CreateTable
CREATE TABLE "shadow_reservoir_inputs" (
    "shadow_id" UUID NOT NULL,
    "slot" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "input_sha256" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "body" BYTEA NOT NULL,
    "query" TEXT NOT NULL DEFAULT '',
    "served_label" TEXT,
    "candidate_label" TEXT,

    CONSTRAINT "shadow_reservoir_inputs_pkey" PRIMARY KEY ("shadow_id","slot")
);

-- CreateTable
CREATE TABLE "shadow_snapshots" (
    "id" UUID NOT NULL,
    "shadow_id" UUID NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "window_end" TIMESTAMPTZ(3) NOT NULL,
    "served_model_id" TEXT,
    "candidate_model_id" TEXT NOT NULL,
    "mirrored" INTEGER NOT NULL,
    "answered" INTEGER NOT NULL,
    "agree" INTEGER NOT NULL,
    "summary" JSONB NOT NULL,
    "summary_hash" TEXT NOT NULL,
    "created_by_id" UUID,
    "created_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shadow_snapshots_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "shadows_function_id_environment_id_created_at_idx" ON "shadows"("function_id", "environment_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "shadow_records_shadow_id_at_idx" ON "shadow_records"("shadow_id", "at");

-- CreateIndex
CREATE INDEX "shadow_snapshots_shadow_id_created_at_idx" ON "shadow_snapshots"("shadow_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "promotion_requests" ADD CONSTRAINT "promotion_requests_evidence_shadow_snapshot_id_fkey" FOREIGN KEY ("evidence_shadow_snapshot_id") REFERENCES "shadow_snapshots"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadows" ADD CONSTRAINT "shadows_function_id_fkey" FOREIGN KEY ("function_id") REFERENCES "functions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadows" ADD CONSTRAINT "shadows_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadows" ADD CONSTRAINT "shadows_candidate_model_ref_id_fkey" FOREIGN KEY ("candidate_model_ref_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_records" ADD CONSTRAINT "shadow_records_shadow_id_fkey" FOREIGN KEY ("shadow_id") REFERENCES "shadows"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_hours" ADD CONSTRAINT "shadow_hours_shadow_id_fkey" FOREIGN KEY ("shadow_id") REFERENCES "shadows"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_hour_pairs" ADD CONSTRAINT "shadow_hour_pairs_shadow_id_fkey" FOREIGN KEY ("shadow_id") REFERENCES "shadows"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_latencies" ADD CONSTRAINT "shadow_latencies_shadow_id_fkey" FOREIGN KEY ("shadow_id") REFERENCES "shadows"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_reservoir_inputs" ADD CONSTRAINT "shadow_reservoir_inputs_shadow_id_fkey" FOREIGN KEY ("shadow_id") REFERENCES "shadows"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_snapshots" ADD CONSTRAINT "shadow_snapshots_shadow_id_fkey" FOREIGN KEY ("shadow_id") REFERENCES "shadows"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Settings in range (the service validates them first, with clear messages).
ALTER TABLE "shadows" ADD CONSTRAINT "shadows_share_pct_check" CHECK ("share_pct" BETWEEN 1 AND 100),
ADD CONSTRAINT "shadows_max_per_second_check" CHECK ("max_per_second" BETWEEN 1 AND 1000);

-- At most one shadow not stopped per function and environment.
CREATE UNIQUE INDEX "shadows_one_active" ON "shadows"("function_id", "environment_id") WHERE "stopped_at" IS NULL;

-- Each process's proxy keeps the shadows in memory (lib/shadow/cache.ts): a change is announced at commit.
CREATE OR REPLACE FUNCTION shadows_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('modelpin_shadows', COALESCE(NEW."id", OLD."id")::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER shadows_notify
  AFTER INSERT OR UPDATE OR DELETE ON "shadows"
  FOR EACH ROW EXECUTE FUNCTION shadows_notify_change();

-- A request's shadow evidence is frozen like its run evidence (20261207310000_promotion_request_immutable).
CREATE OR REPLACE FUNCTION promotion_requests_refuse_shadow_evidence_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."evidence_shadow_snapshot_id" IS DISTINCT FROM OLD."evidence_shadow_snapshot_id" THEN
    RAISE EXCEPTION 'promotion request #% is immutable: evidence_shadow_snapshot_id cannot change once submitted', OLD."number"
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER promotion_requests_shadow_evidence_frozen
  BEFORE UPDATE ON "promotion_requests"
  FOR EACH ROW EXECUTE FUNCTION promotion_requests_refuse_shadow_evidence_change();
