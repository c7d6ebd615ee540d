/**
 * The Kafka bench's record (every cell of every round) and its renderings:
 * the comparison table (ours ÷ Rust from the same run, medians over rounds), the
 * median row of every server, every cell with its Kafka cross-check, and the
 * soak's RSS over time. Files: bench/results/<date>-<host>-kafka.{json,md}
 * and <date>-<host>-soak.{json,md}.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Machine } from './report.js'
import type { KafkaWorkloadName } from './workloads.js'

export type KafkaServer = 'capture' | 'peer' | 'floor' | 'capture-dedup'

export interface KafkaCell {
  readonly workload: KafkaWorkloadName
  readonly server: KafkaServer
  readonly round: number
  /** Position within the round's order for this workload (1 = first). */
  readonly order: number
  readonly env: Readonly<Record<string, string>>
  readonly sanityAnswer: string
  readonly seconds: number
  readonly requestsPerSec: number
  /** 2xx responses × events per request ÷ measured seconds. */
  readonly eventsPerSec: number
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number }
  readonly non2xx: number
  readonly socketErrors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number }
  readonly serverCpuCores: number
  /** Server tree CPU time over the measured phase ÷ events acknowledged in it. */
  readonly cpuMicrosPerEvent: number
  /** Largest sum of VmRSS over the server's processes, sampled every 250 ms in the measured phase. */
  readonly peakRssMiB: number
  readonly rssPerProcessMiB: readonly { readonly role: string; readonly maxRssMiB: number }[]
  readonly rssSamples: number
  readonly generatorCpuCores: number
  readonly loadAvg1Before: number
  /** 1-minute load average at the end of the measured phase. */
  readonly loadAvg1: number
  readonly cpuPressurePct?: number
  /** Kafka servers: high-water-mark growth of the topics vs events acknowledged. */
  readonly kafka?: {
    /** From before the server started to after it stopped (sanity + warm-up + measured). */
    readonly cellGrowth: number
    readonly cellGrowthByTopic: Readonly<Record<string, number>>
    /** 2xx × events over the same span. */
    readonly acknowledgedEvents: number
    /** Requests wrk sent × events (acknowledged + those still unanswered when wrk stopped, which the server may have written). */
    readonly sentEvents: number
    readonly growthOverAcked: number
    readonly growthOverSent: number
    /** Growth during the measured phase alone, and as a rate. */
    readonly measuredGrowth: number
    readonly measuredEventsPerSec: number
  }
  /** A gzip pool ran out: uuids repeated (would be dropped as duplicates with de-dup on). */
  readonly poolWrapped: boolean
  readonly requestsSent: number
}

export interface KafkaReport {
  readonly kind: 'kafka'
  readonly startedAt: string
  readonly finishedAt: string
  readonly machine: Machine
  readonly code: { readonly commit: string; readonly dirtyFiles: number; readonly root?: string; readonly build: string }
  readonly peer?: { readonly binary: string; readonly source: string; readonly builtAt: string }
  readonly infra: { readonly kafka: string; readonly redis: string }
  readonly settings: {
    readonly generator: string
    readonly connections: number
    readonly warmupSeconds: number
    readonly durationSeconds: number
    readonly rounds: number
    readonly workers: number
    readonly servers: readonly KafkaServer[]
    readonly producer: Readonly<Record<string, string>>
    readonly captureEnv: Readonly<Record<string, string>>
    readonly peerEnv: Readonly<Record<string, string>>
    /** --delay: ms each connection pauses between requests, per workload (a fixed offered load); absent = closed loop. */
    readonly delays?: Readonly<Record<string, number>>
  }
  readonly workloads: readonly { name: KafkaWorkloadName; description: string; eventsPerRequest: number; meanEventBytes: number; meanBodyBytes: number; poolBodies: number }[]
  readonly cells: readonly KafkaCell[]
  readonly failures: readonly { workload: KafkaWorkloadName; server: KafkaServer; round: number; error: string }[]
}

