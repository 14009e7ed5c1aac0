-- The deployment-wide Nyckel budget (docs/budget.md): one lease row per live process,
-- renewed every NYCKEL_BUDGET_RENEW_MS, and one state row for the shared back-off factor.

-- CreateTable
CREATE TABLE "nyckel_budget_leases" (
    "process_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "serves" BOOLEAN NOT NULL,
    "demand" JSONB NOT NULL,
    "granted_rate" INTEGER NOT NULL DEFAULT 0,
    "granted_concurrency" INTEGER NOT NULL DEFAULT 0,
    "classes" JSONB NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "renewed_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "nyckel_budget_leases_pkey" PRIMARY KEY ("process_id")
);

-- CreateTable
CREATE TABLE "nyckel_budget_state" (
    "id" INTEGER NOT NULL,
    "factor" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "decreased_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "nyckel_budget_state_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "proxy_usage" ADD COLUMN "budget_refused_calls" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "nyckel_429_calls" BIGINT NOT NULL DEFAULT 0;

-- The one state row.
INSERT INTO "nyckel_budget_state" ("id") VALUES (1);
