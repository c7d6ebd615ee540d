/**
 * The event tap: where accepted messages and refused requests enter the
 * debugger. Each process has one.
 *
 * Requirements: cost nothing measurable while nobody watches (callers check
 * `active`, one boolean, before anything else); while someone does, take at
 * most `perSecond` records per second, count the rest as skipped, and hand
 * what was taken on in one batch per `flushEvery` (so a busy worker sends a
 * few messages a second, not one per event). Memory is bounded by the cap:
 * at most `perSecond` records wait between flushes.
 * Invariant: offer*() never throws and never waits; a tap fault must not fail
 * a request that is already durable.
 */
import type { PreparedMessage } from '../pipeline/ports.js'
import type { Millis } from '../units.js'
import { matchesAny, matchesHeaders, VALUE_MAX_CHARS, type TapBatch, type TapRecord, type TappedRefusal, type ViewerFilter } from './debug-records.js'

export type RefusalInfo = Omit<TappedRefusal, 'kind' | 'at' | 'worker'>

export interface TapOptions {
  readonly perSecond: number
  /** This process's number in the cluster (0 without workers). */
  readonly worker: number
  readonly flushEvery: Millis
}

export class EventTap {
  /** Some viewer somewhere matches something: read on the hot path, nothing else is. */
  active = false
  private filters: readonly ViewerFilter[] = []
  private pending: TapRecord[] = []
  private skipped = 0
  private second = 0
  private takenThisSecond = 0
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly deps: { clock: () => number; deliver: (batch: TapBatch) => void }, private readonly options: TapOptions) {}

  /** The filters of every viewer in the cluster; none → inactive. */
  setSubscriptions(filters: readonly ViewerFilter[]): void {
    this.filters = filters
    this.active = filters.length > 0
    if (this.active && this.timer === undefined) {
      this.timer = setInterval(() => this.flush(), this.options.flushEvery)
      this.timer.unref()
    } else if (!this.active) this.stop()
  }

  /** Messages the sink has made durable. Over the cap a message costs a filter check and a count, no allocation. */
  offerMessages(messages: readonly PreparedMessage[]): void {
    try {
      const at = this.deps.clock()
      for (const message of messages) {
        if (!this.wants(message.headers) || !this.admit(at)) continue
        const truncated = message.value.length > VALUE_MAX_CHARS
        const value = truncated ? message.value.slice(0, VALUE_MAX_CHARS) : message.value
        this.pending.push({ kind: 'event', at, worker: this.options.worker, topic: message.topic, key: message.key, headers: message.headers, value, valueLength: message.value.length, truncated })
      }
    } catch {
      // The debugger is best effort; the request it watched has succeeded.
    }
  }

  offerRefusal(refusal: RefusalInfo): void {
    try {
      const at = this.deps.clock()
      const record: TapRecord = { kind: 'refused', at, worker: this.options.worker, ...refusal }
      if (matchesAny(record, this.filters) && this.admit(at)) this.pending.push(record)
    } catch {
      // As above: never fail the reply over the debugger.
    }
  }

  close(): void {
    this.stop()
    this.active = false
  }

  /** Some viewer's filter matches these headers (a plain loop: no closure per message). */
  private wants(headers: Readonly<Record<string, string>>): boolean {
    for (const filter of this.filters) if (matchesHeaders(headers, filter)) return true
    return false
  }

  /** The per-second cap: true when one more record fits in this second, else it is counted as skipped. */
  private admit(at: number): boolean {
    const second = Math.floor(at / 1000)
    if (second !== this.second) {
      this.second = second
      this.takenThisSecond = 0
    }
    if (this.takenThisSecond >= this.options.perSecond) {
      this.skipped++
      return false
    }
    this.takenThisSecond++
    return true
  }

  private flush(): void {
    if (this.pending.length === 0 && this.skipped === 0) return
    const batch: TapBatch = { records: this.pending, skipped: this.skipped }
    this.pending = []
    this.skipped = 0
    this.deps.deliver(batch)
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.pending = []
    this.skipped = 0
  }
}
