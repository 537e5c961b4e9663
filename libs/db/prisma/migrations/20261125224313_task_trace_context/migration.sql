-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "trace_context" JSONB;
