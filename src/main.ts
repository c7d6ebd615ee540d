/**
 * Process entry: config → (cluster) → app → listen → signals.
 *
 * WORKERS=1 runs the app in this process. WORKERS>1 makes this process a
 * primary that forks the workers (they share the listening port), restarts a
 * worker that dies, forwards SIGTERM/SIGINT and exits once every worker has
 * drained. A bad configuration stops the process with one message listing
 * every problem; so does Kafka mode without the native Kafka client, checked
 * once before any worker starts (a worker that cannot start would otherwise
 * be restarted forever).
 */
import cluster from 'node:cluster'
import { startApp, startPrimaryStore } from './app.js'
import { ConfigError, loadConfig, type Config } from './config/config.js'
import { describeUnknown, unknownVariables } from './config/known-variables.js'
import { serveClusterMetrics, workerMetricsText } from './observability/cluster-metrics.js'
import { createLogger } from './observability/logger.js'
import { createMetrics } from './observability/metrics.js'
import { KafkaClientUnavailableError, loadRdKafka } from './sinks/kafka/rdkafka-module.js'

function readConfig(): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`capture: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}

async function checkKafkaClient(config: Config): Promise<void> {
  if (config.kafka === undefined) return
  try {
    await loadRdKafka()
  } catch (err) {
    if (err instanceof KafkaClientUnavailableError) {
      process.stderr.write(`capture: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}

async function runWorker(config: Config, clustered: boolean): Promise<void> {
  const metrics = createMetrics({ sink: config.kafka === undefined ? 'local' : 'kafka' })
  const logger = createLogger({ level: config.logLevel })
  const app = await startApp(config, { metrics, logger, metricsText: clustered ? workerMetricsText(metrics.registry) : undefined })
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  if (clustered) process.on('message', (message) => message === 'capture:shutdown' && stop('primary'))
}

function runPrimary(config: Config): void {
  const logger = createLogger({ level: config.logLevel, name: 'capture-primary' })
  serveClusterMetrics()
  startPrimaryStore(config, logger)
  let stopping = false
  const fork = (): void => void cluster.fork()
  for (let i = 0; i < config.workers; i++) fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      return
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting a new one')
    setTimeout(fork, 500)
  })
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal, workers: config.workers }, 'shutting down workers')
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send('capture:shutdown')
    setTimeout(() => process.exit(1), config.timeouts.shutdownMs + 5000).unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

/** A misspelt variable would otherwise be ignored without a word (it never stops the server). */
function warnUnknownVariables(config: Config): void {
  const unknown = unknownVariables(process.env)
  if (unknown.length === 0) return
  createLogger({ level: config.logLevel }).warn(
    { variables: unknown.map((v) => v.name) },
    `ignoring environment variables capture does not read: ${describeUnknown(unknown)}; see docs/configuration.md`,
  )
}

const config = readConfig()
if (cluster.isPrimary) warnUnknownVariables(config)
if (cluster.isPrimary) await checkKafkaClient(config)
if (config.workers > 1 && cluster.isPrimary) runPrimary(config)
else {
  runWorker(config, cluster.isWorker).catch((err: unknown) => {
    process.stderr.write(`capture: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  })
}
