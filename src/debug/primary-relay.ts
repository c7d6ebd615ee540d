/**
 * The cluster primary's part of the debugger (WORKERS>1): it knows every
 * worker's viewers and tells every worker's tap what they want, forwards each
 * tap's batches to the workers that have viewers, and keeps the cluster's
 * operations history by asking every worker for a sample each tick.
 *
 * Bounded: a batch is forwarded at once and never queued here; each tap
 * sends at most DEBUG_UI_EVENTS_PER_SECOND records a second, so the primary
 * relays at most workers × that. The history is OPS_CAPACITY points.
 * Loads nothing of the pipeline (the primary serves no HTTP).
 */
import cluster, { type Worker } from 'node:cluster'
import type { Logger } from '../observability/logger.js'
import type { ViewerFilter } from './debug-records.js'
import { OpsRecorder } from './ops-recorder.js'
import type { WorkerSample } from './ops-sample.js'
import { isRelayMessage, OPS_CAPACITY, OPS_INTERVAL_MS, type RelayMessage } from './relay-messages.js'

export function serveDebugRelay(deps: { logger: Logger }, options: { sink: 'local' | 'kafka' }): void {
  const viewers = new Map<number, readonly ViewerFilter[]>()
  const recorder = new OpsRecorder({ intervalMs: OPS_INTERVAL_MS, capacity: OPS_CAPACITY, sink: options.sink })
  let subscriptions = '[]'
  const send = (worker: Worker, message: RelayMessage): void => {
    try {
      if (worker.isConnected()) worker.send(message)
    } catch (err) {
      deps.logger.debug({ err }, 'debug relay: a worker could not be reached')
    }
  }
  const broadcastSubscriptions = (): void => {
    const union = unionOf([...viewers.values()])
    const text = JSON.stringify(union)
    if (text === subscriptions) return
    subscriptions = text
    for (const worker of liveWorkers()) send(worker, { type: 'capture:debug-subscriptions', filters: union })
  }
  const sampling = createSampling(recorder, send)
  cluster.on('message', (worker, message: unknown) => {
    if (!isRelayMessage(message)) return
    switch (message.type) {
      case 'capture:debug-hello':
        return send(worker, { type: 'capture:debug-subscriptions', filters: JSON.parse(subscriptions) as ViewerFilter[] })
      case 'capture:debug-viewers':
        viewers.set(worker.id, message.filters)
        return broadcastSubscriptions()
      case 'capture:debug-batch':
        for (const target of liveWorkers()) if ((viewers.get(target.id)?.length ?? 0) > 0) send(target, message)
        return
      case 'capture:debug-sample':
        return sampling.answer(worker, message.id, message.sample)
      case 'capture:debug-ops-request':
        return send(worker, { type: 'capture:debug-ops', id: message.id, snapshot: recorder.snapshot(Date.now()) })
    }
  })
  cluster.on('exit', (worker) => {
    if (viewers.delete(worker.id)) broadcastSubscriptions()
  })
  setInterval(sampling.tick, OPS_INTERVAL_MS).unref()
}

const liveWorkers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected())

/** One round of samples per tick; a worker that has not answered by the next tick counts as silent. */
function createSampling(recorder: OpsRecorder, send: (worker: Worker, message: RelayMessage) => void) {
  let round = 0
  let askedAt = 0
  let asked: Worker[] = []
  let answers: WorkerSample[] = []
  const close = (): void => {
    if (asked.length === 0) return
    const answered = new Set(answers.map((s) => s.pid))
    const silent = asked.filter((w) => !answered.has(w.process.pid ?? -1)).map((w) => ({ worker: w.id, pid: w.process.pid ?? 0 }))
    recorder.add(askedAt, answers, silent)
  }
  return {
    tick: (): void => {
      close()
      round++
      askedAt = Date.now()
      asked = liveWorkers()
      answers = []
      for (const worker of asked) send(worker, { type: 'capture:debug-sample-request', id: round })
    },
    answer: (_worker: Worker, id: number, sample: WorkerSample): void => {
      if (id === round) answers.push(sample)
    },
  }
}

/** Distinct filters of every viewer, so a tap checks each once. */
function unionOf(lists: readonly (readonly ViewerFilter[])[]): ViewerFilter[] {
  const seen = new Map<string, ViewerFilter>()
  for (const filter of lists.flat()) seen.set(JSON.stringify([filter.token, filter.event, filter.distinctId]), filter)
  return [...seen.values()]
}
