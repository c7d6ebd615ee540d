/**
 * Process statistics from /proc (Linux only): the resident set size and CPU
 * time of a server's process tree (the primary plus its node:cluster workers),
 * sampled while the load runs.
 *
 * RSS figures are VmRSS in KiB turned into MiB; "total" is the largest sum over
 * one sample, "per process" the largest value each process reached. CPU is the
 * utime+stime the tree used between start() and stop(), in cores (1.0 = one
 * core busy for the whole interval).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'

export interface ProcessPeak {
  readonly pid: number
  readonly role: 'primary' | 'worker' | 'server'
  readonly maxRssMiB: number
}

export interface TreeStats {
  readonly maxTotalRssMiB: number
  readonly processes: readonly ProcessPeak[]
  readonly cpuCores: number
  readonly samples: number
}

const CLOCK_TICKS = readClockTicks()

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  const text = readText(`/proc/${pid}/stat`)
  if (text === undefined) return undefined
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

/** Every live descendant of `root` (children, grandchildren, ...). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    const fields = statFields(pid)
    if (fields === undefined) continue
    const ppid = Number(fields[1])
    const list = children.get(ppid) ?? []
    list.push(pid)
    children.set(ppid, list)
  }
  const found: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

export function rssKiB(pid: number): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/status`) ?? '')
  return match ? Number(match[1]) : undefined
}

/** utime + stime of one process, in clock ticks. */
export function cpuTicks(pid: number): number | undefined {
  const fields = statFields(pid)
  // After the command name: state(0) ppid(1) ... utime(11) stime(12).
  return fields === undefined ? undefined : Number(fields[11]) + Number(fields[12])
}

/** Samples a process tree's RSS every `intervalMs` and measures its CPU time between start and stop. */
export class TreeSampler {
  private readonly peaks = new Map<number, number>()
  private readonly ticksAtStart = new Map<number, number>()
  private readonly ticksSeen = new Map<number, number>()
  private maxTotalKiB = 0
  private samples = 0
  private timer: NodeJS.Timeout | undefined
  private startedAt = 0

  constructor(private readonly root: number, private readonly intervalMs = 250) {}

  start(): void {
    this.startedAt = performance.now()
    for (const pid of this.tree()) this.ticksAtStart.set(pid, cpuTicks(pid) ?? 0)
    this.sample()
    this.timer = setInterval(() => this.sample(), this.intervalMs)
  }

  stop(): TreeStats {
    if (this.timer) clearInterval(this.timer)
    this.sample()
    const seconds = (performance.now() - this.startedAt) / 1000
    let ticks = 0
    for (const [pid, last] of this.ticksSeen) ticks += last - (this.ticksAtStart.get(pid) ?? 0)
    const clustered = this.peaks.size > 1
    const processes = [...this.peaks].map(([pid, kib]): ProcessPeak => ({
      pid,
      role: pid === this.root ? (clustered ? 'primary' : 'server') : 'worker',
      maxRssMiB: round1(kib / 1024),
    }))
    return { maxTotalRssMiB: round1(this.maxTotalKiB / 1024), processes, cpuCores: round2(ticks / CLOCK_TICKS / seconds), samples: this.samples }
  }

  private tree(): number[] {
    return [this.root, ...descendants(this.root)]
  }

  private sample(): void {
    let total = 0
    for (const pid of this.tree()) {
      const rss = rssKiB(pid)
      if (rss === undefined) continue
      total += rss
      this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, rss))
      const ticks = cpuTicks(pid)
      if (ticks !== undefined) this.ticksSeen.set(pid, ticks)
    }
    this.maxTotalKiB = Math.max(this.maxTotalKiB, total)
    this.samples++
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10
const round2 = (n: number): number => Math.round(n * 100) / 100

/**
 * CPU pressure (PSI "some avg10"): the share of the last 10 s in which some
 * runnable task waited for a CPU. Near 0 on a quiet machine; undefined where
 * the kernel does not expose /proc/pressure.
 */
export function cpuPressure(): number | undefined {
  const match = /^some avg10=([\d.]+)/m.exec(readText('/proc/pressure/cpu') ?? '')
  return match ? Number(match[1]) : undefined
}
