-- Drift watch (issue 16): golden sets, watch per environment, drift evaluations, the answer cache, reused results.
-- AlterTable
ALTER TABLE "comparison_results" ADD COLUMN     "reused" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "environments" ADD COLUMN     "watch_new_models" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "drift_significance" DOUBLE PRECISION NOT NULL DEFAULT 0.05,
ADD CONSTRAINT "environments_drift_significance_check" CHECK ("drift_significance" > 0 AND "drift_significance" < 0.5);

-- AlterTable
ALTER TABLE "functions" ADD COLUMN     "golden_sample_set_id" UUID,
ADD COLUMN     "latest_probe_at" TIMESTAMPTZ(3),
ADD COLUMN     "latest_probe_hash" TEXT;

-- CreateTable
CREATE TABLE "drift_evaluations" (
    "id" UUID NOT NULL,
    "function_id" TEXT NOT NULL,
    "environment_id" UUID NOT NULL,
    "trigger" TEXT NOT NULL,
    "candidate_model_id" TEXT,
    "base_version" INTEGER NOT NULL,
    "base_model_id" TEXT,
    "sample_set_id" UUID NOT NULL,
    "run_id" UUID,
    "status" TEXT NOT NULL,
    "verdict" TEXT,
    "request_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMPTZ(3),

    CONSTRAINT "drift_evaluations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_answers" (
    "function_id" TEXT NOT NULL,
    "model_id" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "options_key" TEXT NOT NULL,
    "label_name" TEXT,
    "label_id" TEXT,
    "confidence" DOUBLE PRECISION,
    "label_confidences" JSONB,
    "latency_ms" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_answers_pkey" PRIMARY KEY ("function_id","model_id","content_hash","options_key")
);

-- CreateIndex
CREATE INDEX "drift_evaluations_function_id_environment_id_created_at_idx" ON "drift_evaluations"("function_id", "environment_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "drift_evaluations_status_idx" ON "drift_evaluations"("status");

-- AddForeignKey
ALTER TABLE "functions" ADD CONSTRAINT "functions_golden_sample_set_id_fkey" FOREIGN KEY ("golden_sample_set_id") REFERENCES "sample_sets"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "drift_evaluations" ADD CONSTRAINT "drift_evaluations_function_id_fkey" FOREIGN KEY ("function_id") REFERENCES "functions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "drift_evaluations" ADD CONSTRAINT "drift_evaluations_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "drift_evaluations" ADD CONSTRAINT "drift_evaluations_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "comparison_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "drift_evaluations" ADD CONSTRAINT "drift_evaluations_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "promotion_requests"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_answers" ADD CONSTRAINT "model_answers_function_id_fkey" FOREIGN KEY ("function_id") REFERENCES "functions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Never two evaluations of the same model for the same function and environment under way at once.
CREATE UNIQUE INDEX "drift_evaluations_one_running" ON "drift_evaluations"("function_id", "environment_id", COALESCE("candidate_model_id", ''))
  WHERE "status" = 'running';
