import type { HttpServer } from '@latchkey/http'
import { ValidationError } from '@latchkey/errors'
import Type from 'typebox'
import { deleteSchedule, listRuns, listSchedules, pauseSchedule, putSchedule, resumeSchedule, triggerSchedule } from '../commands/schedules.ts'
import type { SchedulerContext } from '../context.ts'
import { ScheduleSpecSchema } from '../schedule/definition.ts'
import { RunSchema, ScheduleSchema } from '../schedule/views.ts'
import { errorResponses, RunsQuery, ScheduleParams } from './schemas.ts'

const toRunView = (run: { tick: Date; firedAt: Date; taskId: string; status: string }) => ({
  tick: run.tick.toISOString(),
  firedAt: run.firedAt.toISOString(),
  taskId: run.taskId,
  status: run.status,
})

export function scheduleRoutes(server: HttpServer, ctx: SchedulerContext): void {
  server.get(
    '/v1/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Every schedule, and whether this replica is the leader (the one that fires ticks now)',
        response: { 200: Type.Object({ items: Type.Array(ScheduleSchema), leader: Type.Boolean() }) },
      },
    },
    async () => listSchedules(ctx),
  )
  server.put(
    '/v1/schedules/:name',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Creates (201) or replaces (200) a schedule',
        params: ScheduleParams,
        body: ScheduleSpecSchema,
        response: { 200: ScheduleSchema, 201: ScheduleSchema, ...errorResponses(413) },
      },
    },
    async (request, reply) => {
      const { schedule, created } = await putSchedule(ctx, request.params.name, request.body)
      return reply.code(created ? 201 : 200).send(schedule)
    },
  )
  server.delete(
    '/v1/schedules/:name',
    { schema: { tags: ['schedules'], params: ScheduleParams, response: { 204: Type.Null(), ...errorResponses(404) } } },
    async (request, reply) => {
      await deleteSchedule(ctx, request.params.name)
      return reply.code(204).send(null)
    },
  )
  server.post(
    '/v1/schedules/:name/pause',
    { schema: { tags: ['schedules'], summary: 'Pauses a schedule: its ticks are skipped until it resumes', params: ScheduleParams, response: { 200: ScheduleSchema, ...errorResponses(404) } } },
    async (request) => pauseSchedule(ctx, request.params.name),
  )
  server.post(
    '/v1/schedules/:name/resume',
    { schema: { tags: ['schedules'], summary: 'Resumes a schedule from its next tick', params: ScheduleParams, response: { 200: ScheduleSchema, ...errorResponses(404) } } },
    async (request) => resumeSchedule(ctx, request.params.name),
  )
  server.post(
    '/v1/schedules/:name/trigger',
    { schema: { tags: ['schedules'], summary: 'Fires a schedule now (its own ticks are unchanged)', params: ScheduleParams, response: { 202: RunSchema, ...errorResponses(404, 503) } } },
    async (request, reply) => reply.code(202).send(toRunView(await triggerSchedule(ctx, request.params.name))),
  )
  server.get(
    '/v1/schedules/:name/runs',
    { schema: { tags: ['schedules'], summary: 'Runs of a schedule, newest first', params: ScheduleParams, querystring: RunsQuery, response: { 200: Type.Object({ items: Type.Array(RunSchema) }), ...errorResponses(404) } } },
    async (request) => {
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit)
      if (limit < 1 || limit > 1000) throw new ValidationError(`limit must be from 1 to 1000, got ${request.query.limit}`)
      return { items: (await listRuns(ctx, request.params.name, limit)).map(toRunView) }
    },
  )
}
