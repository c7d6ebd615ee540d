/**
 * Stage benchmark: CPU per event of each pure stage of capture's pipeline
 * (decode → parse → validate → prepare → encode the log lines) against the
 * floor's work (bench/floor-work.ts), on the same bodies as bench/run.ts, in
 * one process, with no HTTP, limiter, metrics or disk. It says where capture's
 * CPU per event goes beyond the floor; the difference between its "pure total"
 * and run.ts's "CPU µs/event" is HTTP, limiter, metrics and the local log I/O.
 *
 *   npx tsx bench/stages.ts [--workloads json5,gzip100,js-e] [--ms 400] [--repeats 5]
 *
 * Each stage loops over precomputed inputs for about --ms of CPU; the figure
 * is the lowest of --repeats such loops (the least disturbed by other work on
 * a shared machine). CPU is process CPU time, so GC a stage causes is charged
 * to it.
 */
import { decodeBody, type BodyHints } from '../src/pipeline/decode/decode-body.js'
import { parsePayload, type ParsedPayload } from '../src/pipeline/parse-payload.js'
import { resolveToken } from '../src/pipeline/check-token.js'
import { parseSentAt, parseQuerySentAt } from '../src/pipeline/timestamp.js'
import { validateEvent, type CaptureEvent, type EventContext } from '../src/pipeline/validate-event.js'
import { prepareMessage, type PrepareContext } from '../src/pipeline/prepare.js'
import { encodeLines } from '../src/sinks/local-log/log-line.js'
import { loadConfig } from '../src/config/config.js'
import type { PreparedMessage } from '../src/pipeline/ports.js'
import { v7 as uuidv7 } from 'uuid'
import { serialiseRequest } from './floor-work.js'
import { buildWorkloads, WORKLOAD_NAMES, type BenchRequest, type Workload, type WorkloadName } from './workloads.js'

const LIMITS = { maxDecodedBytes: 64 * 1024 * 1024 }
const TOPICS = loadConfig({}).topics
const IP = '127.0.0.1'

function hintsOf(request: BenchRequest): BodyHints {
  const query = new URLSearchParams(request.path.split('?')[1] ?? '')
  return {
    queryCompression: query.get('compression') ?? undefined,
    contentType: request.headers['content-type'],
    contentEncoding: request.headers['content-encoding'],
    legacyPath: request.path.startsWith('/e'),
  }
}

interface Inputs {
  readonly bodies: readonly { body: Buffer; hints: BodyHints; querySentAtMs?: number }[]
  readonly texts: readonly string[]
  readonly payloads: readonly ParsedPayload[]
  readonly contexts: readonly EventContext[]
  readonly events: readonly (readonly CaptureEvent[])[]
  readonly prepareContexts: readonly PrepareContext[]
  readonly messages: readonly (readonly PreparedMessage[])[]
}

function nowValue(): EventContext['now'] {
  const date = new Date()
  return { ms: date.getTime(), iso: date.toISOString() }
}

function validate(payload: ParsedPayload, querySentAtMs: number | undefined): { ctx: EventContext; events: CaptureEvent[] } {
  const token = resolveToken(payload.events, payload.batchToken)
  const sentAtMs = parseSentAt(payload.batchSentAt) ?? querySentAtMs
  const ctx: EventContext = { now: nowValue(), ip: IP, isEngage: false, token, sentAtMs, querySentAtMs }
  const events: CaptureEvent[] = []
  for (let i = 0; i < payload.events.length; i++) {
    const result = validateEvent(payload.events[i], i, ctx, uuidv7)
    if (!result.ok) throw new Error(`stage bench: event ${i} rejected: ${result.detail}`)
    events.push(result.event)
  }
  return { ctx, events }
}

function prepareAll(events: readonly CaptureEvent[], ctx: PrepareContext): PreparedMessage[] {
  return events.map((event) => prepareMessage(event, 'normal', ctx))
}

function precompute(workload: Workload): Inputs {
  const bodies = workload.requests.map((r) => ({ body: r.body, hints: hintsOf(r), querySentAtMs: parseQuerySentAt(new URLSearchParams(r.path.split('?')[1] ?? '').get('_')) }))
  const texts = bodies.map((b) => decodeBody(b.body, b.hints, LIMITS))
  const payloads = texts.map((t) => parsePayload(t))
  const validated = payloads.map((p, i) => validate(p, bodies[i]!.querySentAtMs))
  const prepareContexts = validated.map(({ ctx }, i): PrepareContext => ({ now: ctx.now, sentAtMs: ctx.sentAtMs, historical: payloads[i]!.historicalMigration, topics: TOPICS }))
  const messages = validated.map(({ events }, i) => prepareAll(events, prepareContexts[i]!))
  return { bodies, texts, payloads, contexts: validated.map((v) => v.ctx), events: validated.map((v) => v.events), prepareContexts, messages }
}

