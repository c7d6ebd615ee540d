/**
 * The debug UI of one process, put together: the tap that the sink and the
 * refusal path feed, the viewers' hub, the relay that joins them across
 * node:cluster workers, the ops sampler, and the /_debug endpoints. app.ts
 * builds it only when DEBUG_UI_TOKEN is set; otherwise none of this exists
 * and /_debug answers 404 like any unknown path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HealthRegistry } from '../observability/health.js'
import type { Metrics } from '../observability/metrics.js'
import type { Sink } from '../pipeline/ports.js'
import { ms } from '../units.js'
import { loadDebugAssets } from './debug-assets.js'
import { createDebugAuth } from './debug-auth.js'
import { ASSET_PREFIX, handleDebug } from './debug-endpoints.js'
import { createLocalRelay, createWorkerRelay, type DebugRelay, type RelayHandlers } from './debug-relay.js'
import { EventTap, type RefusalInfo } from './event-tap.js'
import { createWorkerSampler } from './ops-sample.js'
import { tapSink } from './tapped-sink.js'
import { ViewerHub } from './viewer-hub.js'

export interface DebugUi {
  /** The sink with the tap on its durable messages. */
  tapSink(sink: Sink): Sink
  /** True for a path under /_debug/assets/ (the route table holds the other /_debug paths). */
  ownsAsset(path: string): boolean
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>
  /** A capture request was refused; returns at once, and does nothing while nobody watches. */
  refused(refusal: RefusalInfo): void
  /** Ends every open stream (shutdown must not wait for browsers). */
  close(): void
}

export interface DebugUiOptions {
  readonly token: string
  readonly eventsPerSecond: number
  readonly sink: 'local' | 'kafka'
  /** A node:cluster worker: the primary relays (primary-relay.ts). */
  readonly clustered: boolean
  readonly worker: number
}

/**
 * A whole batch is written in one go, before the socket can drain: the high-water mark must hold
 * a batch at the default cap with room to spare (two workers × 25 records of a few KiB).
 */
const HUB = { maxViewers: 16, highWaterBytes: 1024 * 1024, heartbeatEvery: ms(15_000) }
const TAP_FLUSH_EVERY = ms(250)

export function createDebugUi(deps: { metrics: Metrics; health: HealthRegistry }, options: DebugUiOptions): DebugUi {
  const assets = loadDebugAssets()
  const auth = createDebugAuth(options.token)
  // The tap and the hub reach the relay only from callbacks that run after it exists.
  const tap = new EventTap({ clock: Date.now, deliver: (batch) => relay.sendBatch(batch) }, { perSecond: options.eventsPerSecond, worker: options.worker, flushEvery: TAP_FLUSH_EVERY })
  const hub = new ViewerHub({ onViewersChanged: (filters) => relay.setViewers(filters) }, HUB)
  const handlers: RelayHandlers = { onSubscriptions: (filters) => tap.setSubscriptions(filters), onBatch: (batch) => hub.deliver(batch) }
  const sample = createWorkerSampler(deps, { worker: options.worker })
  const relay: DebugRelay = options.clustered ? createWorkerRelay(handlers, { sample }) : createLocalRelay(handlers, { sample, sink: options.sink })
  const endpoints = { auth, assets, hub, relay }
  return {
    tapSink: (sink) => tapSink(sink, tap),
    ownsAsset: (path) => path.startsWith(ASSET_PREFIX),
    handle: (req, res) => handleDebug(req, res, endpoints),
    refused: (refusal) => {
      if (tap.active) tap.offerRefusal(refusal)
    },
    close: () => {
      hub.closeAll()
      tap.close()
      relay.close()
    },
  }
}
