-- CreateTable
CREATE TABLE "tasks" (
    "id" UUID NOT NULL,
    "queue" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "priority" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "payload" JSONB,
    "idempotency_key" TEXT,
    "max_attempts" INTEGER,
    "backoff_base_ms" INTEGER,
    "backoff_max_ms" INTEGER,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "phase" SMALLINT NOT NULL DEFAULT 0,
    "dispatch_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "result" JSONB,
    "error" TEXT,
    "attempt_log" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tasks_idempotency_key_key" ON "tasks"("idempotency_key");

-- CreateIndex
CREATE INDEX "tasks_created_at_idx" ON "tasks"("created_at");

-- CreateIndex
CREATE INDEX "tasks_queue_created_at_idx" ON "tasks"("queue", "created_at");

-- CreateIndex
CREATE INDEX "tasks_status_created_at_idx" ON "tasks"("status", "created_at");

-- CreateIndex
CREATE INDEX "tasks_dispatch_at_idx" ON "tasks"("dispatch_at");
