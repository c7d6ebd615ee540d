/**
 * Forwards a log directory (the spool, or the embedded local log for
 * `capture log replay --to-kafka`) to Kafka in batches, in stored-time order
 * across segments (merged-reader.ts), recording progress in a checkpoint after
 * every acknowledged batch.
 *
 * Invariants:
 * - A segment's cursor only moves past lines Kafka acknowledged (or that are
 *   not messages, or that the filter leaves out); after a failed batch it stops
 *   at the segment's first unacknowledged message, so a retry re-sends only
 *   from there and per-key order holds.
 * - A message Kafka refuses for good (too large for the topic) cannot block
 *   the rest forever: it is dropped, logged with its uuid and counted
 *   (capture_events_dropped_total{cause="sink_failed"}).
 * - One pass reads each segment up to its size when the pass began.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { CaptureError } from '../../errors/capture-error.js'
import type { Logger } from '../../observability/logger.js'
import type { SendResult } from '../kafka/publish-tracker.js'
import { listSegments } from '../local-log/log-reader.js'
import type { PreparedMessage } from '../../pipeline/ports.js'
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js'
import { readMerged, type MergedItem, type SegmentRange } from './merged-reader.js'

export interface ForwardTarget {
  send(messages: readonly PreparedMessage[]): Promise<SendResult>
}

export interface ForwarderDeps {
  readonly target: ForwardTarget
  readonly logger: Logger
  /** Called for each message dropped because Kafka refuses it for good. */
  readonly onDropped?: (message: PreparedMessage, error: CaptureError) => void
}

export interface ForwarderOptions {
  readonly dir: string
  readonly checkpointPath: string
  readonly batchMessages: number
  readonly batchBytes: number
  /** Messages left out are not sent, but the cursor moves past them. */
  readonly filter?: (message: PreparedMessage) => boolean
}

export interface PassOptions {
  /** Only messages stored before this epoch ms (see merged-reader.ts). */
  readonly before?: number
  readonly signal?: AbortSignal
  /** After each acknowledged batch: messages sent and log bytes consumed in it. */
  readonly onBatch?: (progress: { readonly messages: number; readonly bytes: number }) => void
}

export interface PassResult {
  readonly forwarded: number
  readonly dropped: number
  /** Set when a batch failed; the checkpoint holds what was acknowledged before it. */
  readonly error?: CaptureError
}

/** Segment names, their sizes now, and the checkpoint: what a pass starts from. */
export async function pendingRanges(dir: string, checkpoint: Checkpoint): Promise<{ names: string[]; ranges: SegmentRange[]; sizes: Map<string, number> }> {
  const names = await listSegments(dir)
  const ranges: SegmentRange[] = []
  const sizes = new Map<string, number>()
  for (const file of names) {
    const size = await stat(join(dir, file)).then((info) => info.size, () => undefined)
    if (size === undefined) continue
    sizes.set(file, size)
    const from = checkpoint.get(file) ?? 0
    if (size > from) ranges.push({ file, from, to: size })
  }
  return { names, ranges, sizes }
}

export class LogForwarder {
  constructor(private readonly deps: ForwarderDeps, private readonly options: ForwarderOptions) {}

  /** Forwards everything pending now (stored before `before`); stops at the first failed batch. */
  async pass(pass: PassOptions = {}): Promise<PassResult> {
    const checkpoint = await readCheckpoint(this.options.checkpointPath)
    const { ranges } = await pendingRanges(this.options.dir, checkpoint)
    const totals = { forwarded: 0, dropped: 0 }
    let batch: MergedItem[] = []
    let bytes = 0
    for await (const item of readMerged(this.options.dir, ranges, { before: pass.before })) {
      if (pass.signal?.aborted === true) break
      batch.push(item)
      bytes += item.message === undefined ? 0 : item.message.value.length
      if (batch.length < this.options.batchMessages && bytes < this.options.batchBytes) continue
      const error = await this.forwardBatch(batch, checkpoint, totals, pass)
      if (error !== undefined) return { ...totals, error }
      batch = []
      bytes = 0
    }
    const error = batch.length > 0 ? await this.forwardBatch(batch, checkpoint, totals, pass) : undefined
    return error === undefined ? totals : { ...totals, error }
  }

  private async forwardBatch(batch: readonly MergedItem[], checkpoint: Checkpoint, totals: { forwarded: number; dropped: number }, pass: PassOptions): Promise<CaptureError | undefined> {
    const messages: PreparedMessage[] = []
    for (const item of batch) if (item.message !== undefined && this.included(item.message)) messages.push(item.message)
    let result: SendResult = messages.length === 0 ? { ok: true } : await this.deps.target.send(messages)
    if (!result.ok && !result.retryable) result = await this.sendAlone(result.undelivered, totals)
    const undelivered = result.ok ? new Set<PreparedMessage>() : new Set(result.undelivered)
    const consumed = advance(checkpoint, batch, undelivered)
    await writeCheckpoint(this.options.checkpointPath, checkpoint)
    const sent = messages.length - undelivered.size
    totals.forwarded += sent
    pass.onBatch?.({ messages: sent, bytes: consumed })
    return result.ok ? undefined : result.error
  }

  /** After a permanent refusal: sends each message alone, dropping those refused for good. */
  private async sendAlone(messages: readonly PreparedMessage[], totals: { dropped: number }): Promise<SendResult> {
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!
      const result = await this.deps.target.send([message])
      if (result.ok) continue
      if (result.retryable) return { ...result, undelivered: messages.slice(i) }
      totals.dropped++
      // The key starts with the project token: log the uuid instead (logger.ts: no token in logs).
      this.deps.logger.error({ topic: message.topic, uuid: message.headers.uuid, err: result.error.message }, 'Kafka refuses a forwarded message for good; dropping it')
      this.deps.onDropped?.(message, result.error)
    }
    return { ok: true }
  }

  private included(message: PreparedMessage): boolean {
    return this.options.filter === undefined || this.options.filter(message)
  }
}

/** Moves each segment's cursor past the batch's lines up to its first undelivered message; returns bytes consumed. */
function advance(checkpoint: Checkpoint, batch: readonly MergedItem[], undelivered: ReadonlySet<PreparedMessage>): number {
  const blocked = new Set<string>()
  let consumed = 0
  for (const item of batch) {
    if (blocked.has(item.file)) continue
    if (item.message !== undefined && undelivered.has(item.message)) {
      blocked.add(item.file)
      continue
    }
    checkpoint.set(item.file, item.end)
    consumed += item.end - item.offset
  }
  return consumed
}
