-- Model ids checked with Nyckel (issue 17 item 2): when Nyckel last answered with the id, or why it could not be verified.
-- AlterTable
ALTER TABLE "models" ADD COLUMN     "verification_note" TEXT,
ADD COLUMN     "verified_at" TIMESTAMPTZ(3);

-- Ids a sync discovered came from Nyckel itself.
UPDATE "models" SET "verified_at" = "created_at" WHERE "discovered";
