-- CreateTable
CREATE TABLE "schedules" (
    "name" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL,
    "queue" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "priority" TEXT NOT NULL,
    "payload" JSONB,
    "missed_policy" TEXT NOT NULL DEFAULT 'skip',
    "no_overlap" BOOLEAN NOT NULL DEFAULT false,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "origin" TEXT NOT NULL,
    "high_water" TIMESTAMPTZ(3) NOT NULL,
    "last_run_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schedules_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "schedule_runs" (
    "schedule_name" TEXT NOT NULL,
    "tick" TIMESTAMPTZ(3) NOT NULL,
    "fired_at" TIMESTAMPTZ(3) NOT NULL,
    "task_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,

    CONSTRAINT "schedule_runs_pkey" PRIMARY KEY ("schedule_name","tick")
);

-- CreateIndex
CREATE INDEX "schedule_runs_fired_at_idx" ON "schedule_runs"("fired_at");

-- AddForeignKey
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_name_fkey" FOREIGN KEY ("schedule_name") REFERENCES "schedules"("name") ON DELETE CASCADE ON UPDATE CASCADE;
