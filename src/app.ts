/**
 * The composition root: the only place that chooses implementations (sink,
 * limiter, clock) and wires them together. Tests start the same app with
 * their own clock, uuids and data directory.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { v7 as uuidv7 } from 'uuid'
import type { Config } from './config/config.js'
import { createHttpServer } from './http/server.js'
import { noLimits, type EventLimiter } from './limiters/limiter.js'
import { createHealthRegistry, type HealthRegistry } from './observability/health.js'
import { createLogger, type Logger } from './observability/logger.js'
import { createMetrics, type Metrics } from './observability/metrics.js'
import { systemClock, type Clock } from './pipeline/request-context.js'
import { createLocalSink } from './sinks/local-log/local-sink.js'
import type { Sink } from './sinks/sink.js'
import type { Millis } from './units.js'

export interface AppOverrides {
  readonly clock?: Clock
  readonly newUuid?: () => string
  readonly logger?: Logger
  readonly metrics?: Metrics
  /** Prometheus text for /metrics; the default reads this process's registry. */
  readonly metricsText?: () => Promise<string>
}

export interface App {
  readonly server: Server
  readonly port: number
  readonly health: HealthRegistry
  readonly metrics: Metrics
  readonly logger: Logger
  readonly sink: Sink
  /** Graceful stop: refuse new connections, finish in-flight requests, flush the sink. */
  close(timeoutMs?: Millis): Promise<void>
}

export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel })
  const metrics = overrides.metrics ?? createMetrics()
  const health = createHealthRegistry()
  const sink = await createSink(config, { logger, metrics })
  health.register('sink', () => sink.health())
  const limiter: EventLimiter = noLimits
  const server = createHttpServer({
    config,
    health,
    metrics,
    logger,
    clock: overrides.clock ?? systemClock,
    metricsText: overrides.metricsText ?? (() => metrics.registry.metrics()),
    pipeline: { config, sink, limiter, metrics, newUuid: overrides.newUuid ?? uuidv7 },
  })
  await listen(server, config.address)
  health.setLifecycle('serving')
  const port = (server.address() as AddressInfo).port
  logger.info({ address: `${config.address.host}:${port}`, sink: sink.kind }, 'capture is serving')
  let closing: Promise<void> | undefined
  return {
    server, port, health, metrics, logger, sink,
    close: (timeoutMs = config.timeouts.shutdownMs) => (closing ??= shutdown({ server, sink, limiter, health, logger }, timeoutMs)),
  }
}

async function createSink(config: Config, deps: { logger: Logger; metrics: Metrics }): Promise<Sink> {
  return createLocalSink(deps, { dataDir: config.localLog.dataDir, segmentMaxBytes: config.localLog.segmentBytes })
}

function listen(server: Server, address: Config['address']): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

interface Closeable {
  readonly server: Server
  readonly sink: Sink
  readonly limiter: EventLimiter
  readonly health: HealthRegistry
  readonly logger: Logger
}

async function shutdown(parts: Closeable, timeoutMs: Millis): Promise<void> {
  parts.health.setLifecycle('draining')
  parts.logger.info({ timeoutMs }, 'draining: no new connections, finishing in-flight requests')
  const drained = new Promise<void>((resolve) => parts.server.close(() => resolve()))
  parts.server.closeIdleConnections()
  const timer = setTimeout(() => {
    parts.logger.warn('drain timeout reached; closing remaining connections')
    parts.server.closeAllConnections()
  }, timeoutMs)
  await drained
  clearTimeout(timer)
  await parts.limiter.close?.()
  await parts.sink.close()
  parts.logger.info('stopped')
}
