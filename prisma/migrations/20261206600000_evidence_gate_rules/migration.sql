-- The evidence gate's further rules (issue 13): applied only where min_agreement_pct is set.
ALTER TABLE "environments"
  ADD COLUMN "min_answered_samples" INTEGER NOT NULL DEFAULT 30,
  ADD COLUMN "max_error_pct" DOUBLE PRECISION NOT NULL DEFAULT 5,
  ADD COLUMN "gate_lower_bound" BOOLEAN NOT NULL DEFAULT false,
  ADD CONSTRAINT "environments_min_answered_samples_check" CHECK ("min_answered_samples" BETWEEN 1 AND 1000000),
  ADD CONSTRAINT "environments_max_error_pct_check" CHECK ("max_error_pct" BETWEEN 0 AND 100);
