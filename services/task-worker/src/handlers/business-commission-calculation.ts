import { calculateCommissions, PERIOD_PATTERN, periodOf } from '@latchkey/business'
import Type from 'typebox'
import { defineBusinessTask } from '../business-task.ts'

/** Commission calculation (the replaced system's "automated-commission-calculation", every 6 hours). */
export default defineBusinessTask({
  type: 'business.commission_calculation',
  description: 'Calculates the commissions of a period (YYYY-MM, default the current month) from the commission rates; one per deal and period',
  queues: ['business_processes'],
  payload: Type.Object(
    {
      period: Type.Optional(Type.String({ pattern: PERIOD_PATTERN, description: 'YYYY-MM (UTC); default the current month' })),
      org: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'One organization (id or slug); default all' })),
    },
    { additionalProperties: false },
  ),
  async run(payload, { id, services }) {
    return calculateCommissions(services.business, { taskId: id, period: payload.period ?? periodOf(new Date()), org: payload.org })
  },
})
