/**
 * PrimaryStore: with WORKERS>1 and no REDIS_URL, the limiter state lives in
 * one MemoryStore inside the cluster primary, so de-duplication and rate limits
 * hold across workers instead of being split (and silently weakened) per worker.
 *
 * Requirements: one IPC message per event-loop turn whatever the number of
 * calls (the calls of a turn, from every request handled in it, are batched as
 * RedisStore batches its pipeline), so decide() costs at most one message and
 * commit() another; a reply that does not arrive within the timeout rejects,
 * and the limiters fail open.
 *
 * Worker side: createPrimaryStore. Primary side: serveStoreToWorkers, which
 * answers with createStoreServer (also used in-process by the contract test).
 */
import cluster from 'node:cluster'
import type { HealthReport } from '../observability/health.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { ms, type Millis } from '../units.js'
import type { BucketTake, Store, TakeVerdict } from './store.js'

const REQUEST = 'capture:store-request'
const REPLY = 'capture:store-reply'

type StoreCall =
  | { readonly op: 'has'; readonly keys: readonly string[] }
  | { readonly op: 'set'; readonly keys: readonly string[]; readonly ttlMs: number }
  | { readonly op: 'take'; readonly takes: readonly BucketTake[]; readonly nowMs: number }
  | { readonly op: 'members'; readonly key: string; readonly minScore: number }

type CallResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string }

export interface StoreRequest {
  readonly type: typeof REQUEST
  readonly id: number
  readonly calls: readonly StoreCall[]
}

export interface StoreReply {
  readonly type: typeof REPLY
  readonly id: number
  readonly results: readonly CallResult[]
}

/** How a worker talks to the primary; tests plug the two ends together in one process. */
export interface StoreChannel {
  send(request: StoreRequest): void
  onReply(listener: (reply: StoreReply) => void): void
}

const isReply = (message: unknown): message is StoreReply =>
  typeof message === 'object' && message !== null && (message as StoreReply).type === REPLY

const isRequest = (message: unknown): message is StoreRequest =>
  typeof message === 'object' && message !== null && (message as StoreRequest).type === REQUEST

/** The worker's end of the cluster IPC channel. */
export const processChannel: StoreChannel = {
  send: (request) => void process.send?.(request),
  onReply: (listener) => void process.on('message', (message: unknown) => isReply(message) && listener(message)),
}

interface Pending {
  readonly call: StoreCall
  resolve(value: unknown): void
  reject(err: Error): void
}

export function createPrimaryStore(
  deps: { channel: StoreChannel; metrics: Pick<Metrics, 'storeOpDuration'> },
  options: { responseTimeout: Millis },
): Store {
  let nextId = 0
  let queued: Pending[] = []
  let lastError: string | undefined
  const inFlight = new Map<number, { readonly batch: Pending[]; readonly timer: NodeJS.Timeout }>()

  deps.channel.onReply((reply) => {
    const entry = inFlight.get(reply.id)
    if (entry === undefined) return
    inFlight.delete(reply.id)
    clearTimeout(entry.timer)
    lastError = undefined
    entry.batch.forEach((pending, index) => {
      const result = reply.results[index]
      if (result?.ok === true) pending.resolve(result.value)
      else pending.reject(new Error(`primary store: ${result?.error ?? 'no result'}`))
    })
  })

  const flush = (): void => {
    const batch = queued
    queued = []
    const id = nextId++
    const timer = setTimeout(() => {
      inFlight.delete(id)
      lastError = `no reply from the primary within ${options.responseTimeout} ms`
      for (const pending of batch) pending.reject(new Error(lastError))
    }, options.responseTimeout)
    inFlight.set(id, { batch, timer })
    try {
      deps.channel.send({ type: REQUEST, id, calls: batch.map((pending) => pending.call) })
    } catch (err) {
      clearTimeout(timer)
      inFlight.delete(id)
      lastError = (err as Error).message
      for (const pending of batch) pending.reject(err as Error)
    }
  }

  const call = <T>(request: StoreCall): Promise<T> => {
    const stop = deps.metrics.storeOpDuration.startTimer({ store: 'primary', op: request.op })
    const result = new Promise<T>((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush)
      queued.push({ call: request, resolve: resolve as (value: unknown) => void, reject })
    })
    return result.finally(stop)
  }

  return {
    kind: 'primary',
    hasKeys: (keys) => (keys.length === 0 ? Promise.resolve([]) : call<boolean[]>({ op: 'has', keys })),
    setKeys: (keys, ttl) => (keys.length === 0 ? Promise.resolve() : call<void>({ op: 'set', keys, ttlMs: ttl })),
    takeTokens: (takes, nowMs) => (takes.length === 0 ? Promise.resolve({ allowed: true }) : call<TakeVerdict>({ op: 'take', takes, nowMs })),
    sortedSetMembersFrom: (key, minScore) => call<string[]>({ op: 'members', key, minScore }),
    health: (): HealthReport => ({ healthy: true, detail: lastError === undefined ? 'primary: answering' : `primary: ${lastError}; limiters fail open` }),
    async close() {
      for (const [id, entry] of inFlight) {
        clearTimeout(entry.timer)
        inFlight.delete(id)
        for (const pending of entry.batch) pending.reject(new Error('primary store closed'))
      }
    },
  }
}

/** Runs one batch of calls against the primary's store; a failing call fails alone. */
export function createStoreServer(store: Store): (request: StoreRequest) => Promise<StoreReply> {
  const run = (call: StoreCall): Promise<unknown> => {
    switch (call.op) {
      case 'has':
        return store.hasKeys(call.keys)
      case 'set':
        return store.setKeys(call.keys, ms(call.ttlMs))
      case 'take':
        return store.takeTokens(call.takes, call.nowMs)
      case 'members':
        return store.sortedSetMembersFrom(call.key, call.minScore)
    }
  }
  return async (request) => {
    const settled = await Promise.allSettled(request.calls.map(run))
    const results = settled.map((outcome): CallResult =>
      outcome.status === 'fulfilled' ? { ok: true, value: outcome.value ?? null } : { ok: false, error: String((outcome.reason as Error)?.message ?? outcome.reason) })
    return { type: REPLY, id: request.id, results }
  }
}

/** In the cluster primary: answer every worker's store requests from `store`. */
export function serveStoreToWorkers(deps: { store: Store; logger: Logger }): void {
  const serve = createStoreServer(deps.store)
  cluster.on('message', (worker, message: unknown) => {
    if (!isRequest(message)) return
    serve(message).then(
      (reply) => worker.isConnected() && worker.send(reply),
      (err: unknown) => deps.logger.error({ err }, 'store request failed in the primary'),
    )
  })
}
