import { DEAL_STAGES, VERIFICATION_STATUSES } from '@latchkey/business'
import Type, { type Static } from 'typebox'

// The example application's HTTP vocabulary: request validation, response serialization, OpenAPI.

const literals = <T extends string>(values: readonly T[], description: string) => Type.Union(values.map((v) => Type.Literal(v)), { description })

export const OrgSlug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'Organization slug (as in the platform)' })
export const UserId = Type.String({ pattern: '^[A-Za-z0-9_.@:-]{1,128}$', description: 'A user id (as in the platform)' })
export const Amount = Type.String({ pattern: '^[0-9]{1,12}(\\.[0-9]{1,2})?$', description: 'A decimal amount with up to 2 places, e.g. "12500.00"' })
export const Revision = Type.String({ pattern: '^[0-9]+$', description: 'The organization’s revision after the write (pass it back as atLeastRevision)' })
export const DealStage = literals(DEAL_STAGES, 'Deal stage')
export const VerificationStatus = literals(VERIFICATION_STATUSES, 'Verification status')

export const OrgParams = Type.Object({ org: OrgSlug })
/** The acting user (no authentication yet: the header is trusted); checked before validation, 401 without it. */
export const ActingUserHeaders = Type.Object({ 'x-user-id': UserId })
export const DealParams = Type.Object({ org: OrgSlug, deal: Type.String({ format: 'uuid', description: 'Deal id' }) })
export const RevisionQuery = Type.Object({
  atLeastRevision: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'Answer from a state at least this new (a revision a write answered)' })),
})
export const DealStatsQuery = Type.Object({ owner: Type.Optional(UserId), ...RevisionQuery.properties })
export const ListDealsQuery = Type.Object({
  owner: Type.Optional(UserId),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
})

export const CreateDealBody = Type.Object(
  { title: Type.String({ minLength: 1, maxLength: 200 }), amount: Amount, owner: Type.Optional(UserId) },
  { additionalProperties: false },
)
export const UpdateDealBody = Type.Object(
  { stage: Type.Optional(DealStage), verificationStatus: Type.Optional(VerificationStatus) },
  { additionalProperties: false, minProperties: 1 },
)
export const CommissionRateBody = Type.Object(
  {
    rate: Type.String({ pattern: '^(0(\\.[0-9]{1,4})?|1(\\.0{1,4})?)$', description: 'A fraction: "0.05" is 5 %' }),
    user: Type.Optional(UserId),
  },
  { additionalProperties: false },
)

const Timestamp = Type.String({ description: 'ISO 8601' })
export const Deal = Type.Object({
  id: Type.String(),
  orgId: Type.String(),
  ownerId: Type.String(),
  title: Type.String(),
  amount: Type.String(),
  stage: Type.String(),
  verificationStatus: Type.String(),
  verificationRequestedAt: Type.Union([Timestamp, Type.Null()]),
  stageChangedAt: Timestamp,
  closedAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
})
export const EnqueuedTask = Type.Object({ id: Type.String(), type: Type.String(), status: Type.String() })
export const DealWrite = Type.Object({
  deal: Deal,
  revision: Revision,
  tasks: Type.Array(EnqueuedTask, { description: 'The background tasks the write enqueued (see GET /v1/tasks/:id on the platform)' }),
})
export const DealList = Type.Object({ items: Type.Array(Deal) })

const StageFigures = Type.Object({ count: Type.Integer(), amount: Type.String() })
export const DealStats = Type.Object({
  orgId: Type.String(),
  ownerId: Type.Union([Type.String(), Type.Null()]),
  total: Type.Integer(),
  byStage: Type.Object(Object.fromEntries(DEAL_STAGES.map((stage) => [stage, StageFigures]))),
  byVerification: Type.Object(Object.fromEntries(VERIFICATION_STATUSES.map((status) => [status, Type.Integer()]))),
  pipelineAmount: Type.String(),
  wonAmount: Type.String(),
})
export const Dashboard = Type.Object({
  orgId: Type.String(),
  deals: Type.Object({ open: Type.Integer(), won: Type.Integer(), lost: Type.Integer(), pipelineAmount: Type.String(), wonAmount: Type.String() }),
  verification: Type.Object({ pending: Type.Integer(), verified: Type.Integer(), rejected: Type.Integer() }),
  commissions: Type.Object({ period: Type.String(), count: Type.Integer(), amount: Type.String() }),
  files: Type.Object({ pending: Type.Integer(), processed: Type.Integer(), failed: Type.Integer(), rows: Type.Integer() }),
  recentStageChanges: Type.Array(
    Type.Object({
      dealId: Type.String(),
      title: Type.String(),
      from: Type.Union([Type.String(), Type.Null()]),
      to: Type.String(),
      rule: Type.Union([Type.String(), Type.Null()]),
      at: Timestamp,
    }),
  ),
})
export const Figures = <T extends typeof DealStats | typeof Dashboard>(figures: T) =>
  Type.Object({ figures, revision: Type.String({ description: 'The organization’s revision the figures are current at' }) })
export const CommissionRate = Type.Object({ orgId: Type.String(), user: Type.Union([UserId, Type.Null()]), rate: Type.String(), validFrom: Timestamp })

export const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

/** The error answers a route may give (400, 401 and 403 always), for OpenAPI and serialization. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries([400, 401, 403, 503, ...codes].map((code) => [code, ErrorBody]))
}

export type CreateDealInput = Static<typeof CreateDealBody>
export type UpdateDealInput = Static<typeof UpdateDealBody>
