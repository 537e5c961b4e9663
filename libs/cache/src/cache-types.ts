/**
 * A kind of cached value: its name (a metric label and part of every key), how long an entry
 * lives, and how a value is written to and read from Redis.
 */
export interface CacheType<T> {
  name: string
  ttlMs: number
  encode(value: T): string
  decode(text: string): T
}

export function jsonCacheType<T>(name: string, ttlMs: number): CacheType<T> {
  return { name, ttlMs, encode: (value) => JSON.stringify(value), decode: (text) => JSON.parse(text) as T }
}

/** A value and the revision of its partition (organization) that it is known to be current at. */
export interface Revisioned<T> {
  value: T
  revision: number
}
