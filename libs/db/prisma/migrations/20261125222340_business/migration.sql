-- CreateTable
CREATE TABLE "deals" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "owner_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "stage" TEXT NOT NULL DEFAULT 'lead',
    "verification_status" TEXT NOT NULL DEFAULT 'unverified',
    "verification_requested_at" TIMESTAMPTZ(3),
    "verified_at" TIMESTAMPTZ(3),
    "stage_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deal_stage_history" (
    "id" BIGSERIAL NOT NULL,
    "deal_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "from_stage" TEXT,
    "to_stage" TEXT NOT NULL,
    "rule" TEXT,
    "changed_by" TEXT,
    "task_id" UUID,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deal_stage_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commission_rates" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "user_id" TEXT,
    "rate" DECIMAL(6,4) NOT NULL,
    "valid_from" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commission_rates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commissions" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "deal_id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "deal_amount" DECIMAL(14,2) NOT NULL,
    "rate" DECIMAL(6,4) NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "task_id" UUID,
    "calculated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commissions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notifications" (
    "id" UUID NOT NULL,
    "org_id" UUID,
    "user_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "message_id" TEXT,

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uploaded_files" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "uploaded_by" TEXT,
    "size_bytes" BIGINT,
    "checksum_sha256" TEXT,
    "mime_type" TEXT,
    "row_count" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "processed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "uploaded_files_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "health_checks" (
    "id" BIGSERIAL NOT NULL,
    "task_id" UUID,
    "healthy" BOOLEAN NOT NULL,
    "components" JSONB NOT NULL,
    "checked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "health_checks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "deals_org_id_stage_idx" ON "deals"("org_id", "stage");

-- CreateIndex
CREATE INDEX "deals_org_id_owner_id_idx" ON "deals"("org_id", "owner_id");

-- CreateIndex
CREATE INDEX "deals_verification_status_verification_requested_at_idx" ON "deals"("verification_status", "verification_requested_at");

-- CreateIndex
CREATE INDEX "deal_stage_history_org_id_changed_at_idx" ON "deal_stage_history"("org_id", "changed_at");

-- CreateIndex
CREATE UNIQUE INDEX "deal_stage_history_deal_id_task_id_key" ON "deal_stage_history"("deal_id", "task_id");

-- CreateIndex
CREATE INDEX "commission_rates_org_id_user_id_valid_from_idx" ON "commission_rates"("org_id", "user_id", "valid_from");

-- CreateIndex
CREATE INDEX "commissions_org_id_period_idx" ON "commissions"("org_id", "period");

-- CreateIndex
CREATE UNIQUE INDEX "commissions_deal_id_period_key" ON "commissions"("deal_id", "period");

-- CreateIndex
CREATE UNIQUE INDEX "notifications_dedupe_key_key" ON "notifications"("dedupe_key");

-- CreateIndex
CREATE INDEX "notifications_user_id_created_at_idx" ON "notifications"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "notifications_sent_at_created_at_idx" ON "notifications"("sent_at", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "uploaded_files_org_id_path_key" ON "uploaded_files"("org_id", "path");

-- CreateIndex
CREATE UNIQUE INDEX "health_checks_task_id_key" ON "health_checks"("task_id");

-- CreateIndex
CREATE INDEX "health_checks_checked_at_idx" ON "health_checks"("checked_at");

-- AddForeignKey
ALTER TABLE "deal_stage_history" ADD CONSTRAINT "deal_stage_history_deal_id_fkey" FOREIGN KEY ("deal_id") REFERENCES "deals"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_deal_id_fkey" FOREIGN KEY ("deal_id") REFERENCES "deals"("id") ON DELETE CASCADE ON UPDATE CASCADE;
