import Type from 'typebox'

export const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

/** The error answers a route may give, for its OpenAPI description and response serialization. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries([400, ...codes].map((code) => [code, ErrorBody]))
}

const DurationText = Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', description: 'e.g. 30s, 5m, 1h' })
const Labels = Type.Record(Type.String(), Type.String())
const Severity = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')])

export const AlertRule = Type.Object({
  name: Type.String(),
  description: Type.String(),
  threshold: Type.Number({ description: 'Percent for percentage rules, seconds for latency rules, a count otherwise' }),
  for: DurationText,
  cooldown: DurationText,
  maxPerHour: Type.Integer(),
  severity: Severity,
  enabled: Type.Boolean(),
})

export const RuleChangeBody = Type.Object(
  {
    threshold: Type.Optional(Type.Number({ minimum: 0 })),
    for: Type.Optional(DurationText),
    cooldown: Type.Optional(DurationText),
    maxPerHour: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const RuleParams = Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }) })

export const AlertNow = Type.Object({
  rule: Type.String(),
  severity: Severity,
  state: Type.Union([Type.Literal('firing'), Type.Literal('pending'), Type.Literal('suppressed')]),
  since: Type.String({ format: 'date-time' }),
  value: Type.Number(),
  labels: Labels,
})

export const Episode = Type.Object({
  id: Type.String(),
  rule: Type.String(),
  severity: Type.String(),
  labels: Labels,
  threshold: Type.Number(),
  startedAt: Type.String({ format: 'date-time' }),
  endedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  peakValue: Type.Number(),
  lastValue: Type.Number(),
})

export const HistoryQuery = Type.Object({
  rule: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 1000, default 100' })),
  before: Type.Optional(Type.String({ format: 'date-time', description: 'Episodes that started before this instant (paging)' })),
})
