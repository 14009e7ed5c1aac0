-- CreateTable
CREATE TABLE "sample_sets" (
    "id" UUID NOT NULL,
    "function_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "sample_count" INTEGER NOT NULL,
    "labeled_count" INTEGER NOT NULL,
    "duplicate_count" INTEGER NOT NULL,
    "rejected_count" INTEGER NOT NULL,
    "total_bytes" INTEGER NOT NULL,
    "kinds" TEXT[],
    "created_by_id" UUID,
    "created_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "sample_sets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "samples" (
    "id" UUID NOT NULL,
    "sample_set_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "text" TEXT,
    "url" TEXT,
    "tabular" JSONB,
    "image_bytes" BYTEA,
    "mime_type" TEXT,
    "file_name" TEXT,
    "label" TEXT,
    "content_hash" TEXT NOT NULL,
    "source_row" INTEGER NOT NULL,
    "source" TEXT,

    CONSTRAINT "samples_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sample_sets_function_id_deleted_at_idx" ON "sample_sets"("function_id", "deleted_at");

-- CreateIndex
CREATE UNIQUE INDEX "samples_sample_set_id_content_hash_key" ON "samples"("sample_set_id", "content_hash");

-- CreateIndex
CREATE UNIQUE INDEX "samples_sample_set_id_position_key" ON "samples"("sample_set_id", "position");

-- AddForeignKey
ALTER TABLE "sample_sets" ADD CONSTRAINT "sample_sets_function_id_fkey" FOREIGN KEY ("function_id") REFERENCES "functions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "samples" ADD CONSTRAINT "samples_sample_set_id_fkey" FOREIGN KEY ("sample_set_id") REFERENCES "sample_sets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