export interface SoakReport {
  readonly kind: 'soak'
  readonly startedAt: string
  readonly finishedAt: string
  readonly machine: Machine
  readonly code: { readonly commit: string; readonly dirtyFiles: number; readonly root?: string; readonly build: string }
  readonly infra: { readonly kafka: string; readonly redis: string }
  readonly settings: { readonly workload: KafkaWorkloadName; readonly minutes: number; readonly connections: number; readonly delayMs: number; readonly offeredRequestsPerSec: number; readonly workers: number; readonly env: Readonly<Record<string, string>>; readonly generator: string }
  readonly eventsPerSec: number
  readonly latencyMs: KafkaCell['latencyMs']
  readonly non2xx: number
  readonly socketErrors: KafkaCell['socketErrors']
  readonly serverCpuCores: number
  readonly cpuMicrosPerEvent: number
  readonly kafka: { readonly growth: number; readonly acknowledgedEvents: number; readonly sentEvents: number; readonly growthOverAcked: number; readonly growthOverSent: number }
  /** RSS sum over capture's processes every 250 ms, seconds since start. */
  readonly samples: readonly { t: number; rssMiB: number }[]
}

const roundTo = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Medians over the rounds of one workload × server. */
export interface MedianRow {
  readonly workload: KafkaWorkloadName
  readonly server: KafkaServer
  readonly rounds: number
  readonly eventsPerSec: number
  readonly eventsPerSecRounds: readonly number[]
  readonly p50Ms: number
  readonly p99Ms: number
  readonly cpuMicrosPerEvent: number
  readonly serverCpuCores: number
  readonly peakRssMiB: number
  readonly loadAvg1: number
  readonly failed: number
  readonly non2xx: number
  readonly kafkaGrowthOverAcked?: number
  readonly kafkaGrowthOverSent?: number
}

export function medianRows(report: KafkaReport): MedianRow[] {
  const rows: MedianRow[] = []
  for (const w of report.workloads) {
    for (const server of report.settings.servers) {
      const cells = report.cells.filter((c) => c.workload === w.name && c.server === server)
      const failed = report.failures.filter((f) => f.workload === w.name && f.server === server).length
      if (cells.length === 0) {
        if (failed > 0) rows.push({ workload: w.name, server, rounds: 0, eventsPerSec: 0, eventsPerSecRounds: [], p50Ms: 0, p99Ms: 0, cpuMicrosPerEvent: 0, serverCpuCores: 0, peakRssMiB: 0, loadAvg1: 0, failed, non2xx: 0 })
        continue
      }
      const m = (f: (c: KafkaCell) => number, digits = 1): number => roundTo(median(cells.map(f)), digits)
      const k = cells.filter((c) => c.kafka !== undefined)
      rows.push({
        workload: w.name, server, rounds: cells.length, failed,
        eventsPerSec: m((c) => c.eventsPerSec, 0), eventsPerSecRounds: cells.map((c) => c.eventsPerSec),
        p50Ms: m((c) => c.latencyMs.p50), p99Ms: m((c) => c.latencyMs.p99),
        cpuMicrosPerEvent: m((c) => c.cpuMicrosPerEvent), serverCpuCores: m((c) => c.serverCpuCores, 2),
        peakRssMiB: m((c) => c.peakRssMiB), loadAvg1: m((c) => c.loadAvg1, 2),
        non2xx: cells.reduce((a, c) => a + c.non2xx + c.socketErrors.connect + c.socketErrors.read + c.socketErrors.write + c.socketErrors.timeout, 0),
        kafkaGrowthOverAcked: k.length === 0 ? undefined : median(k.map((c) => c.kafka!.growthOverAcked)),
        kafkaGrowthOverSent: k.length === 0 ? undefined : median(k.map((c) => c.kafka!.growthOverSent)),
      })
    }
  }
  return rows
}

const WORKLOAD_TITLES: Record<KafkaWorkloadName, string> = {
  gzip100: '100-event gzip `/batch` (gzip100)',
  'js-e': 'posthog-js gzip `/e/` 10-event arrays (js-e)',
  json5: '5-event plain JSON `/batch` (json5)',
}

const k = (n: number): string => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n)))
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const ratio = (a: number, b: number): string => (b > 0 && a > 0 ? (a / b).toFixed(2) : '–')
const mib = (n: number): string => `${Math.round(n)} MiB`
const pctOr = (n: number | undefined): string => (n === undefined ? '–' : `${(n * 100).toFixed(1)}%`)

