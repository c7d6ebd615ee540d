/**
 * Connection state of the cluster store, for /health and
 * capture_store_connected{store="redis"}: 1 while every slot has a master in
 * the slot map, every such master has a ready connection and its last
 * pipeline answered without error; 0 otherwise (limiters fail open for the
 * keys on the missing master, the others keep working).
 *
 * Checked on ioredis' events and every CHECK_EVERY_MS (in memory, no I/O), so
 * a promoted replica shows as whole again once the slot map names it.
 * Connections to masters are opened eagerly: ioredis opens them lazily, on
 * the first command, and an idle master would otherwise look unreachable.
 * Each transition is logged once; errors at most every 10 s.
 */
import type { Cluster } from 'ioredis'
import type { HealthReport } from '../observability/health.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { SLOT_COUNT } from './key-slot.js'

const CHECK_EVERY_MS = 250
const ERROR_LOG_EVERY_MS = 10_000

export interface ClusterHealth {
  nodeAnswered(node: string, ok: boolean): void
  report(): HealthReport
  close(): void
}

export function watchCluster(cluster: Cluster, deps: { logger: Logger; metrics: Pick<Metrics, 'storeConnected'> }, seeds: string): ClusterHealth {
  const failing = new Set<string>()
  const state = { whole: false, everWhole: false, closing: false, since: new Date(), problem: 'not connected yet', lastErrorLog: -Infinity }
  deps.metrics.storeConnected.set({ store: 'redis' }, 0)

  const check = (): void => {
    if (state.closing) return
    const problem = findProblem(cluster, failing)
    if ((problem === undefined) === state.whole) {
      if (problem !== undefined) state.problem = problem
      return
    }
    state.since = new Date()
    state.whole = problem === undefined
    state.problem = problem ?? ''
    deps.metrics.storeConnected.set({ store: 'redis' }, state.whole ? 1 : 0)
    if (state.whole) deps.logger.info({ seeds, masters: mastersOf(cluster)?.size }, state.everWhole ? 'redis cluster whole again; limiters use it' : 'redis cluster connected')
    else if (state.everWhole) deps.logger.warn({ seeds, problem }, 'redis cluster degraded; limiters fail open for keys on the missing master')
    state.everWhole ||= state.whole
  }
  const timer = setInterval(check, CHECK_EVERY_MS)
  timer.unref()
  for (const event of ['ready', 'refresh', '+node', '-node', 'end', 'close']) cluster.on(event, check)
  cluster.on('error', (err: Error) => logError(err, 'redis cluster error'))
  cluster.on('node error', (err: Error, node?: string) => logError(err, `redis cluster node ${node ?? '?'} error`))

  function logError(err: Error, message: string): void {
    const now = Date.now()
    if (state.closing || now - state.lastErrorLog < ERROR_LOG_EVERY_MS) return
    state.lastErrorLog = now
    deps.logger.warn({ err: err.message, seeds }, message)
  }

  return {
    nodeAnswered(node, ok) {
      if (ok === !failing.has(node)) return
      if (ok) failing.delete(node)
      else failing.add(node)
      check()
    },
    report: (): HealthReport =>
      state.whole
        ? { healthy: true, detail: `redis cluster: connected, ${mastersOf(cluster)?.size ?? 0} masters serve all slots` }
        // Healthy on purpose: Redis down is not an outage (limiters fail open), so readiness must not fail.
        : { healthy: true, detail: `redis cluster: ${state.problem} since ${state.since.toISOString()}; limiters fail open for the keys it holds` },
    close() {
      state.closing = true
      clearInterval(timer)
    },
  }
}

/** The masters named by the slot map, or undefined when a slot has none. */
function mastersOf(cluster: Cluster): Set<string> | undefined {
  const masters = new Set<string>()
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const master = cluster.slots[slot]?.[0]
    if (master === undefined) return undefined
    masters.add(master)
  }
  return masters
}

/** Why the cluster is not whole, or undefined when it is; forgets failures of nodes no longer masters. */
function findProblem(cluster: Cluster, failing: Set<string>): string | undefined {
  if (cluster.status !== 'ready') return `cluster client ${cluster.status}`
  const masters = mastersOf(cluster)
  if (masters === undefined) return 'slot map incomplete'
  for (const node of failing) if (!masters.has(node)) failing.delete(node)
  const connections = new Map(cluster.nodes('master').map((redis) => [`${redis.options.host}:${redis.options.port}`, redis]))
  for (const master of masters) {
    const connection = connections.get(master)
    if (connection?.status === 'wait') connection.connect().catch(() => undefined)
    if (connection?.status !== 'ready') return `master ${master} not connected`
    if (failing.has(master)) return `master ${master} failing`
  }
  return undefined
}
