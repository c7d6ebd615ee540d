/**
 * The cluster primary's composition root (WORKERS>1): the little the primary
 * runs besides forking, namely the shared memory store the workers' limiters
 * use when there is no Redis, and the debug UI's relay when DEBUG_UI_TOKEN
 * is set. Kept apart from app.ts so the primary, which serves no HTTP,
 * never loads the pipeline, the sinks or their clients: one process's worth
 * of memory less on every deployment with several workers.
 */
import type { Config } from './config/config.js'
import { systemClock } from './clock.js'
import type { Logger } from './observability/logger.js'
import { createMemoryStore } from './store/memory-store.js'
import { serveStoreToWorkers } from './store/primary-store.js'
import { serveDebugRelay } from './debug/primary-relay.js'

/** Without Redis: hold the limiter state for every worker. */
export function startPrimaryStore(config: Config, logger: Logger): void {
  const options = config.limiters.store
  if (options.kind !== 'memory') return
  serveStoreToWorkers({ store: createMemoryStore({ clock: systemClock, logger }, { maxKeys: options.maxKeys }), logger })
}

/** With the debug UI on: relay events between workers and keep the cluster's ops history. */
export function startPrimaryDebugRelay(config: Config, logger: Logger): void {
  if (config.debugUi.token === undefined) return
  serveDebugRelay({ logger }, { sink: config.kafka === undefined ? 'local' : 'kafka' })
}
