/**
 * RedisClusterBatch: the cluster store's calls of one event-loop turn go out
 * together when the turn ends, as one pipeline per cluster master (one write
 * and one round trip to each master the turn touches, all in parallel).
 *
 * No command spans slots: every hasKeys of the turn is merged, its keys are
 * split by hash slot and each slot gets one MGET; every setKeys of the turn
 * (per ttl) likewise gets, per slot, one SET PX for a single key or one call
 * of the set-keys Lua for several. De-dup keys are hashes, so they spread over
 * all slots and a slot rarely holds two; the per-slot split is what keeps the
 * rare shared slot to one command. A single call (a take, a sorted-set read)
 * goes to the master of its slot; the caller checked that its keys share one.
 *
 * Routing is ours (the slot map ioredis keeps, keySlot for each key), and each
 * master's pipeline is written on that master's own connection: ioredis'
 * cluster pipeline would recompute every command's slot and check them again,
 * which bench/store-roundtrip.ts measured at about twice the client CPU. The
 * price: ioredis does not follow redirections for us. A MOVED or ASK reply
 * (failover, resharding) fails the calls with keys in that slot (fail open)
 * and asks ioredis to refresh the slot map, so the next turn goes to the
 * right master.
 *
 * Failure: a master that fails (error, or no answer within the response
 * timeout) rejects only the calls with a key on it; the others resolve.
 * Callers fail open. A slot with no known master, or a master without a
 * connection, rejects at once (and refreshes the map).
 * Timing: one observation per operation and pipeline, not per command.
 */
import type { ChainableCommander, Cluster, Redis } from 'ioredis'
import type { StoreOp } from '../observability/metrics.js'
import type { Millis } from '../units.js'
import { keySlot } from './key-slot.js'
import type { ScriptCommands } from './redis-batch.js'
import { atEndOfTurn, keysOf, queueKeyCall, setCallsFor, type KeyCall } from './turn-queue.js'

type Pipeline = ChainableCommander & ScriptCommands

/** One command in one master's pipeline. */
interface Command {
  readonly op: StoreOp
  add(pipeline: Pipeline): void
  settle(err: Error | null, value: unknown): void
}

export interface RedisClusterBatch {
  hasKeys(keys: readonly string[]): Promise<boolean[]>
  setKeys(keys: readonly string[], ttl: Millis): Promise<void>
  /** One command on the master of `slot`; `add` writes it, the reply goes back as is. */
  single<T>(op: StoreOp, slot: number, add: (pipeline: Pipeline) => void): Promise<T>
}

export interface ClusterBatchHooks {
  observe(op: StoreOp, seconds: number): void
  /** After each pipeline: whether every command in it answered without error. */
  nodeAnswered(node: string, ok: boolean): void
}

export function createRedisClusterBatch(cluster: Cluster, hooks: ClusterBatchHooks, options: { responseTimeout: Millis }): RedisClusterBatch {
  let has: KeyCall<boolean[]>[] = []
  let sets = new Map<number, KeyCall<void>[]>()
  let singles: { slot: number; command: Command }[] = []
  const schedule = atEndOfTurn(flush)

  function flush(): void {
    const byNode = new Map<string, Command[]>()
    const route = (slot: number, command: Command): void => {
      const node = cluster.slots[slot]?.[0]
      if (node === undefined) {
        cluster.refreshSlotsCache()
        return command.settle(new Error(`redis cluster: no master known for slot ${slot}`), undefined)
      }
      let commands = byNode.get(node)
      if (commands === undefined) byNode.set(node, (commands = []))
      commands.push(command)
    }
    if (has.length > 0) new KeyTurn('has', 0, has, settleHas).route(route)
    for (const [ttlMs, calls] of sets) new KeyTurn('set', ttlMs, calls, settleSet).route(route)
    for (const { slot, command } of singles) route(slot, command)
    has = []
    sets = new Map()
    singles = []
    if (byNode.size === 0) return
    const connections = new Map(cluster.nodes('master').map((redis) => [`${redis.options.host}:${redis.options.port}`, redis]))
    for (const [node, commands] of byNode) {
      const connection = connections.get(node)
      if (connection !== undefined) send({ cluster, connection, node, hooks }, commands, options.responseTimeout)
      else failAll(cluster, node, commands)
    }
  }

  return {
    hasKeys: (keys) => queueKeyCall(has, keys, schedule),
    setKeys: (keys, ttl) => queueKeyCall(setCallsFor(sets, ttl), keys, schedule),
    single<T>(op: StoreOp, slot: number, add: (pipeline: Pipeline) => void) {
      return new Promise<T>((resolve, reject) => {
        singles.push({ slot, command: { op, add, settle: (err, value) => (err ? reject(err) : resolve(value as T)) } })
        schedule()
      })
    },
  }
}

