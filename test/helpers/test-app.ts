/**
 * startTestApp: the real app on a random 127.0.0.1 port with its own data
 * directory, plus helpers to read back what the local log holds. Tests talk to
 * it over real HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startApp, type App, type AppOverrides } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config/config.js'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { readLog, type LogRecord } from '../../src/sinks/local-log/log-reader.js'

export interface TestApp {
  readonly app: App
  readonly config: Config
  readonly url: string
  readonly dataDir: string
  /** Every line in the local log, in order. */
  readLog(): Promise<LogRecord[]>
  /** The envelope objects (line.value) in order. */
  envelopes(): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

export async function startTestApp(options: { env?: Record<string, string>; overrides?: AppOverrides } = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'capture-test-'))
  const config = loadConfig({ ADDRESS: '127.0.0.1:0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...options.env })
  const app = await startApp(config, {
    logger: createLogger({ level: config.logLevel }),
    metrics: createMetrics({ defaultMetrics: false }),
    ...options.overrides,
  })
  const read = async (): Promise<LogRecord[]> => {
    const records: LogRecord[] = []
    for await (const record of readLog(dataDir)) records.push(record)
    return records
  }
  return {
    app,
    config,
    dataDir,
    url: `http://127.0.0.1:${app.port}`,
    readLog: read,
    envelopes: async () => (await read()).map((record) => record.value as Record<string, unknown>),
    close: async () => {
      await app.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
