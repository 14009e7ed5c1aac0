-- Sign-in throttling and password changes (issue 13, item 2).

-- Every session carries its member's epoch; a password change or reset replaces it, ending the other sessions.
-- The session that changed its own password is kept (by its random session id).
ALTER TABLE "users"
  ADD COLUMN "session_epoch" UUID NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN "must_change_password" BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN "kept_session_id" UUID;

-- Failures per rule within a 15-minute window, shared by every instance (lib/auth/throttle.ts).
CREATE TABLE "sign_in_throttle" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "failures" INTEGER NOT NULL,
    "blocked_until" TIMESTAMPTZ(3),

    CONSTRAINT "sign_in_throttle_pkey" PRIMARY KEY ("scope","key"),
    CONSTRAINT "sign_in_throttle_scope_check" CHECK ("scope" IN ('pair', 'address', 'account'))
);

CREATE INDEX "sign_in_throttle_window_start_idx" ON "sign_in_throttle"("window_start");