/** Sends one master's commands as one pipeline on its connection, bounded by the response timeout. */
function send(to: { cluster: Cluster; connection: Redis; node: string; hooks: ClusterBatchHooks }, commands: readonly Command[], timeout: Millis): void {
  const pipeline = to.connection.pipeline() as Pipeline
  for (const command of commands) command.add(pipeline)
  const started = process.hrtime.bigint()
  let settled = false
  const fail = (err: Error): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    to.hooks.nodeAnswered(to.node, false)
    for (const command of commands) command.settle(err, undefined)
  }
  const timer = setTimeout(() => fail(new Error(`redis cluster node ${to.node} did not answer within ${timeout} ms`)), timeout)
  pipeline.exec().then((results) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    for (const op of new Set(commands.map((command) => command.op))) to.hooks.observe(op, seconds)
    let ok = true
    let redirected = false
    commands.forEach((command, index) => {
      const [err, value] = results?.[index] ?? [new Error('no reply for this command'), undefined]
      if (err !== null) {
        ok = false
        redirected ||= /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN) /.test(err.message)
      }
      command.settle(err, value)
    })
    if (redirected) to.cluster.refreshSlotsCache()
    to.hooks.nodeAnswered(to.node, ok)
  }, fail)
}

/** A master the slot map names but ioredis holds no connection to (it just went away): fail at once, relearn the map. */
function failAll(cluster: Cluster, node: string, commands: readonly Command[]): void {
  cluster.refreshSlotsCache()
  const err = new Error(`redis cluster: no connection to master ${node}`)
  for (const command of commands) command.settle(err, undefined)
}

/**
 * The keys of one turn's hasKeys calls (or setKeys calls of one ttl), laid end
 * to end and grouped by slot, one SlotCommand per slot; once every slot has
 * answered, each call gets its own slice of the replies, or the first error
 * among its keys. Classes rather than closures: a turn can carry thousands of
 * keys, and this runs once per slot.
 */
class KeyTurn<T> {
  readonly keys: string[]
  private readonly values: unknown[]
  private readonly errors: (Error | undefined)[]
  private pending = 0

  constructor(
    readonly op: 'has' | 'set',
    readonly ttlMs: number,
    private readonly calls: readonly KeyCall<T>[],
    private readonly settleCall: (call: KeyCall<T>, values: readonly unknown[], from: number) => void,
  ) {
    this.keys = keysOf(calls)
    this.values = new Array<unknown>(this.keys.length)
    this.errors = new Array<Error | undefined>(this.keys.length)
  }

  route(route: (slot: number, command: Command) => void): void {
    const bySlot = new Map<number, number[]>()
    for (let position = 0; position < this.keys.length; position++) {
      const slot = keySlot(this.keys[position]!)
      const positions = bySlot.get(slot)
      if (positions === undefined) bySlot.set(slot, [position])
      else positions.push(position)
    }
    this.pending = bySlot.size
    for (const [slot, positions] of bySlot) route(slot, new SlotCommand(this, positions))
  }

  slotAnswered(positions: readonly number[], err: Error | null, replies: readonly unknown[]): void {
    for (let index = 0; index < positions.length; index++) {
      if (err !== null) this.errors[positions[index]!] = err
      else this.values[positions[index]!] = replies[index]
    }
    if (--this.pending === 0) this.finish()
  }

  private finish(): void {
    let from = 0
    for (const call of this.calls) {
      let failed: Error | undefined
      for (let index = from; index < from + call.keys.length && failed === undefined; index++) failed = this.errors[index]
      if (failed !== undefined) call.reject(failed)
      else this.settleCall(call, this.values, from)
      from += call.keys.length
    }
  }
}

/** The keys of one turn in one slot: one MGET; or one SET PX for a single key, one set-keys Lua call for several. */
class SlotCommand implements Command {
  constructor(private readonly turn: KeyTurn<unknown>, private readonly positions: number[]) {}

  get op(): StoreOp {
    return this.turn.op
  }

  add(pipeline: Pipeline): void {
    const keys = this.positions.map((position) => this.turn.keys[position]!)
    if (this.turn.op === 'has') pipeline.mget(keys)
    else if (keys.length === 1) pipeline.set(keys[0]!, '1', 'PX', this.turn.ttlMs)
    else pipeline.captureSetKeys(keys.length, keys, this.turn.ttlMs)
  }

  settle(err: Error | null, value: unknown): void {
    this.turn.slotAnswered(this.positions, err, this.turn.op === 'has' ? ((value as unknown[] | undefined) ?? []) : [])
  }
}

function settleHas(call: KeyCall<boolean[]>, values: readonly unknown[], from: number): void {
  const live = new Array<boolean>(call.keys.length)
  for (let index = 0; index < call.keys.length; index++) live[index] = values[from + index] !== null
  call.resolve(live)
}

function settleSet(call: KeyCall<void>): void {
  call.resolve()
}
