/**
 * CaptureTarget: the capture service the SDKs are pointed at, plus a way to
 * read back every message its sink holds. The suite only ever talks to this
 * interface, so moving it from the embedded local log to Kafka (and Redis for
 * dedup) is one more implementation here, picked by SDK_TARGET; no scenario
 * changes.
 *
 * - `local` (default): the real app in this process (startTestApp) with a
 *   temporary DATA_DIR; messages are the local log's lines.
 * - later `kafka`: start the app with KAFKA_HOSTS/REDIS_URL set and read the
 *   topics in `topics` with a consumer from the start of the run; the
 *   SinkMessage shape (topic, key, headers, envelope) is the Kafka record's.
 */
import type { AppOverrides } from '../../../src/app.js'
import { startTestApp, type TestApp } from '../../helpers/test-app.js'

/** One message as the sink stored it. `envelope` is the parsed Kafka value. */
export interface SinkMessage {
  readonly topic: string
  readonly key: string | null
  readonly headers: Readonly<Record<string, string>>
  readonly envelope: Readonly<Record<string, unknown>>
}

export interface TargetTopics {
  readonly main: string
  readonly historical: string
}

export interface CaptureTarget {
  /** e.g. `local-log`; shown in the compatibility matrix. */
  readonly kind: string
  /** Base URL of capture's HTTP front. */
  readonly url: string
  readonly topics: TargetTopics
  /** Every message written since the target started, in sink order. */
  messages(): Promise<SinkMessage[]>
  close(): Promise<void>
}

/** `overrides` reach the app (e.g. a fault-injecting sink for the Capture V1 retry scenarios). */
export async function startCaptureTarget(options: { overrides?: AppOverrides } = {}): Promise<CaptureTarget> {
  const kind = process.env.SDK_TARGET ?? 'local'
  switch (kind) {
    case 'local':
      return startLocalLogTarget(options.overrides)
    default:
      throw new Error(`SDK_TARGET=${kind} is not supported yet (known: local)`)
  }
}

async function startLocalLogTarget(overrides?: AppOverrides): Promise<CaptureTarget> {
  const app: TestApp = await startTestApp({ overrides })
  return {
    kind: 'local-log',
    url: app.url,
    topics: { main: app.config.topics.main, historical: app.config.topics.historical },
    messages: async () =>
      (await app.readLog()).map((record) => ({
        topic: record.topic,
        key: record.key,
        headers: record.headers,
        envelope: record.value as Record<string, unknown>,
      })),
    close: () => app.close(),
  }
}
