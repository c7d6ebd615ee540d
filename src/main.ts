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
import { spawnSync } from 'node:child_process'
import cluster from 'node:cluster'
import { ConfigError, loadConfig, type Config } from './config/config.js'
import { describeUnknown, unknownVariables } from './config/known-variables.js'
import { serveClusterMetrics, workerMetricsText } from './observability/cluster-metrics.js'
import { createLogger } from './observability/logger.js'
import { createMetrics } from './observability/metrics.js'
import { KafkaClientUnavailableError, loadRdKafka } from './sinks/kafka/rdkafka-module.js'
import { describeStartFailure } from './start-failure.js'
import { ms } from './units.js'
import { createRestartTracker } from './worker-restarts.js'

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
  // The primary of several workers checks in a short-lived child: loading the
  // native client here would keep librdkafka mapped in a process that never uses it.
  if (config.workers > 1) return checkKafkaClientApart()
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

function checkKafkaClientApart(): void {
  const module = JSON.stringify(new URL('./sinks/kafka/rdkafka-module.js', import.meta.url).href)
  const script = `import(${module}).then((m) => m.loadRdKafka()).then(() => process.exit(0), (e) => { process.stderr.write(String(e?.message ?? e)); process.exit(1) })`
  const check = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' })
  if (check.status === 0) return
  process.stderr.write(`capture: ${check.stderr.trim() || `the Kafka client check failed (${check.error?.message ?? `exit ${check.status}`})`}\n`)
  process.exit(1)
}

async function runWorker(config: Config, clustered: boolean): Promise<void> {
  const metrics = createMetrics({ sink: config.kafka === undefined ? 'local' : 'kafka' })
  const logger = createLogger({ level: config.logLevel })
  // Imported here, not at the top: the primary of several workers never loads the app (primary-root.ts).
  const { startApp } = await import('./app.js')
  // A signal during startup waits for it to finish (or fail, which cleans up what it opened):
  // dying half-started would leave the local log's first segment behind.
  let signalledWhileStarting: string | undefined
  const whileStarting = (signal: string) => (): void => void (signalledWhileStarting ??= signal)
  const onTermWhileStarting = whileStarting('SIGTERM')
  const onIntWhileStarting = whileStarting('SIGINT')
  process.on('SIGTERM', onTermWhileStarting)
  process.on('SIGINT', onIntWhileStarting)
  const app = await startApp(config, { metrics, logger, metricsText: clustered ? workerMetricsText(metrics.registry) : undefined })
  process.off('SIGTERM', onTermWhileStarting)
  process.off('SIGINT', onIntWhileStarting)
  if (clustered && signalledWhileStarting === undefined) process.send?.(WORKER_SERVING)
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
  if (signalledWhileStarting !== undefined) stop(signalledWhileStarting)
}

/** Worker → primary: the worker listens; before this message, its death is a failed start. */
const WORKER_SERVING = 'capture:serving'
/** Worker → primary: why the worker could not start (the primary prints it once). */
interface StartFailed { readonly type: 'capture:start-failed'; readonly reason: string }
const isStartFailed = (message: unknown): message is StartFailed => (message as StartFailed | null)?.type === 'capture:start-failed'

/** Later crashes: 250 ms, 0.5 s, 1 s, … up to 30 s; a 6th crash within 5 minutes stops the primary. */
const RESTARTS = { baseDelay: ms(250), maxDelay: ms(30_000), maxCrashes: 5, window: ms(5 * 60_000) }

async function runPrimary(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel, name: 'capture-primary' })
  serveClusterMetrics()
  const { startPrimaryStore, startPrimaryDebugRelay } = await import('./primary-root.js')
  startPrimaryStore(config, logger)
  startPrimaryDebugRelay(config, logger)
  let stopping = false
  let exitCode = 0
  const serving = new Set<number>()
  let startFailure: string | undefined
  const restarts = createRestartTracker(RESTARTS)
  const fork = (): void => void cluster.fork()
  for (let i = 0; i < config.workers; i++) fork()
  cluster.on('message', (worker, message: unknown) => {
    if (message === WORKER_SERVING) serving.add(worker.id)
    else if (isStartFailed(message)) startFailure ??= message.reason
  })
  const giveUp = (reason: string): void => {
    if (!stopping) process.stderr.write(`capture: ${reason}\n`)
    exitCode = 1
    stop('failure')
  }
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode)
      return
    }
    if (!serving.delete(worker.id)) return giveUp(`failed to start: ${startFailure ?? `a worker exited with ${signal ?? `code ${code}`} before serving`}`)
    const decision = restarts.crashed()
    if (!decision.restart) return giveUp(`workers crashed ${decision.recentCrashes} times within ${RESTARTS.window / 60_000} minutes; not restarting them again`)
    logger.error({ pid: worker.process.pid, code, signal, restartInMs: decision.delay, recentCrashes: decision.recentCrashes }, 'worker died; restarting it')
    setTimeout(fork, decision.delay)
  })
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal, workers: config.workers }, 'shutting down workers')
    for (const worker of Object.values(cluster.workers ?? {})) {
      // A worker still starting cannot hear the shutdown message yet and holds no request:
      // SIGTERM makes it close what it opened as soon as its start ends (main.ts runWorker).
      if (worker === undefined) continue
      if (serving.has(worker.id)) worker.send('capture:shutdown')
      else worker.process.kill('SIGTERM')
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode)
    setTimeout(() => process.exit(1), config.timeouts.shutdownMs + 5000).unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

/** One line naming the cause, then exit 1; a worker sends it to the primary, which prints it once. */
function failedToStart(err: unknown, config: Config): void {
  const reason = describeStartFailure(err, config)
  if (cluster.isWorker && process.send !== undefined) {
    const failed: StartFailed = { type: 'capture:start-failed', reason }
    process.send(failed, () => process.exit(1))
    setTimeout(() => process.exit(1), 1000).unref()
    return
  }
  process.stderr.write(`capture: failed to start: ${reason}\n`)
  process.exit(1)
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
if (config.workers > 1 && cluster.isPrimary) await runPrimary(config)
else {
  runWorker(config, cluster.isWorker).catch((err: unknown) => failedToStart(err, config))
}
