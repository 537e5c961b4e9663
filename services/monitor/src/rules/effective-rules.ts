import { parseDuration } from '@latchkey/config'
import type { RuleDefinition } from './rule-schema.ts'

/** The fields an operator may change at run time (PUT /v1/alert-rules/:name). */
export interface RuleOverride {
  threshold?: number | null
  for?: string | null
  cooldown?: string | null
  maxPerHour?: number | null
  enabled?: boolean | null
}

/** A rule as the monitor evaluates it now: the file's defaults with the stored changes applied. */
export interface EffectiveRule extends RuleDefinition {
  forMs: number
  cooldownMs: number
}

export function applyOverride(definition: RuleDefinition, override: RuleOverride | undefined): EffectiveRule {
  const rule: RuleDefinition = {
    ...definition,
    threshold: override?.threshold ?? definition.threshold,
    for: override?.for ?? definition.for,
    cooldown: override?.cooldown ?? definition.cooldown,
    maxPerHour: override?.maxPerHour ?? definition.maxPerHour,
    enabled: override?.enabled ?? definition.enabled,
  }
  return { ...rule, forMs: parseDuration(rule.for), cooldownMs: parseDuration(rule.cooldown) }
}

/** The contract's view of a rule: `{name, description, threshold, for, cooldown, maxPerHour, severity, enabled}`. */
export const ruleView = (rule: RuleDefinition) => ({
  name: rule.name,
  description: rule.description,
  threshold: rule.threshold,
  for: rule.for,
  cooldown: rule.cooldown,
  maxPerHour: rule.maxPerHour,
  severity: rule.severity,
  enabled: rule.enabled,
})
