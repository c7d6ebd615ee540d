/**
 * What every CLI command is and may touch: the leaf the dispatcher (main.ts)
 * and the command tables (log-commands.ts, replay-command.ts) both import, so
 * neither imports the other's module for a type.
 */

/** What a command may touch besides the file system. */
export interface CliIo {
  /** Writes one line to stdout, waiting while the pipe is full. */
  print(line: string): Promise<void>
  /** Writes one line to stderr. */
  warn(line: string): void
  /**
   * A progress line on stderr: redrawn in place on a terminal, else printed at
   * most every few seconds (and always when `final`).
   */
  progress(text: string, final?: boolean): void
  readonly env: Readonly<Record<string, string | undefined>>
  /** Aborted on SIGINT or when stdout closes: long-running commands stop and return. */
  readonly signal: AbortSignal
}

export interface CliCommand {
  readonly summary: string
  readonly usage: string
  run(args: string[], io: CliIo): Promise<number>
}

export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const

/** The command's name (package.json `bin`), in usage texts and messages. */
export const PROGRAM = 'posthog-capture'
