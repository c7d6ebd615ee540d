/**
 * The composition root: the only place that chooses implementations (sink,
 * limiter, clock) and wires them together. Tests start the same app with
 * their own clock, uuids and data directory.
 */
import cluster from 'node:cluster'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Server } from 'node:http'
import { v7 as uuidv7 } from 'uuid'
import type { Config } from './config/config.js'
import { createDebugUi, type DebugUi } from './debug/debug-ui.js'
import { createHttpServer } from './http/server.js'
import { createLimiter } from './limiters/composite-limiter.js'
import { createFailOpen } from './limiters/fail-open.js'
import { createStoreReplayOverflow } from './limiters/replay-overflow-set.js'
import { createUuidDedup, noUuidDedup, type UuidDedup } from './limiters/uuid-dedup.js'
import type { EventLimiter } from './pipeline/ports.js'
import { createHealthRegistry, type HealthRegistry } from './observability/health.js'
import { createLogger, type Logger } from './observability/logger.js'
import { createMetrics, type Metrics } from './observability/metrics.js'
import type { ReplayOverflow } from './pipeline/recordings/replay-overflow.js'
import { systemClock, type Clock } from './clock.js'
import { createLocalSink } from './sinks/local-log/local-sink.js'
import { createKafkaSink } from './sinks/kafka/kafka-sink.js'
import { loadProducerEngine } from './sinks/kafka/engines.js'
import { LogRetention } from './sinks/retention/log-retention.js'
import { spoolPaths } from './sinks/spool/spool-files.js'
import { createSpoolingSink } from './sinks/spool/spooling-sink.js'
import type { Sink } from './pipeline/ports.js'
import { createMemoryStore } from './store/memory-store.js'
import { createPrimaryStore, processChannel } from './store/primary-store.js'
import { createRedisClusterStore } from './store/redis-cluster-store.js'
import { createRedisStore } from './store/redis-store.js'
import { withCircuitBreaker } from './store/circuit-breaker.js'
import type { Store } from './store/store.js'
import { bytes, MiB, ms, type Millis } from './units.js'

export interface AppOverrides {
  readonly clock?: Clock
  readonly newUuid?: () => string
  readonly logger?: Logger
  readonly metrics?: Metrics
  /** Prometheus text for /metrics; the default reads this process's registry. */
  readonly metricsText?: () => Promise<string>
  /** Replaces the limiter built from config (tests of the limiter hook). */
  readonly limiter?: EventLimiter
  /** Sessions whose recordings go to KAFKA_REPLAY_OVERFLOW_TOPIC; default: none. */
  readonly replayOverflow?: ReplayOverflow
  /** Wraps the sink built from config (fault-injection tests). */
  readonly wrapSink?: (sink: Sink) => Sink
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
  const metrics = overrides.metrics ?? createMetrics({ sink: config.kafka === undefined ? 'local' : 'kafka' })
  const health = createHealthRegistry()
  const built = await createSink(config, { logger, metrics })
  const debugUi = createDebug(config, { metrics, health }, built.kind)
  const wrapped = overrides.wrapSink?.(built) ?? built
  const sink = debugUi?.tapSink(wrapped) ?? wrapped
  for (const component of sink.healthComponents()) health.register(component.name, component.report, { readiness: component.readiness })
  const clock = overrides.clock ?? systemClock
  const store = await createStore(config, { logger, metrics, clock })
  health.register('store', () => store.health())
  const limiter: EventLimiter = overrides.limiter ?? await createLimiter({ store, clock, metrics, logger }, config.limiters)
  const replayOverflow = overrides.replayOverflow ?? await createStoreReplayOverflow(
    { store, clock, failOpen: createFailOpen({ metrics, logger, clock }) },
    { refreshEvery: config.limiters.quota.refreshEvery },
  )
  const server = createHttpServer({
    config,
    health,
    metrics,
    logger,
    clock,
    metricsText: overrides.metricsText ?? (() => metrics.registry.metrics()),
    pipeline: { config, sink, limiter, metrics, newUuid: overrides.newUuid ?? uuidv7 },
    v1: config.v1.enabled ? { config, sink, limiter, metrics, dedup: createV1Dedup(config, { store, metrics, logger, clock }) } : undefined,
    replayOverflow,
    debug: debugUi,
  })
  try {
    await listen(server, config.address)
  } catch (err) {
    // Port in use, or not ours to take: leave nothing open behind (segment files, connections).
    await closeAfterFailedStart({ sink, limiter, replayOverflow, store }, logger)
    throw err
  }
  health.setLifecycle('serving')
  const port = (server.address() as AddressInfo).port
  logger.info({ address: `${config.address.host}:${port}`, sink: sink.kind, store: store.kind }, 'capture is serving')
  let closing: Promise<void> | undefined
  return {
    server, port, health, metrics, logger, sink,
    close: (timeoutMs = config.timeouts.shutdownMs) => (closing ??= shutdown({ server, sink, limiter, replayOverflow, store, health, logger, debugUi }, timeoutMs)),
  }
}

/**
 * KAFKA_HOSTS set → Kafka, with the local log under DATA_DIR/spool as its
 * spool (docs/kafka.md); the client library is loaded only then. Unset → the
 * local log under DATA_DIR is the sink.
 */
