/**
 * SpoolDrainer: forwards the spool to Kafka once Kafka is reachable again.
 * Every process sharing the spool runs one; the drain.lock decides which one
 * works (the others retry the lock every second), so one process at a time
 * reads the segments, in stored-time order (per-key order, merged-reader.ts).
 *
 * Each tick: hold the lock, and if Kafka is reachable forward everything
 * stored before the tick began (log-forwarder.ts; progress is checkpointed
 * per batch), then delete segments that are sealed and fully forwarded, and
 * lower the SPOOLING marker once the spool has caught up, so new writes go
 * straight to Kafka again. A failed batch backs off (1 s doubling to 30 s).
 *
 * Caught up = less than one batch pending after a pass: under steady traffic
 * the spool may never be exactly empty. The few messages spooled while the
 * marker comes down are forwarded by the very next pass, milliseconds later;
 * a client request that follows one of them within that window could reach
 * Kafka first. docs/kafka.md states this limit of the per-key order promise.
 */
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../observability/logger.js'
import type { Metrics } from '../../observability/metrics.js'
import { completeLinesEnd } from '../local-log/line-scanner.js'
import { readCheckpoint, writeCheckpoint } from './checkpoint.js'
import { tryLock, type DirLock } from './dir-lock.js'
import { LogForwarder, pendingRanges, type ForwardTarget } from './log-forwarder.js'
import { isSealed, type SpoolMarker, type SpoolPaths } from './spool-files.js'

export interface SpoolDrainerDeps {
  readonly target: ForwardTarget & { isReachable(): boolean }
  readonly paths: SpoolPaths
  readonly marker: SpoolMarker
  readonly logger: Logger
  readonly metrics: Metrics
  readonly clock: () => number
  /** Called after segments were forwarded or deleted, to refresh the spool gauges. */
  readonly onProgress?: () => void
}

export interface SpoolDrainerOptions {
  readonly batchMessages: number
  readonly batchBytes: number
  /** Pause between ticks with nothing to do. */
  readonly idleMs: number
  readonly lockStaleMs: number
}

const BACKOFF_MIN_MS = 1000
const BACKOFF_MAX_MS = 30_000

export class SpoolDrainer {
  private readonly forwarder: LogForwarder
  private readonly stopping = new AbortController()
  private running: Promise<void> | undefined
  private lock: DirLock | undefined
  private heartbeat: NodeJS.Timeout | undefined
  private backoffMs = BACKOFF_MIN_MS

  constructor(private readonly deps: SpoolDrainerDeps, private readonly options: SpoolDrainerOptions) {
    this.forwarder = new LogForwarder(
      { target: deps.target, logger: deps.logger, onDropped: () => deps.metrics.eventsDropped.inc({ cause: 'sink_failed' }) },
      { dir: deps.paths.dir, checkpointPath: deps.paths.checkpoint, batchMessages: options.batchMessages, batchBytes: options.batchBytes },
    )
  }

  start(): void {
    this.running ??= this.run()
  }

  /** Stops after the batch in flight (its checkpoint is written) and releases the lock. */
  async stop(): Promise<void> {
    this.stopping.abort()
    await this.running
    clearInterval(this.heartbeat)
    await this.lock?.release()
    this.lock = undefined
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping
    while (!signal.aborted) {
      let pause = this.options.idleMs
      try {
        pause = await this.tick()
      } catch (err) {
        this.deps.logger.error({ err }, 'spool drain tick failed')
        pause = this.nextBackoff()
      }
      // Unref'd: a drainer alone never keeps the process alive.
      if (pause > 0) await sleep(pause, undefined, { signal, ref: false }).catch(() => undefined)
    }
  }

  /** One round; returns how long to pause before the next. */
  private async tick(): Promise<number> {
    if (!(await this.holdLock())) return BACKOFF_MIN_MS
    if (!this.deps.target.isReachable()) return this.options.idleMs
    const result = await this.forwarder.pass({
      before: this.deps.clock(),
      signal: this.stopping.signal,
      onBatch: ({ messages }) => this.deps.metrics.spoolDrained.inc(messages),
    })
    if (result.forwarded > 0) this.deps.logger.info({ forwarded: result.forwarded, dropped: result.dropped }, 'forwarded spooled messages to kafka')
    if (result.error !== undefined) {
      this.deps.logger.warn({ err: result.error.message }, 'forwarding the spool failed; will retry')
      return this.nextBackoff()
    }
    this.backoffMs = BACKOFF_MIN_MS
    const pending = await this.cleanUp()
    this.deps.onProgress?.()
    return pending > 0 ? 0 : this.options.idleMs
  }

  private async holdLock(): Promise<boolean> {
    if (this.lock !== undefined) return true
    this.lock = await tryLock(this.deps.paths.lock, { staleMs: this.options.lockStaleMs })
    if (this.lock === undefined) return false
    this.deps.logger.info({ lock: this.deps.paths.lock }, 'this process drains the spool')
    const beat = Math.max(100, Math.floor(this.options.lockStaleMs / 4))
    this.heartbeat = setInterval(() => void this.beat(), beat)
    this.heartbeat.unref()
    return true
  }

  private async beat(): Promise<void> {
    const lock = this.lock
    if (lock === undefined || (await lock.heartbeat().catch(() => false))) return
    this.deps.logger.warn('lost the spool drain lock (taken over as stale)')
    clearInterval(this.heartbeat)
    this.lock = undefined
  }

  /**
   * Deletes sealed segments that are fully forwarded (a torn tail of a dead
   * writer was never acknowledged, so it does not count), lowers the marker
   * once caught up, and returns the bytes still pending.
   */
  private async cleanUp(): Promise<number> {
    const { paths, marker } = this.deps
    const checkpoint = await readCheckpoint(paths.checkpoint)
    const { names, sizes } = await pendingRanges(paths.dir, checkpoint)
    let pending = 0
    let changed = false
    for (const name of names) {
      const size = sizes.get(name)
      if (size === undefined) continue
      const done = checkpoint.get(name) ?? 0
      const sealed = isSealed(name, names)
      const end = sealed && size > done ? await completeLinesEnd(join(paths.dir, name), size) : size
      if (end > done) {
        pending += end - done
        continue
      }
      if (!sealed) continue
      await unlink(join(paths.dir, name)).catch(() => undefined)
      checkpoint.delete(name)
      changed = true
    }
    for (const name of checkpoint.keys()) {
      if (!sizes.has(name)) {
        checkpoint.delete(name)
        changed = true
      }
    }
    if (changed) await writeCheckpoint(paths.checkpoint, checkpoint)
    if (pending < this.options.batchBytes && marker.isRaised()) {
      marker.lower()
      this.deps.logger.info({ pending }, 'spool caught up; writing straight to kafka again')
    }
    return pending
  }

  private nextBackoff(): number {
    const pause = this.backoffMs
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2)
    return pause
  }
}
