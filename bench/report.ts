/**
 * Bench results: the record of one run (machine, settings, one row per
 * workload × workers × server, capture/floor ratios) and its renderings: the
 * console/markdown table and the files under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SinkFigures } from './capture-metrics.js'
import type { ServerKind } from './servers.js'
import type { WorkloadName } from './workloads.js'

export interface Measurement {
  readonly workload: WorkloadName
  readonly server: ServerKind
  readonly workers: number
  readonly seconds: number
  readonly requestsPerSec: number
  readonly eventsPerSec: number
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly statusCodes: Readonly<Record<string, number>>
  readonly rss: { readonly maxTotalMiB: number; readonly perProcessMaxMiB: readonly { role: string; maxRssMiB: number }[] }
  readonly serverCpuCores: number
  readonly generatorCpuCores: number
  /** Which round this figure comes from (the median round, in the summary). */
  readonly round?: number
  /** Summary only: events/s of every round of this cell, in run order. */
  readonly eventsPerSecRounds?: readonly number[]
  /** Settings the server ran with besides ADDRESS, WORKERS and DATA_DIR. */
  readonly env?: Readonly<Record<string, string>>
  /** 1-minute load average just before the cell started: other work on the machine shows here. */
  readonly loadAvg1Before: number
  /** PSI CPU "some avg10" (%) at the end of the measured phase: time runnable tasks waited for a CPU. */
  readonly cpuPressurePct?: number
  /** Server CPU time per event, µs: less sensitive to a busy machine than events/s. */
  readonly cpuMicrosPerEvent: number
  /** capture only: its own metrics over the measured phase (group commits, publish wait). */
  readonly sink?: SinkFigures
  /** capture only: lines found in the local log vs events acknowledged with 2xx (warm-up included). */
  readonly durability?: { readonly loggedEvents: number; readonly acknowledgedEvents: number }
}

export interface Failure {
  readonly workload: WorkloadName
  readonly server: ServerKind
  readonly workers: number
  readonly round: number
  readonly error: string
}

export interface Ratio {
  readonly workload: WorkloadName
  readonly workers: number
  /** capture events/s ÷ floor events/s. */
  readonly eventsPerSec: number
  /** floor CPU µs/event ÷ capture CPU µs/event: the events/s ratio to expect when both are CPU-bound. */
  readonly cpuEfficiency: number
  readonly target?: number
  readonly meetsTarget?: boolean
}

/** The machine a run was taken on (every bench report carries one). */
export interface Machine {
  readonly host: string
  readonly nproc: number
  readonly cpuModel: string
  readonly memoryGiB: number
  readonly node: string
  readonly kernel: string
  /** 1/5/15-minute load averages when the run started. */
  readonly loadAvgAtStart: readonly number[]
  /** The same when it ended, where the report records it. */
  readonly loadAvgAtEnd?: readonly number[]
}

export interface BenchReport {
  readonly startedAt: string
  readonly machine: Machine
  readonly code: { readonly commit: string; readonly dirtyFiles: number; readonly build: string }
  readonly settings: {
    readonly durationSeconds: number
    readonly warmupSeconds: number
    readonly connections: number
    readonly pipelining: number
    readonly workers: readonly number[]
    readonly poolSize: number
    readonly rounds: number
    /** Extra node flags both servers ran with (--node-arg). */
    readonly nodeArgs: readonly string[]
    readonly generator: string
  }
  readonly workloads: readonly { name: WorkloadName; description: string; eventsPerRequest: number; meanEventBytes: number; meanBodyBytes: number }[]
  /** One row per cell: the round with the median events/s. */
  readonly measurements: readonly Measurement[]
  /** Every round of every cell. */
  readonly runs: readonly Measurement[]
  readonly failures: readonly Failure[]
  readonly ratios: readonly Ratio[]
}

/** The target: capture keeps ≥ 80% of the floor's events/s on gzip100 with the local log. */
export const TARGETS: Partial<Record<WorkloadName, number>> = { gzip100: 0.8 }

/**
 * One row per workload × workers × server: the round with the median events/s
 * (the lower middle one for an even count), so latency and RSS stay those of a
 * real round. On a shared machine the median resists a burst of outside load.
 */
export function medianOfRounds(runs: readonly Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>()
  for (const run of runs) {
    const key = `${run.workload}|${run.workers}|${run.server}`
    groups.set(key, [...(groups.get(key) ?? []), run])
  }
  return [...groups.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.eventsPerSec - b.eventsPerSec)
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!
    return { ...median, eventsPerSecRounds: group.map((m) => m.eventsPerSec) }
  })
}

