/**
 * `posthog-capture serve`: the capture server in this process, exactly as
 * `npm start` (`node dist/main.js`) runs it. Configuration comes from the
 * environment only, so a service unit or container sets variables, not flags.
 *
 * run() resolves once the server module has started (its listeners keep the
 * process alive); from then on the server owns the process: it handles
 * SIGTERM/SIGINT and exits by itself. With WORKERS>1 node:cluster forks this
 * same command line for each worker.
 */
import { PROGRAM, type CliCommand } from './cli-command.js'
import { UsageError } from './usage-error.js'

const usage = [
  `Usage: ${PROGRAM} serve`,
  '',
  'Runs the capture server in this process until SIGTERM or SIGINT (it drains, then exits 0).',
  'Configured by environment variables only (docs/configuration.md), for example:',
  '',
  '  ADDRESS=0.0.0.0:3000      listen address (default 127.0.0.1:3000)',
  '  WORKERS=2                 processes sharing the port (default 1)',
  '  DATA_DIR=/var/lib/capture local log, or the Kafka spool in DATA_DIR/spool (default ./data)',
  '  KAFKA_HOSTS=kafka:9092    Kafka mode (needs `npm run install:kafka`)',
  '  REDIS_URL=redis://…       shared limiter state (default: in memory)',
].join('\n')

async function run(args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}": the server is configured by environment variables`)
  await import('../main.js')
  return 0
}

export const serveCommand: CliCommand = { summary: 'run the capture server (configured by environment variables)', usage, run }
