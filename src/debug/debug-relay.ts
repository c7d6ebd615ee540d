/**
 * Carries the debugger between the processes of one capture: viewers'
 * filters to every tap, taps' batches to every viewer, and the operations
 * history to whoever asks.
 *
 * Without workers everything stays in the process (createLocalRelay). With
 * node:cluster workers (createWorkerRelay) the primary is the hub
 * (primary-relay.ts): a browser's stream lands on one worker, and the events
 * of every worker reach it through the primary; the primary also keeps the
 * one operations history of the cluster.
 */
import { CaptureError } from '../errors/capture-error.js'
import type { TapBatch, ViewerFilter } from './debug-records.js'
import { OpsRecorder, type OpsSnapshot } from './ops-recorder.js'
import type { WorkerSample } from './ops-sample.js'
import { isRelayMessage, OPS_CAPACITY, OPS_INTERVAL_MS, type RelayMessage } from './relay-messages.js'

export interface DebugRelay {
  /** The filters of this process's viewers changed. */
  setViewers(filters: readonly ViewerFilter[]): void
  /** This process's tap has records. */
  sendBatch(batch: TapBatch): void
  opsSnapshot(): Promise<OpsSnapshot>
  close(): void
}

export interface RelayHandlers {
  /** The filters of every viewer of the cluster: what this process's tap takes. */
  readonly onSubscriptions: (filters: readonly ViewerFilter[]) => void
  /** Records from any process, for this process's viewers. */
  readonly onBatch: (batch: TapBatch) => void
}

export function createLocalRelay(handlers: RelayHandlers, ops: { sample: () => Promise<WorkerSample>; sink: 'local' | 'kafka' }): DebugRelay {
  const recorder = new OpsRecorder({ intervalMs: OPS_INTERVAL_MS, capacity: OPS_CAPACITY, sink: ops.sink })
  const tick = (): void => void ops.sample().then((sample) => recorder.add(Date.now(), [sample]), () => undefined)
  tick()
  const timer = setInterval(tick, OPS_INTERVAL_MS)
  timer.unref()
  return {
    setViewers: (filters) => handlers.onSubscriptions(filters),
    sendBatch: (batch) => handlers.onBatch(batch),
    opsSnapshot: async () => recorder.snapshot(Date.now()),
    close: () => clearInterval(timer),
  }
}

/** How long a worker waits for the primary's ops snapshot. */
const OPS_TIMEOUT_MS = 3000

export function createWorkerRelay(handlers: RelayHandlers, ops: { sample: () => Promise<WorkerSample> }): DebugRelay {
  const send = (message: RelayMessage): void => {
    try {
      process.send?.(message)
    } catch {
      // The primary is gone: the worker is about to be stopped anyway.
    }
  }
  let nextId = 0
  const waiting = new Map<number, (snapshot: OpsSnapshot) => void>()
  const listener = (message: unknown): void => {
    if (!isRelayMessage(message)) return
    switch (message.type) {
      case 'capture:debug-subscriptions':
        return handlers.onSubscriptions(message.filters)
      case 'capture:debug-batch':
        return handlers.onBatch(message.batch)
      case 'capture:debug-sample-request':
        return void ops.sample().then((sample) => send({ type: 'capture:debug-sample', id: message.id, sample }), () => undefined)
      case 'capture:debug-ops':
        waiting.get(message.id)?.(message.snapshot)
        return void waiting.delete(message.id)
    }
  }
  process.on('message', listener)
  // Subscriptions sent before this listener existed were lost: ask for the current ones.
  send({ type: 'capture:debug-hello' })
  return {
    setViewers: (filters) => send({ type: 'capture:debug-viewers', filters }),
    sendBatch: (batch) => send({ type: 'capture:debug-batch', batch }),
    opsSnapshot: () =>
      new Promise((resolve, reject) => {
        const id = nextId++
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new CaptureError('internal_error', { detail: 'The cluster primary did not send the operations snapshot in time.' }))
        }, OPS_TIMEOUT_MS)
        waiting.set(id, (snapshot) => {
          clearTimeout(timer)
          resolve(snapshot)
        })
        send({ type: 'capture:debug-ops-request', id })
      }),
    close: () => void process.off('message', listener),
  }
}