/** The issue's table: ours ÷ Rust from this run (medians over rounds; per-round ratio range in brackets). */
export function issueTable(report: KafkaReport): string {
  const rows = medianRows(report)
  const find = (w: KafkaWorkloadName, s: KafkaServer): MedianRow | undefined => rows.find((r) => r.workload === w && r.server === s && r.rounds > 0)
  const roundRatios = (w: KafkaWorkloadName, ours: KafkaServer, f: (c: KafkaCell) => number): number[] => {
    const out: number[] = []
    for (const c of report.cells.filter((x) => x.workload === w && x.server === ours)) {
      const peer = report.cells.find((x) => x.workload === w && x.server === 'peer' && x.round === c.round)
      if (peer !== undefined && f(peer) > 0) out.push(f(c) / f(peer))
    }
    return out
  }
  const lines = [
    '| workload | events/s ours / Rust | events/s ratio (per-round range) | CPU per event ours / Rust | peak RSS ours / Rust | floor events/s (ours ÷ floor) | load avg 1m (ours / Rust) |',
    '|---|---|---|---|---|---|---|',
  ]
  for (const w of report.workloads) {
    const peer = find(w.name, 'peer')
    const floor = find(w.name, 'floor')
    for (const ours of ['capture', 'capture-dedup'] as const) {
      const row = find(w.name, ours)
      if (row === undefined) continue
      const title = ours === 'capture' ? WORKLOAD_TITLES[w.name] : `${w.name}, ours with de-duplication on (Redis)`
      const rr = roundRatios(w.name, ours, (c) => c.eventsPerSec)
      const range = rr.length > 1 ? ` (${Math.min(...rr).toFixed(2)} – ${Math.max(...rr).toFixed(2)})` : ''
      const evs = peer ? `${k(row.eventsPerSec)} / ${k(peer.eventsPerSec)}` : `${k(row.eventsPerSec)} / –`
      const cpu = peer ? `${Math.round(row.cpuMicrosPerEvent)} µs / ${Math.round(peer.cpuMicrosPerEvent)} µs, ${ratio(row.cpuMicrosPerEvent, peer.cpuMicrosPerEvent)}×` : `${Math.round(row.cpuMicrosPerEvent)} µs / –`
      const rss = peer ? `${mib(row.peakRssMiB)} / ${mib(peer.peakRssMiB)}, ${ratio(row.peakRssMiB, peer.peakRssMiB)}×` : `${mib(row.peakRssMiB)} / –`
      const fl = floor ? `${k(floor.eventsPerSec)} (${ratio(row.eventsPerSec, floor.eventsPerSec)})` : '–'
      lines.push(`| ${title} | ${evs} | **${peer ? ratio(row.eventsPerSec, peer.eventsPerSec) : '–'}**${range} | ${cpu} | ${rss} | ${fl} | ${row.loadAvg1} / ${peer?.loadAvg1 ?? '–'} |`)
    }
  }
  return lines.join('\n')
}

export function medianTable(report: KafkaReport): string {
  const lines = [
    '| workload | server | rounds | events/s (median) | events/s per round | p50 ms | p99 ms | server CPU cores | CPU µs/event | peak RSS MiB | load avg 1m | errors + non-2xx | Kafka HWM growth ÷ acked | ÷ sent |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of medianRows(report)) {
    lines.push(`| ${r.workload} | ${r.server} | ${r.rounds}${r.failed > 0 ? ` (+${r.failed} failed)` : ''} | ${fmt(r.eventsPerSec)} | ${r.eventsPerSecRounds.map(fmt).join(', ')} | ${r.p50Ms} | ${r.p99Ms} | ${r.serverCpuCores} | ${r.cpuMicrosPerEvent} | ${r.peakRssMiB} | ${r.loadAvg1} | ${r.non2xx} | ${pctOr(r.kafkaGrowthOverAcked)} | ${pctOr(r.kafkaGrowthOverSent)} |`)
  }
  return lines.join('\n')
}

