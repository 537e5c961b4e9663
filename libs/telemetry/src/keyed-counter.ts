import type { Attributes, ObservableResult } from '@opentelemetry/api'

/**
 * A counter for hot paths: the caller names each attribute set by a string key it builds anyway,
 * so an increment is a map lookup (the SDK's counter hashes the attributes on every call). Read by
 * an observable counter when Prometheus scrapes.
 */
export class KeyedCounter {
  private readonly counts = new Map<string, { attributes: Attributes; value: number }>()

  /** Adds `by` to the series `key`; `attributes` is called once, when the key is new. */
  add(key: string, attributes: () => Attributes, by = 1): void {
    const entry = this.counts.get(key)
    if (entry) entry.value += by
    else this.counts.set(key, { attributes: attributes(), value: by })
  }

  observe(result: ObservableResult): void {
    for (const { attributes, value } of this.counts.values()) result.observe(value, attributes)
  }
}
