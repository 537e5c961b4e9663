export { loadConfig, ConfigError } from './load-config.ts'
export { Duration, parseDuration } from './duration.ts'