export function computeRatios(measurements: readonly Measurement[]): Ratio[] {
  const ratios: Ratio[] = []
  for (const capture of measurements.filter((m) => m.server === 'capture')) {
    const floor = measurements.find((m) => m.server === 'floor' && m.workload === capture.workload && m.workers === capture.workers)
    if (floor === undefined || floor.eventsPerSec === 0) continue
    const ratio = round(capture.eventsPerSec / floor.eventsPerSec, 3)
    const target = TARGETS[capture.workload]
    const cpuEfficiency = capture.cpuMicrosPerEvent > 0 ? round(floor.cpuMicrosPerEvent / capture.cpuMicrosPerEvent, 3) : 0
    ratios.push({ workload: capture.workload, workers: capture.workers, eventsPerSec: ratio, cpuEfficiency, target, meetsTarget: target === undefined ? undefined : ratio >= target })
  }
  return ratios
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const pct = (n: number): string => `${(n * 100).toFixed(0)}%`

export function resultsTable(report: BenchReport): string {
  const header = '| workload | workers | server | req/s | events/s | p50 ms | p99 ms | non-2xx | RSS max total MiB | RSS per process MiB | server CPU | CPU µs/event | loadgen CPU | CPU pressure | capture/floor events/s | capture/floor CPU per event |'
  const rule = '|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|'
  const rows = report.measurements.map((m) => {
    const ratio = m.server === 'capture' ? report.ratios.find((r) => r.workload === m.workload && r.workers === m.workers) : undefined
    const ratioText = ratio === undefined ? '' : `**${pct(ratio.eventsPerSec)}**${ratio.target === undefined ? '' : ` (target ${pct(ratio.target)}: ${ratio.meetsTarget ? 'met' : 'NOT met'})`}`
    const perProcess = m.rss.perProcessMaxMiB.map((p) => `${p.role} ${p.maxRssMiB}`).join(', ')
    return `| ${m.workload} | ${m.workers} | ${m.server} | ${fmt(m.requestsPerSec)} | ${fmt(m.eventsPerSec)} | ${m.latencyMs.p50} | ${m.latencyMs.p99} | ${m.non2xx + m.errors + m.timeouts} | ${m.rss.maxTotalMiB} | ${perProcess} | ${m.serverCpuCores} | ${m.cpuMicrosPerEvent} | ${m.generatorCpuCores} | ${m.cpuPressurePct === undefined ? '–' : `${m.cpuPressurePct}%`} | ${ratioText} | ${ratio === undefined ? '' : pct(ratio.cpuEfficiency)} |`
  })
  const failures = report.failures.map((f) => `| ${f.workload} | ${f.workers} | ${f.server} | round ${f.round} failed: ${f.error.split('\n')[0]} ||||||||||||| |`)
  return [header, rule, ...rows, ...failures].join('\n')
}

export function markdownReport(report: BenchReport): string {
  const m = report.machine
  const s = report.settings
  return [
    `# Bench run ${report.startedAt}`,
    '',
    `Machine: ${m.host}, ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Node ${m.node}, Linux ${m.kernel}; load average at start ${m.loadAvgAtStart.join(' / ')}.`,
    `Code: ${report.code.commit}${report.code.dirtyFiles > 0 ? ` + ${report.code.dirtyFiles} uncommitted files` : ''} (dist ${report.code.build}).`,
    `Load: ${s.generator}, ${s.connections} connections, pipelining ${s.pipelining}, ${s.warmupSeconds} s warm-up then ${s.durationSeconds} s measured per cell; ` +
      `pool of ${s.poolSize} distinct bodies per workload; ${s.nodeArgs.length > 0 ? `server node flags: ${s.nodeArgs.join(' ')}; ` : ''}${s.rounds} round(s), each row is the round with the median events/s; ` +
      `generator, server primary and workers all share the same ${m.nproc} CPUs.`,
    '',
    '## Workloads',
    '',
    ...report.workloads.map((w) => `- \`${w.name}\`: ${w.description}; ~${w.meanEventBytes} B per event as JSON, ~${w.meanBodyBytes} B body on the wire.`),
    '',
    '## Results',
    '',
    targetSummary(report),
    '',
    resultsTable(report),
    '',
    'events/s = 2xx responses/s × events per request. RSS = max of VmRSS samples (every 250 ms) over the measured phase;',
    'CPU in cores (1.0 = one core busy the whole time); CPU µs/event = server CPU time ÷ events acknowledged. "CPU pressure" is',
    'PSI cpu some avg10 after the cell: the share of time some task waited for a CPU (well above 0 = the machine was shared).',
    'Ratios compare capture with the floor server in the same run: by events/s, and by CPU per event (floor ÷ capture),',
    'which is the events/s ratio to expect when both are CPU-bound and which a busy machine disturbs less.',
    ...roundsNotes(report),
    ...sinkTable(report),
    ...durabilityNotes(report),
    '',
  ].join('\n')
}

function roundsNotes(report: BenchReport): string[] {
  if (report.settings.rounds <= 1) return []
  return [
    '', 'events/s of every round (run order):', '',
    ...report.measurements.map((m) => `- ${m.workload} × ${m.workers} × ${m.server}: ${(m.eventsPerSecRounds ?? []).map(fmt).join(', ')}`),
  ]
}

export function sinkTable(report: BenchReport): string[] {
  const rows = report.measurements.flatMap((m) => {
    const s = m.sink
    if (s === undefined) return []
    const cell = (n: number | undefined): string => (n === undefined ? '–' : String(n))
    return [`| ${m.workload} | ${m.workers} | ${cell(s.commitsPerSec)} | ${cell(s.messagesPerCommit)} | ${cell(s.commitMeanMs)} | ${cell(s.publishWaitMeanMs)} | ${cell(s.requestMeanMs)} |`]
  })
  if (rows.length === 0) return []
  return [
    '', '### Inside capture (its /metrics, measured phase)', '',
    '| workload | workers | group commits/s | messages per commit | commit (write+fdatasync) mean ms | publish wait mean ms | request mean ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ]
}

function durabilityNotes(report: BenchReport): string[] {
  const checked = report.runs.filter((m) => m.durability !== undefined)
  if (checked.length === 0) return []
  const short = checked.filter((m) => m.durability!.loggedEvents < m.durability!.acknowledgedEvents)
  const logged = checked.reduce((sum, m) => sum + m.durability!.loggedEvents, 0)
  const acknowledged = checked.reduce((sum, m) => sum + m.durability!.acknowledgedEvents, 0)
  const summary = `Local log check: ${checked.length} capture cells, ${fmt(logged)} lines logged for ${fmt(acknowledged)} events acknowledged ` +
    '(requests in flight at the cut-off add a few lines; fewer lines than acknowledged events would be a durability bug).'
  return ['', summary, ...short.map((m) => `- **${m.workload} × ${m.workers} (round ${m.round}): ${fmt(m.durability!.loggedEvents)} lines for ${fmt(m.durability!.acknowledgedEvents)} acknowledged events**`)]
}

export function targetSummary(report: BenchReport): string {
  const lines = report.ratios.filter((r) => r.target !== undefined).map((r) =>
    `${r.workload} × ${r.workers} worker(s): capture at ${pct(r.eventsPerSec)} of the floor's events/s (${pct(r.cpuEfficiency)} by CPU per event), target ${pct(r.target!)}: ${r.meetsTarget ? 'met' : '**not met**'}`)
  return lines.length === 0 ? '' : `Target: ${lines.join('; ')}.`
}

/** Pretty JSON with one line per measurement, so the file stays small and diffs stay readable. */
export function reportJson(report: BenchReport): string {
  const { measurements, runs, ...rest } = report
  const list = (items: readonly Measurement[]): string => `[\n${items.map((m) => `    ${JSON.stringify(m)}`).join(',\n')}\n  ]`
  const head = JSON.stringify(rest, null, 2).slice(0, -2)
  return `${head},\n  "measurements": ${list(measurements)},\n  "runs": ${list(runs)}\n}\n`
}

export function writeReport(dir: string, report: BenchReport): { json: string; md: string } {
  mkdirSync(dir, { recursive: true })
  const base = `${report.startedAt.slice(0, 10)}-${report.machine.host}`
  const json = join(dir, `${base}.json`)
  const md = join(dir, `${base}.md`)
  writeFileSync(json, reportJson(report))
  writeFileSync(md, markdownReport(report))
  return { json, md }
}

export const round = (n: number, digits = 0): number => Math.round(n * 10 ** digits) / 10 ** digits
