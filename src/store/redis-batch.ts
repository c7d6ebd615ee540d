/**
 * RedisBatch: the RedisStore calls made during one event-loop turn go out
 * together when the turn ends, as one pipeline (one write, one round trip),
 * and the de-dup calls are merged: every hasKeys of the turn becomes one MGET
 * and every setKeys one Lua call per ttl. ioredis' own auto-pipelining would
 * also share the write, but costs one command (object, promise, reply) per
 * call; under load, with many requests per turn, merging is what keeps
 * de-duplication cheap. Token-bucket takes stay one atomic call each.
 *
 * Failure: a pipeline that cannot be sent rejects every call in it; a command
 * that fails rejects only the calls merged into it. Callers fail open.
 * Timing: one observation per command sent (not per call), so the histogram
 * shows round trips and costs nothing per request.
 */
import type { ChainableCommander, Redis } from 'ioredis'
import type { StoreOp } from '../observability/metrics.js'
import type { Millis } from '../units.js'
import { atEndOfTurn, keysOf, queueKeyCall, setCallsFor, type KeyCall } from './turn-queue.js'

/** A call sent as its own command in the pipeline (take, members). */
interface SingleCall {
  readonly op: StoreOp
  add(pipeline: ChainableCommander): void
  settle(err: Error | null, value: unknown): void
}

/** The Lua commands RedisStore registers, as ioredis adds them to clients and pipelines. */
export interface ScriptCommands {
  captureTakeTokens(numKeys: number, keysThenArgs: (string | number)[]): unknown
  captureSetKeys(numKeys: number, keys: string[], ttlMs: number): unknown
}

export interface RedisBatch {
  hasKeys(keys: readonly string[]): Promise<boolean[]>
  setKeys(keys: readonly string[], ttl: Millis): Promise<void>
  /** A command of its own in the next pipeline; `add` writes it, the reply goes back as is. */
  single<T>(op: StoreOp, add: (pipeline: ChainableCommander & ScriptCommands) => void): Promise<T>
}

type Settle = (err: Error | null, value: unknown) => void

export function createRedisBatch(client: Redis, observe: (op: StoreOp, seconds: number) => void): RedisBatch {
  let has: KeyCall<boolean[]>[] = []
  let sets = new Map<number, KeyCall<void>[]>()
  let singles: SingleCall[] = []
  const schedule = atEndOfTurn(flush)

  function flush(): void {
    const pipeline = client.pipeline() as ChainableCommander & ScriptCommands
    const settlers: Settle[] = []
    const ops: StoreOp[] = []
    if (has.length > 0) {
      settlers.push(addHas(pipeline, has))
      ops.push('has')
    }
    for (const [ttlMs, calls] of sets) {
      settlers.push(addSet(pipeline, ttlMs, calls))
      ops.push('set')
    }
    for (const call of singles) {
      call.add(pipeline)
      settlers.push((err, value) => call.settle(err, value))
      ops.push(call.op)
    }
    has = []
    sets = new Map()
    singles = []
    const started = process.hrtime.bigint()
    pipeline.exec().then(
      (results) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9
        settlers.forEach((settle, index) => {
          observe(ops[index]!, seconds)
          const [err, value] = results?.[index] ?? [new Error('no reply for this command'), undefined]
          settle(err, value)
        })
      },
      (err: Error) => settlers.forEach((settle) => settle(err, undefined)),
    )
  }

  return {
    hasKeys: (keys) => queueKeyCall(has, keys, schedule),
    setKeys: (keys, ttl) => queueKeyCall(setCallsFor(sets, ttl), keys, schedule),
    single<T>(op: StoreOp, add: (pipeline: ChainableCommander & ScriptCommands) => void) {
      return new Promise<T>((resolve, reject) => {
        singles.push({ op, add: add as SingleCall['add'], settle: (err, value) => (err ? reject(err) : resolve(value as T)) })
        schedule()
      })
    },
  }
}

/** One MGET for every hasKeys of the turn; each caller gets its own slice back. */
function addHas(pipeline: ChainableCommander, calls: readonly KeyCall<boolean[]>[]): Settle {
  pipeline.mget(keysOf(calls))
  return (err, value) => {
    if (err !== null) return calls.forEach((call) => call.reject(err))
    const values = value as (string | null)[]
    let at = 0
    for (const call of calls) {
      const live: boolean[] = new Array<boolean>(call.keys.length)
      for (let index = 0; index < call.keys.length; index++) live[index] = values[at++] !== null
      call.resolve(live)
    }
  }
}

/** One set-keys Lua call for every setKeys of the turn with this ttl. */
function addSet(pipeline: ChainableCommander & ScriptCommands, ttlMs: number, calls: readonly KeyCall<void>[]): Settle {
  const keys = keysOf(calls)
  pipeline.captureSetKeys(keys.length, keys, ttlMs)
  return (err) => calls.forEach((call) => (err !== null ? call.reject(err) : call.resolve()))
}
