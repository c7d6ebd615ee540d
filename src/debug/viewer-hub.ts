/**
 * The debugger streams open in this process: one server-sent-events
 * response per viewer, each with its own filter.
 *
 * Requirements: a slow or stalled browser never slows capture nor grows its
 * memory. A record goes to a viewer only while that viewer's response holds
 * less than `highWaterBytes` unsent; otherwise it is dropped and counted, and
 * the count reaches the viewer as a `skipped` message once it keeps up again.
 * Each viewer thus costs at most highWaterBytes plus one record (16 KiB at most).
 */
import type { ServerResponse } from 'node:http'
import type { Millis } from '../units.js'
import { matches, renderFor, tokenOf, type SkipReason, type TapBatch, type ViewerFilter } from './debug-records.js'

interface Viewer {
  readonly res: ServerResponse
  readonly filter: ViewerFilter
  readonly skipped: Map<SkipReason, number>
}

export interface HubOptions {
  readonly maxViewers: number
  readonly highWaterBytes: number
  /** A comment line this often keeps proxies from closing an idle stream. */
  readonly heartbeatEvery: Millis
}

export class ViewerHub {
  private readonly viewers = new Set<Viewer>()
  private heartbeat: NodeJS.Timeout | undefined

  constructor(private readonly deps: { onViewersChanged: (filters: readonly ViewerFilter[]) => void }, private readonly options: HubOptions) {}

  canAdd(): boolean {
    return this.viewers.size < this.options.maxViewers
  }

  /** Starts the stream on `res` (its head already written); false when this process already serves maxViewers. */
  add(res: ServerResponse, filter: ViewerFilter): boolean {
    if (!this.canAdd()) return false
    const viewer: Viewer = { res, filter, skipped: new Map() }
    this.viewers.add(viewer)
    res.once('close', () => this.remove(viewer))
    res.write('retry: 3000\n: connected\n\n')
    this.ensureHeartbeat()
    this.changed()
    return true
  }

  deliver(batch: TapBatch): void {
    const rendered = batch.records.map((record) => ({ record, json: JSON.stringify(record), token: tokenOf(record) }))
    for (const viewer of this.viewers) {
      if (batch.skipped > 0) count(viewer, 'rate_cap', batch.skipped)
      for (const { record, json, token } of rendered) {
        if (!matches(record, viewer.filter)) continue
        if (!this.hasRoom(viewer)) {
          count(viewer, 'slow_viewer', 1)
          continue
        }
        this.sendSkipped(viewer)
        viewer.res.write(`event: ${record.kind}\ndata: ${renderFor(json, token, viewer.filter)}\n\n`)
      }
      if (this.hasRoom(viewer)) this.sendSkipped(viewer)
    }
  }

  get size(): number {
    return this.viewers.size
  }

  closeAll(): void {
    for (const viewer of [...this.viewers]) viewer.res.end()
    this.viewers.clear()
    this.stopHeartbeat()
    this.changed()
  }

  private hasRoom(viewer: Viewer): boolean {
    return !viewer.res.destroyed && viewer.res.writableLength < this.options.highWaterBytes
  }

  /** What was dropped since the last message, one `skipped` message per reason. */
  private sendSkipped(viewer: Viewer): void {
    if (viewer.skipped.size === 0) return
    for (const [reason, n] of viewer.skipped) viewer.res.write(`event: skipped\ndata: ${JSON.stringify({ count: n, reason })}\n\n`)
    viewer.skipped.clear()
  }

  private remove(viewer: Viewer): void {
    if (!this.viewers.delete(viewer)) return
    if (this.viewers.size === 0) this.stopHeartbeat()
    this.changed()
  }

  private changed(): void {
    this.deps.onViewersChanged([...this.viewers].map((viewer) => viewer.filter))
  }

  private ensureHeartbeat(): void {
    if (this.heartbeat !== undefined) return
    this.heartbeat = setInterval(() => {
      for (const viewer of this.viewers) {
        if (!this.hasRoom(viewer)) continue
        this.sendSkipped(viewer)
        viewer.res.write(': ping\n\n')
      }
    }, this.options.heartbeatEvery)
    this.heartbeat.unref()
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }
}

function count(viewer: Viewer, reason: SkipReason, n: number): void {
  viewer.skipped.set(reason, (viewer.skipped.get(reason) ?? 0) + n)
}
