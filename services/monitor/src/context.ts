import type { Log } from '@latchkey/logger'
import type { MonitorEngine } from './engine/monitor-engine.ts'
import type { RuleDefinition } from './rules/rule-schema.ts'
import type { Scraper } from './scrape/scraper.ts'
import type { MonitorStore } from './store/monitor-store.ts'

/** What the monitor's commands need; built once by the service plugin. */
export interface MonitorContext {
  definitions: RuleDefinition[]
  engine: MonitorEngine
  scraper: Scraper
  store: MonitorStore
  log: Log
}
