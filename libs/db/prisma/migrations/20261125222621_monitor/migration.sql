-- CreateTable
CREATE TABLE "alert_rule_overrides" (
    "name" TEXT NOT NULL,
    "threshold" DOUBLE PRECISION,
    "for_text" TEXT,
    "cooldown" TEXT,
    "max_per_hour" INTEGER,
    "enabled" BOOLEAN,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_rule_overrides_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "alert_episodes" (
    "id" BIGSERIAL NOT NULL,
    "rule" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "peak_value" DOUBLE PRECISION NOT NULL,
    "last_value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "alert_episodes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metric_samples" (
    "series" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "metric_samples_pkey" PRIMARY KEY ("series","at")
);

-- CreateTable
CREATE TABLE "metric_rollups" (
    "series" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "avg" DOUBLE PRECISION NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "samples" INTEGER NOT NULL,

    CONSTRAINT "metric_rollups_pkey" PRIMARY KEY ("series","hour")
);

-- CreateIndex
CREATE INDEX "alert_episodes_started_at_idx" ON "alert_episodes"("started_at");

-- CreateIndex
CREATE INDEX "alert_episodes_ended_at_idx" ON "alert_episodes"("ended_at");

-- CreateIndex
CREATE INDEX "metric_samples_at_idx" ON "metric_samples"("at");

-- CreateIndex
CREATE INDEX "metric_rollups_metric_hour_idx" ON "metric_rollups"("metric", "hour");
