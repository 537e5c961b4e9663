import { CronExpressionParser } from 'cron-parser'
import nodeCron from 'node-cron'
import { InvalidCronError, UnknownTimezoneError } from '../errors.ts'

// node-cron is the expression language of the contract (five fields, or six with a leading
// seconds field) and validates it with field-by-field messages. It cannot enumerate the ticks
// between two instants (its tasks only know "the next runs from now"), which a leader needs to
// fire the ticks it missed and to count those it skips; cron-parser does that from any instant,
// in any time zone. An expression must satisfy both, so the two never disagree on what it means.

/** Throws a 400 naming the bad field when `expression` is not a cron expression both libraries accept. */
export function validateCron(expression: string): void {
  const fields = expression.trim().split(/\s+/)
  if (fields.length < 5 || fields.length > 6) throw new InvalidCronError(JSON.stringify(expression), `expected 5 fields (or 6 with a leading seconds field), got ${fields.length}`)
  const detailed = nodeCron.validateDetailed(expression)
  if (!detailed.valid) throw new InvalidCronError(JSON.stringify(expression), detailed.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'not a cron expression')
  try {
    CronExpressionParser.parse(expression, { strict: false })
  } catch (err) {
    throw new InvalidCronError(JSON.stringify(expression), (err as Error).message)
  }
}

const knownZones = new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])

/** Throws a 400 unless `timezone` is an IANA time zone this runtime knows. */
export function validateTimezone(timezone: string): void {
  if (knownZones.has(timezone)) return
  try {
    // Aliases (e.g. Asia/Calcutta) are valid without being in the canonical list.
    new Intl.DateTimeFormat('en', { timeZone: timezone })
  } catch {
    throw new UnknownTimezoneError(JSON.stringify(timezone))
  }
}

/** A schedule's clock: its expression in its time zone. */
export interface CronClock {
  cron: string
  timezone: string
}

/** The first tick strictly after `after`. */
export function nextTick(clock: CronClock, after: Date): Date {
  return CronExpressionParser.parse(clock.cron, { currentDate: after, tz: clock.timezone }).next().toDate()
}

/** The latest tick at or before `at` (undefined when the expression never matched before). */
export function latestTickAtOrBefore(clock: CronClock, at: Date): Date | undefined {
  // prev() is strictly before its start, so start one millisecond later.
  const interval = CronExpressionParser.parse(clock.cron, { currentDate: new Date(at.getTime() + 1), tz: clock.timezone })
  return interval.hasPrev() ? interval.prev().toDate() : undefined
}

/**
 * The ticks in (after, until], oldest first, at most `limit` of them; `more` says whether the
 * limit cut the list.
 */
export function ticksBetween(clock: CronClock, after: Date, until: Date, limit: number): { ticks: Date[]; more: boolean } {
  const interval = CronExpressionParser.parse(clock.cron, { currentDate: after, endDate: until, tz: clock.timezone })
  const ticks: Date[] = []
  while (interval.hasNext()) {
    if (ticks.length === limit) return { ticks, more: true }
    ticks.push(interval.next().toDate())
  }
  return { ticks, more: false }
}

/**
 * How many ticks fall in (after, until]: counted one by one up to `exactUpTo`, beyond that
 * estimated from their average spacing (enumerating the ticks of days of a schedule every second
 * would block the process for seconds, long enough to lose the lease).
 */
export function countTicks(clock: CronClock, after: Date, until: Date, exactUpTo = 1_000): { count: number; estimated: boolean } {
  const { ticks, more } = ticksBetween(clock, after, until, exactUpTo)
  if (!more) return { count: ticks.length, estimated: false }
  const spacingMs = (ticks.at(-1)!.getTime() - after.getTime()) / ticks.length
  return { count: Math.round((until.getTime() - after.getTime()) / spacingMs), estimated: true }
}
