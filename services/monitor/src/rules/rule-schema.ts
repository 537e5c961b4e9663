import Type, { type Static } from 'typebox'

const DurationText = Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', description: 'e.g. 30s, 5m, 1h' })
const LabelName = Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' })
const MetricName = Type.String({ pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' })

/** Series of one metric: exact label values (`match`) and regular expressions (`matchRegex`), as in `metric{a="x", b=~"5.."}`. */
export const SelectorSchema = Type.Object({
  metric: MetricName,
  match: Type.Optional(Type.Record(Type.String(), Type.String())),
  matchRegex: Type.Optional(Type.Record(Type.String(), Type.String())),
})

const By = Type.Optional(Type.Array(LabelName, { description: 'Labels kept (one alert per combination); none: one value over everything' }))
const Scale = Type.Optional(Type.Number({ description: 'Multiplier applied to the value (100 turns a ratio into a percent)' }))

/**
 * What a rule measures. Each kind is one PromQL shape, so that the monitor's own evaluation and
 * the rendered PrometheusRule mean the same thing:
 * - `gauge`:    `<aggregate> by (<by>) (<metric>{...}) * scale`
 * - `increase`: `sum by (<by>) (increase(<metric>{...}[window]))`
 * - `delta`:    `sum by (<by>) (delta(<metric>{...}[window]))` (a gauge's growth)
 * - `rate`:     `sum by (<by>) (rate(<metric>{...}[window])) * scale` (per second)
 * - `ratio`:    `sum by (<by>) (rate(<numerator>[window])) / sum by (<by>) (rate(<denominator>[window])) * scale`
 * - `quantile`: `histogram_quantile(q, sum by (le, <by>) (rate(<metric>_bucket{...}[window])))`
 */
export const SignalSchema = Type.Union([
  Type.Object({ kind: Type.Literal('gauge'), ...SelectorSchema.properties, aggregate: Type.Union([Type.Literal('max'), Type.Literal('min'), Type.Literal('sum'), Type.Literal('avg')]), by: By, scale: Scale }),
  Type.Object({ kind: Type.Literal('increase'), ...SelectorSchema.properties, window: DurationText, by: By }),
  Type.Object({ kind: Type.Literal('delta'), ...SelectorSchema.properties, window: DurationText, by: By }),
  Type.Object({ kind: Type.Literal('rate'), ...SelectorSchema.properties, window: DurationText, by: By, scale: Scale }),
  Type.Object({ kind: Type.Literal('ratio'), numerator: SelectorSchema, denominator: SelectorSchema, window: DurationText, by: By, scale: Scale }),
  Type.Object({ kind: Type.Literal('quantile'), ...SelectorSchema.properties, quantile: Type.Number({ minimum: 0, maximum: 1 }), window: DurationText, by: By }),
])

export const SeveritySchema = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')])

/** One rule of `rules/alert-rules.yaml`: the defaults, which operators tune at run time. */
export const RuleDefinitionSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }),
  description: Type.String({ minLength: 1 }),
  severity: SeveritySchema,
  signal: SignalSchema,
  /** Fires when the signal is above (`>`) or below (`<`) the threshold. */
  op: Type.Union([Type.Literal('>'), Type.Literal('<')]),
  threshold: Type.Number({ minimum: 0 }),
  for: DurationText,
  cooldown: DurationText,
  maxPerHour: Type.Integer({ minimum: 1, maximum: 3600 }),
  enabled: Type.Boolean(),
  /** Alertmanager annotations; `{{ $value }}` and `{{ $labels.<name> }}` are filled in as Prometheus does. */
  summary: Type.String({ minLength: 1 }),
  runbook: Type.String({ minLength: 1, description: 'Anchor in docs/monitor.md#runbooks' }),
})

export const RulesFileSchema = Type.Object({
  version: Type.Literal(1),
  runbookBaseUrl: Type.String(),
  rules: Type.Array(RuleDefinitionSchema, { minItems: 1 }),
})

export type Selector = Static<typeof SelectorSchema>
export type Signal = Static<typeof SignalSchema>
export type Severity = Static<typeof SeveritySchema>
export type RuleDefinition = Static<typeof RuleDefinitionSchema>
export type RulesFile = Static<typeof RulesFileSchema>
