-- DropIndex
DROP INDEX "audit_events_action_id_idx";

-- DropIndex
DROP INDEX "audit_events_actor_id_id_idx";

-- DropIndex
DROP INDEX "audit_events_environment_id_id_idx";

-- DropIndex
DROP INDEX "audit_events_function_id_id_idx";

-- CreateTable
CREATE TABLE "pin_revisions" (
    "id" UUID NOT NULL,
    "environment_id" UUID NOT NULL,
    "function_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "model_ref_id" UUID,
    "model_id" TEXT,
    "reason" TEXT NOT NULL,
    "break_glass" BOOLEAN NOT NULL DEFAULT false,
    "restored_version" INTEGER,
    "actor_id" UUID,
    "actor_label" TEXT NOT NULL,
    "audit_event_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pin_revisions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "pin_revisions_environment_id_function_id_version_key" ON "pin_revisions"("environment_id", "function_id", "version");

-- CreateIndex
CREATE INDEX "audit_events_function_id_created_at_id_idx" ON "audit_events"("function_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_environment_id_created_at_id_idx" ON "audit_events"("environment_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_actor_id_created_at_id_idx" ON "audit_events"("actor_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_action_created_at_id_idx" ON "audit_events"("action", "created_at" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "pin_revisions" ADD CONSTRAINT "pin_revisions_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pin_revisions" ADD CONSTRAINT "pin_revisions_function_id_fkey" FOREIGN KEY ("function_id") REFERENCES "functions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pin_revisions" ADD CONSTRAINT "pin_revisions_model_ref_id_fkey" FOREIGN KEY ("model_ref_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pin_revisions" ADD CONSTRAINT "pin_revisions_actor_id_fkey" FOREIGN KEY ("actor_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Pin history is append-only, like the audit log: the database refuses
-- UPDATE, DELETE and TRUNCATE on pin_revisions (statement-level triggers).
CREATE OR REPLACE FUNCTION pin_revisions_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'pin_revisions is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER pin_revisions_no_update
  BEFORE UPDATE ON pin_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION pin_revisions_refuse_change();

CREATE TRIGGER pin_revisions_no_delete
  BEFORE DELETE ON pin_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION pin_revisions_refuse_change();

CREATE TRIGGER pin_revisions_no_truncate
  BEFORE TRUNCATE ON pin_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION pin_revisions_refuse_change();