export function cellTable(report: KafkaReport): string {
  const lines = [
    '| round | workload | # | server | events/s | Kafka events/s (measured HWM) | p50 ms | p99 ms | CPU µs/event | peak RSS MiB (per process) | load 1m before → after | PSI cpu | Kafka growth (cell) | acked events (cell) | sent events (cell) | growth ÷ acked | growth ÷ sent | notes |',
    '|---:|---|---:|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|',
  ]
  const cells = [...report.cells].sort((a, b) => a.round - b.round || report.workloads.findIndex((w) => w.name === a.workload) - report.workloads.findIndex((w) => w.name === b.workload) || a.order - b.order)
  for (const c of cells) {
    const kf = c.kafka
    const errors = c.non2xx + c.socketErrors.connect + c.socketErrors.read + c.socketErrors.write + c.socketErrors.timeout
    const notes = [errors > 0 ? `${errors} errors/non-2xx` : '', c.poolWrapped ? `pool wrapped${c.server === 'capture-dedup' ? ' (repeats dropped as duplicates!)' : ' (harmless: no de-dup)'}` : ''].filter(Boolean).join('; ')
    lines.push(`| ${c.round} | ${c.workload} | ${c.order} | ${c.server} | ${fmt(c.eventsPerSec)} | ${kf ? fmt(kf.measuredEventsPerSec) : '–'} | ${c.latencyMs.p50} | ${c.latencyMs.p99} | ${c.cpuMicrosPerEvent} | ${c.peakRssMiB} (${c.rssPerProcessMiB.map((p) => `${p.role} ${p.maxRssMiB}`).join(', ')}) | ${c.loadAvg1Before} → ${c.loadAvg1} | ${c.cpuPressurePct ?? '–'}% | ${kf ? fmt(kf.cellGrowth) : '–'} | ${kf ? fmt(kf.acknowledgedEvents) : '–'} | ${kf ? fmt(kf.sentEvents) : '–'} | ${pctOr(kf?.growthOverAcked)} | ${pctOr(kf?.growthOverSent)} | ${notes} |`)
  }
  for (const f of report.failures) lines.push(`| ${f.round} | ${f.workload} | | ${f.server} | failed: ${f.error.split('\n')[0]} ||||||||||| |`)
  return lines.join('\n')
}

function kafkaCheck(report: KafkaReport): string {
  const checked = report.cells.filter((c) => c.kafka !== undefined)
  if (checked.length === 0) return ''
  const range = (f: (c: KafkaCell) => number): string => `${pctOr(Math.min(...checked.map(f)))}–${pctOr(Math.max(...checked.map(f)))}`
  const lost = checked.filter((c) => c.kafka!.cellGrowth < c.kafka!.acknowledgedEvents)
  const extra = checked.filter((c) => c.kafka!.cellGrowth > c.kafka!.sentEvents)
  const off = checked.filter((c) => Math.abs(c.kafka!.growthOverSent - 1) > 0.03)
  return `Kafka check (${checked.length} cells, from before each server started to after it stopped): the topics' high-water marks grew by ${range((c) => c.kafka!.growthOverAcked)} of the events acknowledged with a 2xx ` +
    `and ${range((c) => c.kafka!.growthOverSent)} of the events wrk sent (sent = acknowledged + the ≤ one request per connection still unanswered at each of the two cut-offs, which the server usually writes anyway). ` +
    (lost.length === 0 ? 'No cell has fewer messages than acknowledged events' : `**Fewer messages than acknowledged events in ${lost.map((c) => `${c.workload}/${c.server}/r${c.round}`).join(', ')}**`) +
    (extra.length === 0 ? ', none has more than were sent' : `; **more messages than events sent in ${extra.map((c) => `${c.workload}/${c.server}/r${c.round}`).join(', ')}**`) +
    (off.length === 0 ? '; all within 3% of the events sent.' : `; **more than 3% from the events sent: ${off.map((c) => `${c.workload}/${c.server}/r${c.round} ${pctOr(c.kafka!.growthOverSent)}`).join(', ')}**.`)
}

/** A line when the machine was busier than the bench itself (a quiet run here has a load average ≈ 3.5). */
function loadWarning(report: KafkaReport): string[] {
  const loads = report.cells.map((c) => c.loadAvg1)
  const cores = report.cells.filter((c) => c.server === 'capture' || c.server === 'peer').map((c) => c.serverCpuCores)
  if (loads.length === 0 || median(loads) <= 2 * report.machine.nproc) return []
  return [
    `**Busy machine**: median 1-minute load average ${roundTo(median(loads), 1)} on ${report.machine.nproc} CPUs (other sessions' builds and tests); the Kafka servers got ` +
      `${roundTo(Math.min(...cores), 2)}–${roundTo(Math.max(...cores), 2)} cores. Events/s then measure the share of CPU each server won more than its speed; ` +
      'the CPU-per-event ratio is the steadier figure.',
    '',
  ]
}

