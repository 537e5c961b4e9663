import { ValidationError } from '@latchkey/errors'
import type { MonitorContext } from '../context.ts'
import { UnknownAlertRuleError } from '../errors.ts'
import { ruleView, type RuleOverride } from '../rules/effective-rules.ts'

export type RuleChange = { threshold?: number; for?: string; cooldown?: string; maxPerHour?: number; enabled?: boolean }

export const listAlertRules = (ctx: MonitorContext) => ctx.engine.rules().map(ruleView)

/**
 * Changes a rule at run time. Stored in PostgreSQL (it survives restarts and reaches every
 * replica at its next round); this replica applies it at once. Unknown rules and impossible
 * values are refused before anything is written.
 */
export async function updateAlertRule(ctx: MonitorContext, name: string, change: RuleChange) {
  const definition = ctx.definitions.find((d) => d.name === name)
  if (!definition) throw new UnknownAlertRuleError(name)
  const percent = 'scale' in definition.signal && definition.signal.scale === 100
  if (percent && change.threshold !== undefined && change.threshold > 100) {
    throw new ValidationError(`body/threshold: ${name} is a percentage rule; its threshold must be from 0 to 100`)
  }
  const stored = (await ctx.store.overrides()).get(name) ?? {}
  const merged: RuleOverride = { ...stored }
  for (const [field, value] of Object.entries(change) as Array<[keyof RuleOverride, RuleOverride[keyof RuleOverride]]>) {
    if (value !== undefined) (merged as Record<string, unknown>)[field] = value
  }
  await ctx.store.saveOverride(name, merged)
  await ctx.engine.reloadOverrides()
  ctx.log.info({ rule: name, change }, 'alert rule changed')
  return ruleView(ctx.engine.rules().find((rule) => rule.name === name)!)
}
