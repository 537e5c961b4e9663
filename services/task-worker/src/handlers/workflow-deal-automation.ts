import { runDealAutomation } from '@latchkey/business'
import Type from 'typebox'
import { defineBusinessTask } from '../business-task.ts'

/** Deal workflow automation (the replaced system's hourly "automated workflow maintenance"). */
export default defineBusinessTask({
  type: 'workflow.deal_automation',
  description: 'Advances open deals by the workflow rules (one stage per run at most) and records each move in the stage history',
  queues: ['workflow'],
  payload: Type.Object({ org: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'One organization (id or slug); default all' })) }, { additionalProperties: false }),
  maxAttempts: 5,
  async run(payload, { id, services }) {
    return runDealAutomation(services.business, { taskId: id, org: payload.org, now: new Date() })
  },
})
