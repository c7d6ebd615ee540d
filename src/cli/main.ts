/**
 * The `posthog-capture` command line: `posthog-capture serve`, or
 * `posthog-capture <group> <command> [options]` dispatched through a table of
 * command groups (`log`: read, tail, replay; `kafka`: tail). `--help` works at
 * every level, `--version` at the top. The command types live in
 * cli-command.ts, beneath this module and the tables.
 *
 * Exit codes: 0 done, 1 the command failed, 2 bad usage (with a message and
 * the usage text on stderr). runCli never calls process.exit and takes its
 * streams, environment and stop signal as arguments, so tests drive it
 * in-process; bin/posthog-capture.js passes the real ones.
 */
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { exitCodes, PROGRAM, type CliCommand, type CliIo } from './cli-command.js'
import { kafkaTailCommand } from './kafka-tail-command.js'
import { logCommands } from './log-commands.js'
import { serveCommand } from './serve-command.js'
import { UsageError } from './usage-error.js'
import { captureVersion } from './version.js'

/** Commands without a group. */
const commands: Readonly<Record<string, CliCommand>> = { serve: serveCommand }
const groups: Readonly<Record<string, Readonly<Record<string, CliCommand>>>> = {
  log: logCommands,
  kafka: { tail: kafkaTailCommand },
}
const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h'

export interface RunCliOptions {
  readonly stdout?: Writable
  readonly stderr?: Writable
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Stops long-running commands; default: SIGINT. */
  readonly signal?: AbortSignal
}

export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const stderr = options.stderr ?? process.stderr
  const io = createIo(options)
  try {
    return await dispatch([...argv], io.io)
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`${PROGRAM}: ${err.message}\n`)
      return exitCodes.usage
    }
    if (io.io.signal.aborted) return exitCodes.ok
    stderr.write(`${PROGRAM}: ${err instanceof Error ? err.message : String(err)}\n`)
    return exitCodes.failed
  } finally {
    io.dispose()
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [groupName, commandName, ...args] = argv
  if (groupName === undefined) throw new UsageError(`no command given\n\n${mainUsage()}`)
  if (isHelp(groupName) || groupName === 'help') return printHelp(io, mainUsage())
  if (groupName === '--version' || groupName === '-V' || groupName === 'version') return printHelp(io, `${PROGRAM} ${captureVersion()}`)
  const single = Object.hasOwn(commands, groupName) ? commands[groupName] : undefined
  if (single !== undefined) return runCommand(groupName, single, argv.slice(1), io)
  const group = Object.hasOwn(groups, groupName) ? groups[groupName] : undefined
  if (group === undefined) throw new UsageError(`unknown command "${groupName}"\n\n${mainUsage()}`)
  if (commandName === undefined) throw new UsageError(`"${groupName}" needs a command\n\n${groupUsage(groupName, group)}`)
  if (isHelp(commandName)) return printHelp(io, groupUsage(groupName, group))
  const command = Object.hasOwn(group, commandName) ? group[commandName] : undefined
  if (command === undefined) throw new UsageError(`unknown command "${groupName} ${commandName}"\n\n${groupUsage(groupName, group)}`)
  return runCommand(`${groupName} ${commandName}`, command, args, io)
}

async function runCommand(name: string, command: CliCommand, args: string[], io: CliIo): Promise<number> {
  if (args.some(isHelp)) return printHelp(io, command.usage)
  try {
    return await command.run(args, io)
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${name}: ${err.message}\n\n${command.usage}`)
    throw err
  }
}

async function printHelp(io: CliIo, text: string): Promise<number> {
  await io.print(text)
  return exitCodes.ok
}

function mainUsage(): string {
  const lines = [`Usage: ${PROGRAM} <command> [options]`, '', 'Commands:']
  for (const [name, command] of Object.entries(commands)) lines.push(`  ${name.padEnd(14)}${command.summary}`)
  for (const [groupName, group] of Object.entries(groups)) {
    for (const [name, command] of Object.entries(group)) lines.push(`  ${`${groupName} ${name}`.padEnd(14)}${command.summary}`)
  }
  lines.push('', `Run "${PROGRAM} <command> --help" for its options, "${PROGRAM} --version" for the version.`)
  return lines.join('\n')
}

function groupUsage(groupName: string, group: Readonly<Record<string, CliCommand>>): string {
  const lines = [`Usage: ${PROGRAM} ${groupName} <command> [options]`, '', 'Commands:']
  for (const [name, command] of Object.entries(group)) lines.push(`  ${name.padEnd(8)}${command.summary}`)
  return lines.join('\n')
}

const PROGRESS_LINE_EVERY_MS = 5000

function progressWriter(stderr: Writable): CliIo['progress'] {
  const tty = (stderr as Writable & { isTTY?: boolean }).isTTY === true
  let last = 0
  return (text, final = false) => {
    if (tty) {
      stderr.write(`\r${text}\x1b[K${final ? '\n' : ''}`)
      return
    }
    const now = Date.now()
    if (!final && now - last < PROGRESS_LINE_EVERY_MS) return
    last = now
    stderr.write(`${text}\n`)
  }
}

/** Real or injected streams behind CliIo; SIGINT and a closed stdout abort the signal. */
function createIo(options: RunCliOptions): { io: CliIo; dispose: () => void } {
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') stderr.write(`${PROGRAM}: ${err.message}\n`)
    stop()
  }
  stdout.on('error', onStdoutError)
  options.signal?.addEventListener('abort', stop, { once: true })
  if (options.signal === undefined) process.once('SIGINT', stop)
  const io: CliIo = {
    async print(line) {
      if (controller.signal.aborted) return
      if (!stdout.write(`${line}\n`)) await once(stdout, 'drain', { signal: controller.signal })
    },
    warn: (line) => void stderr.write(`${line}\n`),
    progress: progressWriter(stderr),
    env: options.env ?? process.env,
    signal: controller.signal,
  }
  // The stdout error listener stays: a write still pending when runCli returns
  // may fail with EPIPE later, and must not crash the process then.
  const dispose = (): void => {
    options.signal?.removeEventListener('abort', stop)
    process.off('SIGINT', stop)
  }
  return { io, dispose }
}