async function createSink(config: Config, deps: { logger: Logger; metrics: Metrics }): Promise<Sink> {
  const { localLog, kafka } = config
  const retention = (dir: string, checkpointPath?: string): LogRetention =>
    new LogRetention({ ...deps, clock: Date.now }, { ...localLog.retention, dir, checkpointPath })
  if (kafka === undefined) {
    return createLocalSink({ ...deps, housekeeping: retention(localLog.dataDir) }, { dataDir: localLog.dataDir, segmentMaxBytes: localLog.segmentBytes })
  }
  const primary = await createKafkaSink({ ...deps, open: await loadProducerEngine(kafka.engine, deps.logger) }, kafka, { connectWaitMs: KAFKA_CONNECT_WAIT })
  // Smaller segments than the local log's: a drained segment is deleted only once sealed.
  const spoolSegmentBytes = bytes(Math.min(localLog.segmentBytes, SPOOL_SEGMENT_MAX_BYTES))
  const spoolDir = join(localLog.dataDir, 'spool')
  // Retention in the spool deletes only what the drainer has forwarded (its checkpoint says what).
  const housekeeping = retention(spoolDir, spoolPaths(spoolDir).checkpoint)
  const spool = await createLocalSink({ ...deps, housekeeping }, { dataDir: spoolDir, segmentMaxBytes: spoolSegmentBytes })
  return createSpoolingSink({ ...deps, kafka: primary, spool, clock: Date.now }, { ...kafka.spool, messageMaxBytes: kafka.messageMaxBytes })
}

const SPOOL_SEGMENT_MAX_BYTES = 16 * MiB

/** Startup waits this long for Kafka at most: with Kafka down it serves into the spool rather than refuse connections. */
const KAFKA_CONNECT_WAIT = ms(1000)

/** Capture V1 exactly-once marks live in the limiters' store and follow DEDUP_ENABLED / DEDUP_TTL_SECONDS. */
function createV1Dedup(config: Config, deps: { store: Store; metrics: Metrics; logger: Logger; clock: Clock }): UuidDedup {
  if (!config.limiters.dedup.enabled) return noUuidDedup
  return createUuidDedup({ store: deps.store, failOpen: createFailOpen(deps) }, { ttl: ms(config.limiters.dedup.ttl * 1000) })
}

/**
 * Limiter state: Redis when REDIS_URL is set, a Redis Cluster when
 * REDIS_CLUSTER_NODES is (either shared by every instance); otherwise memory, kept in the cluster primary when this is one of several
 * workers, so workers share de-dup marks and rate limits instead of each
 * enforcing its own (primary-root.ts serves it).
 */
async function createStore(config: Config, deps: { logger: Logger; metrics: Metrics; clock: Clock }): Promise<Store> {
  const options = config.limiters.store
  if (options.kind === 'redis') return withCircuitBreaker(await createRedisStore(deps, options), deps, REDIS_BREAKER)
  if (options.kind === 'redis-cluster') return withCircuitBreaker(await createRedisClusterStore(deps, options), deps, REDIS_BREAKER)
  if (cluster.isWorker) return createPrimaryStore({ channel: processChannel, metrics: deps.metrics }, { responseTimeout: options.primaryTimeout })
  return createMemoryStore(deps, { maxKeys: options.maxKeys })
}

/**
 * The /_debug UI when DEBUG_UI_TOKEN is set (docs/debug-ui.md). In a
 * node:cluster worker its events and the ops history travel through the
 * primary (primary-root.ts starts that side).
 */
function createDebug(config: Config, deps: { metrics: Metrics; health: HealthRegistry }, sink: Sink['kind']): DebugUi | undefined {
  const { token, eventsPerSecond } = config.debugUi
  if (token === undefined) return undefined
  return createDebugUi(deps, { token, eventsPerSecond, sink, clustered: cluster.isWorker, worker: cluster.worker?.id ?? 0 })
}

/** Three timeouts in a row open it: one slow reply is not an outage, three are (docs/limits.md). */
const REDIS_BREAKER = { failuresToOpen: 3, probeEvery: ms(1000) }

function listen(server: Server, address: Config['address']): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

async function closeAfterFailedStart(parts: Pick<Closeable, 'sink' | 'limiter' | 'replayOverflow' | 'store'>, logger: Logger): Promise<void> {
  const closes = [parts.limiter.close?.(), parts.replayOverflow.close?.(), parts.store.close(), parts.sink.close()]
  for (const result of await Promise.allSettled(closes)) {
    if (result.status === 'rejected') logger.warn({ err: result.reason }, 'closing after a failed start failed')
  }
}

interface Closeable {
  readonly server: Server
  readonly sink: Sink
  readonly limiter: EventLimiter
  readonly replayOverflow: ReplayOverflow
  readonly store: Store
  readonly health: HealthRegistry
  readonly logger: Logger
  readonly debugUi?: DebugUi
}

async function shutdown(parts: Closeable, timeoutMs: Millis): Promise<void> {
  parts.health.setLifecycle('draining')
  parts.logger.info({ timeoutMs }, 'draining: no new connections, finishing in-flight requests')
  // Debugger streams never end by themselves: close them, or the drain waits for SHUTDOWN_TIMEOUT_MS.
  parts.debugUi?.close()
  const drained = new Promise<void>((resolve) => parts.server.close(() => resolve()))
  parts.server.closeIdleConnections()
  const timer = setTimeout(() => {
    parts.logger.warn('drain timeout reached; closing remaining connections')
    parts.server.closeAllConnections()
  }, timeoutMs)
  await drained
  clearTimeout(timer)
  await parts.limiter.close?.()
  await parts.replayOverflow.close?.()
  await parts.store.close()
  await parts.sink.close()
  parts.logger.info('stopped')
}
