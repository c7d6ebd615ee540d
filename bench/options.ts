/**
 * bench/run.ts's command line (documented in bench/README.md). Unknown flags
 * and bad values stop the run before any server starts.
 */
import { join, resolve } from 'node:path'
import type { LocalServerKind } from './servers.js'
import { WORKLOAD_NAMES, type WorkloadName } from './workloads.js'

export interface Options {
  duration: number
  warmup: number
  workers: number[]
  connections: number
  workloads: WorkloadName[]
  servers: LocalServerKind[]
  pool: number
  rounds: number
  captureEnv: Record<string, string>
  nodeArgs: string[]
  build: 'auto' | 'never' | 'always'
  save: boolean
  outDir: string
  profileDir?: string
}

export function parseArgs(argv: readonly string[], root: string): Options {
  const options: Options = { duration: 10, warmup: 2, workers: [1, 2], connections: 50, workloads: [...WORKLOAD_NAMES], servers: ['floor', 'capture'], pool: 8, rounds: 1, captureEnv: {}, nodeArgs: [], build: 'auto', save: true, outDir: join(root, 'bench', 'results') }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined) throw new Error(`${flag} needs a value`)
      return next
    }
    const list = (): string[] => value().split(',').map((s) => s.trim()).filter(Boolean)
    switch (flag) {
      case '--duration': options.duration = positive(flag, value()); break
      case '--warmup': options.warmup = positive(flag, value()); break
      case '--connections': options.connections = positive(flag, value()); break
      case '--pool': options.pool = positive(flag, value()); break
      case '--rounds': options.rounds = positive(flag, value()); break
      case '--capture-env': {
        const [key, ...rest] = value().split('=')
        if (!key || rest.length === 0) throw new Error('--capture-env expects KEY=VALUE')
        options.captureEnv[key] = rest.join('=')
        break
      }
      case '--workers': options.workers = list().map((w) => positive(flag, w)); break
      case '--workloads': options.workloads = list().map((w) => oneOf(flag, w, WORKLOAD_NAMES)); break
      case '--servers': options.servers = list().map((s) => oneOf(flag, s, ['floor', 'capture'] as const)); break
      case '--node-arg': options.nodeArgs.push(value()); break
      case '--no-build': options.build = 'never'; break
      case '--rebuild': options.build = 'always'; break
      case '--no-save': options.save = false; break
      case '--out': options.outDir = resolve(value()); break
      case '--profile': options.profileDir = resolve(value()); break
      default: throw new Error(`unknown option ${flag}`)
    }
  }
  return options
}

function positive(flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got ${text}`)
  return n
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`${flag}: ${text} is not one of ${allowed.join(', ')}`)
  return text as T
}