type Stage = (inputs: Inputs, index: number) => unknown

let sinkChars = 0
const STAGES: Readonly<Record<string, Stage>> = {
  'floor (gunzip+parse+2×stringify)': (inputs, i) => serialiseRequest(inputs.bodies[i]!.body, IP, (e) => void (sinkChars += e.length)),
  'capture decode': (inputs, i) => decodeBody(inputs.bodies[i]!.body, inputs.bodies[i]!.hints, LIMITS),
  'capture parse': (inputs, i) => parsePayload(inputs.texts[i]!),
  'capture validate': (inputs, i) => validate(inputs.payloads[i]!, inputs.bodies[i]!.querySentAtMs),
  'capture prepare': (inputs, i) => prepareAll(inputs.events[i]!, inputs.prepareContexts[i]!),
  'capture encode lines': (inputs, i) => encodeLines(inputs.messages[i]!, Date.now()),
  'capture pure total': (inputs, i) => {
    const { body, hints, querySentAtMs } = inputs.bodies[i]!
    const payload = parsePayload(decodeBody(body, hints, LIMITS))
    const { ctx, events } = validate(payload, querySentAtMs)
    const prepareCtx: PrepareContext = { now: ctx.now, sentAtMs: ctx.sentAtMs, historical: payload.historicalMigration, topics: TOPICS }
    return encodeLines(prepareAll(events, prepareCtx), Date.now())
  },
}

function cpuMicros(): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/** CPU µs per event for one stage: the lowest of `repeats` loops of about `budgetMs` each. */
function timeStage(stage: Stage, inputs: Inputs, eventsPerRequest: number, budgetMs: number, repeats: number): number {
  const pool = inputs.bodies.length
  let best = Infinity
  for (let r = 0; r < repeats; r++) {
    const started = cpuMicros()
    let requests = 0
    while (cpuMicros() - started < budgetMs * 1000) {
      for (let i = 0; i < pool; i++) stage(inputs, i)
      requests += pool
    }
    best = Math.min(best, (cpuMicros() - started) / (requests * eventsPerRequest))
  }
  return Math.round(best * 100) / 100
}

function parseArgs(argv: readonly string[]): { workloads: WorkloadName[]; budgetMs: number; repeats: number } {
  const options = { workloads: ['json5', 'gzip100', 'js-e'] as WorkloadName[], budgetMs: 400, repeats: 5 }
  for (let i = 0; i < argv.length; i++) {
    const value = argv[++i]
    if (value === undefined) throw new Error(`${argv[i - 1]} needs a value`)
    if (argv[i - 1] === '--workloads') options.workloads = value.split(',').filter((w): w is WorkloadName => (WORKLOAD_NAMES as readonly string[]).includes(w))
    else if (argv[i - 1] === '--ms') options.budgetMs = Number(value)
    else if (argv[i - 1] === '--repeats') options.repeats = Number(value)
    else throw new Error(`unknown option ${argv[i - 1]}`)
  }
  return options
}

function main(): void {
  const options = parseArgs(process.argv.slice(2))
  const workloads = buildWorkloads({ poolSize: 8 }).filter((w) => options.workloads.includes(w.name))
  const names = Object.keys(STAGES)
  const rows: string[] = []
  for (const workload of workloads) {
    const inputs = precompute(workload)
    for (const name of names) timeStage(STAGES[name]!, inputs, workload.eventsPerRequest, 50, 1) // warm the JIT
    const figures = names.map((name) => timeStage(STAGES[name]!, inputs, workload.eventsPerRequest, options.budgetMs, options.repeats))
    const floor = figures[0]!
    const total = figures[figures.length - 1]!
    rows.push(`| ${workload.name} | ${figures.join(' | ')} | ${Math.round((floor / total) * 100)}% |`)
  }
  process.stdout.write(`CPU µs per event (lowest of ${options.repeats} × ~${options.budgetMs} ms; Node ${process.version})\n\n`)
  process.stdout.write(`| workload | ${names.join(' | ')} | floor ÷ capture pure total |\n|---|${names.map(() => '---:').join('|')}|---:|\n`)
  process.stdout.write(rows.join('\n') + '\n')
  if (sinkChars < 0) process.stdout.write('unreachable\n')
}

main()
