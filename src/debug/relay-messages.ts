/**
 * The IPC messages between node:cluster workers and the primary that carry
 * the debugger across processes (debug-relay.ts on the worker side,
 * primary-relay.ts in the primary). Worker → primary: its viewers' filters,
 * its tap's batches, its ops samples, requests for the ops snapshot.
 * Primary → worker: the cluster's subscriptions, batches for its viewers,
 * sample requests, the ops snapshot.
 */
import type { TapBatch, ViewerFilter } from './debug-records.js'
import type { OpsSnapshot } from './ops-recorder.js'
import type { WorkerSample } from './ops-sample.js'

export type RelayMessage =
  | { readonly type: 'capture:debug-hello' }
  | { readonly type: 'capture:debug-viewers'; readonly filters: readonly ViewerFilter[] }
  | { readonly type: 'capture:debug-subscriptions'; readonly filters: readonly ViewerFilter[] }
  | { readonly type: 'capture:debug-batch'; readonly batch: TapBatch }
  | { readonly type: 'capture:debug-sample-request'; readonly id: number }
  | { readonly type: 'capture:debug-sample'; readonly id: number; readonly sample: WorkerSample }
  | { readonly type: 'capture:debug-ops-request'; readonly id: number }
  | { readonly type: 'capture:debug-ops'; readonly id: number; readonly snapshot: OpsSnapshot }

export const isRelayMessage = (message: unknown): message is RelayMessage =>
  typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' && (message as { type: string }).type.startsWith('capture:debug-')

/** The operations page samples every 2 s and keeps 10 minutes. */
export const OPS_INTERVAL_MS = 2000
export const OPS_CAPACITY = 300