export function kafkaMarkdown(report: KafkaReport): string {
  const m = report.machine
  const s = report.settings
  const env = (e: Readonly<Record<string, string>>): string => Object.entries(e).map(([a, b]) => `${a}=${b}`).join(' ')
  return [
    `# Kafka bench ${report.startedAt}: capture vs PostHog's Rust capture vs floor`,
    '',
    `Machine: ${m.host}, ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Node ${m.node}, Linux ${m.kernel}; load average ${m.loadAvgAtStart.join(' / ')} at the start, ${(m.loadAvgAtEnd ?? []).join(' / ')} at the end (${report.finishedAt}).`,
    `Code: ${report.code.commit}${report.code.dirtyFiles > 0 ? ` + ${report.code.dirtyFiles} uncommitted files in the tree` : ''} (dist ${report.code.build}).`,
    report.peer ? `Peer: ${report.peer.source}, binary ${report.peer.binary} (built ${report.peer.builtAt}).` : 'Peer: not run.',
    `Broker ${report.infra.kafka}; Redis ${report.infra.redis}; both on this machine.`,
    `Load: ${s.generator}; ${s.connections} connections, ${s.warmupSeconds} s warm-up then ${s.durationSeconds} s measured per cell; ${s.rounds} round(s), order ${s.servers.join(' ')} then reversed; every event has its own uuid.${delayNote(s.delays)}`,
    `Servers: capture \`node dist/main.js\` WORKERS=${s.workers}; the peer (one process, all cores); the floor WORKERS=${s.workers}. Both Kafka servers: ${env(s.producer)}; capture DEDUP_ENABLED=false except the de-dup row (DEDUP_ENABLED=true, REDIS_URL, a key prefix per cell).` +
      `${Object.keys(s.captureEnv).length > 0 ? ` Extra capture settings: ${env(s.captureEnv)}.` : ''}${Object.keys(s.peerEnv).length > 0 ? ` Extra peer settings: ${env(s.peerEnv)}.` : ''}`,
    '',
    '## Ours ÷ Rust (medians over rounds, same run)',
    '',
    issueTable(report),
    '',
    ...loadWarning(report),
    'events/s = 2xx responses × events per request ÷ measured seconds. CPU per event = CPU time of all the server\'s processes (utime+stime from /proc) over the',
    'measured phase ÷ events acknowledged in it. Peak RSS = the largest sum of VmRSS over the server\'s processes, sampled every 250 ms in the measured phase.',
    'The floor does no Kafka work (decode, parse, stringify, 200): it is the decode floor, not a Kafka server.',
    '',
    kafkaCheck(report),
    '',
    '## Every server (medians over rounds)',
    '',
    medianTable(report),
    '',
    '## Every cell (run order)',
    '',
    cellTable(report),
    '',
    '## Workloads',
    '',
    ...report.workloads.map((w) => `- \`${w.name}\`: ${w.description}; ~${w.meanEventBytes} B per event as JSON, ~${w.meanBodyBytes} B body on the wire; pool of ${w.poolBodies} bodies.`),
    '',
  ].join('\n')
}

/** RSS over time: per-minute max and mean, and first vs last minute. */
export function soakSummary(report: SoakReport): { table: string; firstMinute: { max: number; mean: number }; lastMinute: { max: number; mean: number } } {
  const minutes = Math.max(1, Math.ceil(report.settings.minutes))
  const stat = (from: number, to: number): { max: number; mean: number } => {
    const xs = report.samples.filter((s) => s.t >= from && s.t < to).map((s) => s.rssMiB)
    return xs.length === 0 ? { max: 0, mean: 0 } : { max: Math.max(...xs), mean: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 }
  }
  const lines = ['| minute | RSS max MiB | RSS mean MiB |', '|---:|---:|---:|']
  for (let i = 0; i < minutes; i++) {
    const s = stat(i * 60, (i + 1) * 60)
    lines.push(`| ${i + 1} | ${s.max} | ${s.mean} |`)
  }
  const end = report.samples.at(-1)?.t ?? 60
  return { table: lines.join('\n'), firstMinute: stat(0, 60), lastMinute: stat(Math.max(0, end - 60), end + 1) }
}

