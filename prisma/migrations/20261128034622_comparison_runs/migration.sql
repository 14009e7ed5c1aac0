-- CreateTable
CREATE TABLE "comparison_runs" (
    "id" UUID NOT NULL,
    "function_id" TEXT NOT NULL,
    "sample_set_id" UUID NOT NULL,
    "model_a" TEXT,
    "model_a_label" TEXT NOT NULL,
    "model_b" TEXT,
    "model_b_label" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "total" INTEGER NOT NULL,
    "error" TEXT,
    "created_by_id" UUID,
    "created_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "comparison_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "comparison_results" (
    "id" BIGSERIAL NOT NULL,
    "run_id" UUID NOT NULL,
    "sample_id" UUID NOT NULL,
    "side" TEXT NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "label_name" TEXT,
    "label_id" TEXT,
    "confidence" DOUBLE PRECISION,
    "label_confidences" JSONB,
    "latency_ms" INTEGER,
    "attempts" INTEGER NOT NULL,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "comparison_results_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "comparison_runs_function_id_created_at_idx" ON "comparison_runs"("function_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "comparison_runs_status_idx" ON "comparison_runs"("status");

-- CreateIndex
CREATE UNIQUE INDEX "comparison_results_run_id_sample_id_side_key" ON "comparison_results"("run_id", "sample_id", "side");

-- AddForeignKey
ALTER TABLE "comparison_runs" ADD CONSTRAINT "comparison_runs_function_id_fkey" FOREIGN KEY ("function_id") REFERENCES "functions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "comparison_runs" ADD CONSTRAINT "comparison_runs_sample_set_id_fkey" FOREIGN KEY ("sample_set_id") REFERENCES "sample_sets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "comparison_results" ADD CONSTRAINT "comparison_results_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "comparison_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "comparison_results" ADD CONSTRAINT "comparison_results_sample_id_fkey" FOREIGN KEY ("sample_id") REFERENCES "samples"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
