/**
 * The Capture V1 section of the configuration (`POST /i/v1/analytics/events`,
 * docs/capture-v1.md) and the quiet flags endpoints (`/flags`, `/decide`).
 * Names follow upstream PostHog capture where the concept exists.
 */
import { bytes, ms, MiB, type Bytes, type Millis } from '../units.js'
import type { EnvReader } from './env-parsers.js'

export interface V1Config {
  /** CAPTURE_V1_ENABLED: serve /i/v1/analytics/events[/]; off → 404 as any unknown path. */
  readonly enabled: boolean
  /** CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES: the body as sent (upstream default 10 MiB). */
  readonly maxCompressedBytes: Bytes
  /** CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES: after Content-Encoding is undone (upstream default 50 MiB). */
  readonly maxDecompressedBytes: Bytes
  /**
   * CAPTURE_V1_PUBLISH_TIMEOUT_MS: how long a request waits for the sink to make
   * its events durable; events not durable by then answer `retry`.
   */
  readonly publishTimeout: Millis
}

export interface FlagsConfig {
  /** FLAGS_ENDPOINTS_ENABLED: answer /flags and /decide with "no flags"; off → 404. */
  readonly enabled: boolean
}

export function readV1Config(read: EnvReader): V1Config {
  return {
    enabled: read.bool('CAPTURE_V1_ENABLED', true),
    maxCompressedBytes: bytes(read.int('CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES', 10 * MiB, { min: 1024, max: 256 * MiB })),
    maxDecompressedBytes: bytes(read.int('CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES', 50 * MiB, { min: 1024, max: 256 * MiB })),
    publishTimeout: ms(read.int('CAPTURE_V1_PUBLISH_TIMEOUT_MS', 30_000, { min: 10, max: 600_000 })),
  }
}

export function readFlagsConfig(read: EnvReader): FlagsConfig {
  return { enabled: read.bool('FLAGS_ENDPOINTS_ENABLED', true) }
}