export function soakMarkdown(report: SoakReport): string {
  const m = report.machine
  const s = report.settings
  const sum = soakSummary(report)
  const growthPct = sum.firstMinute.mean > 0 ? ((sum.lastMinute.mean / sum.firstMinute.mean - 1) * 100).toFixed(1) : '–'
  return [
    `# Soak ${report.startedAt}: capture alone, Kafka mode, ${s.minutes} min`,
    '',
    `Machine: ${m.host}, ${m.nproc} CPUs, Node ${m.node}; load average ${m.loadAvgAtStart.join(' / ')} at the start, ${(m.loadAvgAtEnd ?? []).join(' / ')} at the end.`,
    `Code: ${report.code.commit}${report.code.dirtyFiles > 0 ? ` + ${report.code.dirtyFiles} uncommitted files` : ''} (dist ${report.code.build}). Broker ${report.infra.kafka}; Redis ${report.infra.redis}.`,
    `Load: ${s.generator}, ${s.workload}, ${s.connections} connections, ${s.delayMs} ms pause before each request (~${s.offeredRequestsPerSec} req/s offered); capture WORKERS=${s.workers}, ${Object.entries(s.env).filter(([key]) => key !== 'KAFKA_HOSTS' && key !== 'REDIS_URL').map(([a, b]) => `${a}=${b}`).join(' ')}.`,
    '',
    `Result: ${fmt(report.eventsPerSec)} events/s, p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, ${report.non2xx + report.socketErrors.connect + report.socketErrors.read + report.socketErrors.write + report.socketErrors.timeout} errors/non-2xx, ` +
      `server CPU ${report.serverCpuCores} cores (${report.cpuMicrosPerEvent} µs/event); Kafka grew by ${fmt(report.kafka.growth)} for ${fmt(report.kafka.acknowledgedEvents)} acknowledged events (${pctOr(report.kafka.growthOverAcked)}) and ${fmt(report.kafka.sentEvents)} sent (${pctOr(report.kafka.growthOverSent)}).`,
    '',
    `RSS (sum over capture's processes, every 250 ms): first minute max ${sum.firstMinute.max} / mean ${sum.firstMinute.mean} MiB; last minute max ${sum.lastMinute.max} / mean ${sum.lastMinute.mean} MiB; growth of the mean ${growthPct}%.`,
    '',
    sum.table,
    '',
  ].join('\n')
}

/** Pretty JSON with one line per item of the long arrays (cells, samples), so results stay small and diff well. */
function compactJson(record: Record<string, unknown>): string {
  const long = Object.entries(record).filter(([, v]) => Array.isArray(v) && v.length > 0 && typeof v[0] === 'object')
  const rest = Object.fromEntries(Object.entries(record).filter(([key]) => !long.some(([l]) => l === key)))
  const head = JSON.stringify(rest, null, 2).slice(0, -2)
  const arrays = long.map(([key, v]) => `  ${JSON.stringify(key)}: [\n${(v as unknown[]).map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`)
  return `${head}${arrays.length > 0 ? `,\n${arrays.join(',\n')}` : ''}\n}\n`
}

function write(dir: string | undefined, stem: string, json: unknown, md: string): { json?: string; md?: string } {
  if (dir === undefined) return {}
  mkdirSync(dir, { recursive: true })
  const files = { json: join(dir, `${stem}.json`), md: join(dir, `${stem}.md`) }
  writeFileSync(files.json, compactJson(json as Record<string, unknown>))
  writeFileSync(files.md, md)
  return files
}

export function writeKafkaReport(dir: string | undefined, report: KafkaReport): { text: string; json?: string; md?: string } {
  const md = kafkaMarkdown(report)
  const text = `${issueTable(report)}\n\n${kafkaCheck(report)}\n\n${medianTable(report)}`
  return { text, ...write(dir, `${report.startedAt.slice(0, 10)}-${report.machine.host}-kafka`, report, md) }
}

export function writeSoakReport(dir: string | undefined, report: SoakReport): { text: string; json?: string; md?: string } {
  const md = soakMarkdown(report)
  return { text: md, ...write(dir, `${report.startedAt.slice(0, 10)}-${report.machine.host}-soak`, report, md) }
}

function delayNote(delays: Readonly<Record<string, number>> | undefined): string {
  const entries = Object.entries(delays ?? {})
  if (entries.length === 0) return ''
  return ` Fixed offered load (--delay): each connection pauses ${entries.map(([w, ms]) => `${ms} ms on ${w}`).join(', ')} between requests, so both servers get about the same requests/s and the latencies compare at equal load.`
}
