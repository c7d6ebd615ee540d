/**
 * `posthog-capture log …`: read and tail the local log (or, in Kafka mode, the
 * spool: log-dir.ts). Output is the stored NDJSON lines, verbatim, one per
 * message, so `jq` works on it as on the files.
 *
 * The command table at the bottom lists read, tail and replay (to Kafka,
 * replay-command.ts). Every command parses its own options strictly; bad
 * usage throws UsageError (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import {
  followLog, readLast, readLog, snapshotEnds,
  type LogRecord, type SkippedLine,
} from '../sinks/local-log/log-reader.js'
import { PROGRAM, type CliCommand, type CliIo } from './cli-command.js'
import { resolveLogDir } from './log-dir.js'
import { replayCommand } from './replay-command.js'
import { UsageError } from './usage-error.js'

const DIR_HELP = [
  '  --dir DIR       data directory (default: $DATA_DIR, else ./data); with KAFKA_HOSTS set and',
  '                  no --dir, its spool/ (what Kafka could not take yet) is read instead',
  '  --spool         read DIR/spool, the Kafka spool',
].join('\n')
const TOPIC_HELP = '  --topic T       only messages for topic T'

const readUsage = [
  `Usage: ${PROGRAM} log read [--dir DIR] [--spool] [--topic T] [--from-start | --since ISO] [--limit N]`,
  '',
  'Prints every stored message as one NDJSON line (the stored line), oldest segment first.',
  '',
  DIR_HELP,
  TOPIC_HELP,
  '  --from-start    from the first segment (the default)',
  '  --since ISO     only messages stored at or after this time, e.g. 2025-01-01T00:00:00Z',
  '  --limit N       stop after N messages',
].join('\n')

const tailUsage = [
  `Usage: ${PROGRAM} log tail [--dir DIR] [--spool] [--topic T] [-n N]`,
  '',
  'Prints the last N stored messages, then new ones as they are written, until Ctrl-C.',
  '',
  DIR_HELP,
  TOPIC_HELP,
  '  -n, --lines N   how many existing messages to print first (default 10)',
].join('\n')

const commonOptions = {
  dir: { type: 'string' },
  spool: { type: 'boolean' },
  topic: { type: 'string' },
} as const satisfies ParseArgsConfig['options']

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
}

/** A non-negative integer option, or UsageError naming it. */
export function parseCount(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got "${text}"`)
  return Number(text)
}

/** An ISO 8601 time as epoch ms, or UsageError. */
export function parseSince(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const time = Date.parse(text)
  if (Number.isNaN(time)) throw new UsageError(`--since must be an ISO 8601 time, got "${text}"`)
  return time
}

const warnSkipped = (io: CliIo) => (skipped: SkippedLine): void =>
  io.warn(`${PROGRAM}: skipped ${skipped.reason} line at ${skipped.file} byte ${skipped.offset} (${skipped.length} bytes)`)

async function readCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...commonOptions, 'from-start': { type: 'boolean' }, since: { type: 'string' }, limit: { type: 'string' } })
  if (values['from-start'] === true && values.since !== undefined) throw new UsageError('--from-start and --since cannot be combined')
  const since = parseSince(values.since)
  const limit = parseCount('limit', values.limit, Number.POSITIVE_INFINITY)
  const dir = await resolveLogDir(values, io)
  if (limit === 0) return 0
  let printed = 0
  for await (const record of readLog(dir, { onSkip: warnSkipped(io) })) {
    if (io.signal.aborted) break
    if (values.topic !== undefined && record.topic !== values.topic) continue
    if (since !== undefined && record.ts < since) continue
    await io.print(record.raw)
    if (++printed >= limit) break
  }
  return 0
}

async function tailCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...commonOptions, lines: { type: 'string', short: 'n' } })
  const count = parseCount('lines', values.lines, 10)
  const dir = await resolveLogDir(values, io)
  const filter = values.topic === undefined ? undefined : (record: LogRecord): boolean => record.topic === values.topic
  const onSkip = warnSkipped(io)
  const ends = await snapshotEnds(dir)
  for (const record of await readLast(dir, count, { ends, filter, onSkip })) await io.print(record.raw)
  for await (const record of followLog(dir, { start: ends, signal: io.signal, onSkip })) {
    if (io.signal.aborted) break
    if (filter === undefined || filter(record)) await io.print(record.raw)
  }
  return 0
}

export const logCommands: Readonly<Record<string, CliCommand>> = {
  read: { summary: 'print stored messages as NDJSON', usage: readUsage, run: readCommand },
  tail: { summary: 'print the last messages, then follow new ones', usage: tailUsage, run: tailCommand },
  replay: replayCommand,
}
