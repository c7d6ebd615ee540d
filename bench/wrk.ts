/**
 * wrk as the Kafka bench's load generator:
 * wrk (Debian package `wrk`, LuaJIT scripting) with a Lua script rotating
 * through a pool of pregenerated bodies in which every event has its own uuid.
 *
 * Pools (one file per workload, written once per run):
 * - plain JSON workloads (json5): a few dozen distinct templates, each cut at
 *   the last 12 hex digits of every event's uuid; the Lua script fills those
 *   with a per-request sequence number (`%012x` of seq × events + k), so every
 *   event ever sent has a distinct uuid and no body is stored per request;
 * - gzip workloads (gzip100, js-e): the bytes cannot be patched after gzip, so
 *   the pool holds one gzipped body per request, each filled the same way
 *   before gzip. It is sized for the whole cell (warm-up included) at the
 *   expected peak rate; the Lua script reports whether it wrapped (a repeat
 *   that de-duplication would drop and the Kafka check would then show).
 *
 * The sequence continues from the warm-up into the measured phase (`seq0`), so
 * the two phases never send the same event either. 2xx = completed responses −
 * wrk's `errors.status` (responses with status > 399); nothing here answers 1xx/3xx.
 *
 * File layout (read by the Lua `init`):
 *   POOL1\n<bodies> <events per body> <headers>\n(<name>\t<value>\n)×headers
 *   then per body: <path bytes> <segments> <len>...\n<path><segment bytes>...
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import { TreeSampler } from './proc-stats.js'
import type { RequestTemplate } from './workloads.js'

const gzip = promisify(gzipCallback)

/** uuid v7 text as the generator writes it; group 1 is everything before the last 12 hex digits. */
const UUID_FIELD = /("uuid":"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)[0-9a-f]{12}"/g

/** The 12 hex digits the Lua script writes for event `k` of request `seq` (same formula there). */
export const uuidTail = (seq: number, eventsPerRequest: number, k: number): string => (seq * eventsPerRequest + k).toString(16).padStart(12, '0')

/** A template's JSON cut at every uuid tail: segments.length − 1 tails to fill. */
function cut(json: string): string[] {
  const segments: string[] = []
  let last = 0
  for (const match of json.matchAll(UUID_FIELD)) {
    const tailAt = match.index + match[1]!.length
    segments.push(json.slice(last, tailAt))
    last = tailAt + 12
  }
  segments.push(json.slice(last))
  return segments
}

function fill(segments: readonly string[], seq: number, eventsPerRequest: number): string {
  let out = segments[0]!
  for (let k = 1; k < segments.length; k++) out += uuidTail(seq, eventsPerRequest, k - 1) + segments[k]!
  return out
}

export interface PoolBody {
  readonly path: string
  readonly segments: readonly Buffer[]
}

export interface Pool {
  readonly file: string
  readonly headers: Readonly<Record<string, string>>
  readonly eventsPerRequest: number
  /** Distinct stored bodies. */
  readonly bodies: number
  /** Requests the pool can serve before a uuid repeats (Infinity when uuids are filled per request). */
  readonly uniqueRequests: number
  readonly meanBodyBytes: number
  readonly meanEventBytes: number
  /** One more request, outside the sequence wrk uses, for the sanity check. */
  readonly sanity: { readonly path: string; readonly body: Buffer }
}

const SANITY_SEQ = 2 ** 40

/**
 * Writes the pool file of one workload. `requests` = bodies to pregenerate for
 * gzip workloads (ignored for plain JSON, which is filled per request).
 */
export async function buildPool(file: string, templates: readonly RequestTemplate[], eventsPerRequest: number, requests: number): Promise<Pool> {
  const cuts = templates.map((t) => cut(t.json))
  for (const [i, segments] of cuts.entries()) {
    if (segments.length - 1 !== eventsPerRequest) throw new Error(`template ${i}: ${segments.length - 1} uuids found, expected ${eventsPerRequest}`)
  }
  const gzipped = templates[0]!.gzip
  const bodies: PoolBody[] = []
  if (gzipped) {
    const at = (seq: number): Promise<Buffer> => gzip(fill(cuts[seq % cuts.length]!, seq, eventsPerRequest))
    // zlib runs on libuv's pool: a few at a time keep both cores busy.
    for (let from = 0; from < requests; from += 64) {
      const batch = await Promise.all(Array.from({ length: Math.min(64, requests - from) }, (_, i) => at(from + i)))
      for (const [i, body] of batch.entries()) bodies.push({ path: templates[(from + i) % templates.length]!.path, segments: [body] })
    }
  } else {
    for (const [i, segments] of cuts.entries()) bodies.push({ path: templates[i]!.path, segments: segments.map((s) => Buffer.from(s)) })
  }
  const sanityJson = fill(cuts[0]!, SANITY_SEQ, eventsPerRequest)
  const sanity = { path: templates[0]!.path, body: gzipped ? await gzip(sanityJson) : Buffer.from(sanityJson) }
  const headers = templates[0]!.headers
  const head = [`POOL1\n${bodies.length} ${eventsPerRequest} ${Object.keys(headers).length}\n`, ...Object.entries(headers).map(([k, v]) => `${k}\t${v}\n`)].join('')
  const chunks: Buffer[] = [Buffer.from(head)]
  for (const body of bodies) {
    chunks.push(Buffer.from(`${Buffer.byteLength(body.path)} ${body.segments.length} ${body.segments.map((s) => s.length).join(' ')}\n${body.path}`))
    chunks.push(...body.segments)
  }
  writeFileSync(file, Buffer.concat(chunks))
  const wireBytes = gzipped ? bodies.map((b) => b.segments[0]!.length) : cuts.map((c) => fill(c, 0, eventsPerRequest).length)
  return {
    file, headers, eventsPerRequest,
    bodies: bodies.length,
    uniqueRequests: gzipped ? bodies.length : Number.POSITIVE_INFINITY,
    meanBodyBytes: Math.round(wireBytes.reduce((a, b) => a + b, 0) / wireBytes.length),
    meanEventBytes: Math.round(templates.reduce((a, t) => a + t.json.length, 0) / templates.length / eventsPerRequest),
    sanity,
  }
}

/** The Lua script: loads a pool in init, builds each request with wrk.format, prints one JSON line in done. */
export const WRK_SCRIPT = String.raw`-- bench/wrk.ts writes this file; see the comment there.
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local pool, headers, n, epr = {}, {}, 0, 1
local seq0, stride, delay_ms = 0, 1, 0
sent, maxseq = 0, -1

function init(args)
  local opts = {}
  for _, a in pairs(args) do
    local k, v = string.match(a, "^([%w_]+)=(.*)$")
    if k then opts[k] = v end
  end
  seq0 = tonumber(opts.seq0 or "0")
  stride = tonumber(opts.stride or "1")
  delay_ms = tonumber(opts.delay or "0")
  -- Only a defined delay() makes wrk pause between requests (wrk looks after this init).
  if delay_ms > 0 then
    delay = function() return delay_ms end
  end
  local f = assert(io.open(opts.pool, "rb"))
  local data = f:read("*a")
  f:close()
  local nl = string.find(data, "\n", 1, true)
  local pos = nl + 1
  nl = string.find(data, "\n", pos, true)
  local line = string.sub(data, pos, nl - 1)
  local nb, e, nh = string.match(line, "^(%d+) (%d+) (%d+)$")
  n, epr, nh = tonumber(nb), tonumber(e), tonumber(nh)
  pos = nl + 1
  for _ = 1, nh do
    nl = string.find(data, "\n", pos, true)
    local name, value = string.match(string.sub(data, pos, nl - 1), "^([^\t]+)\t(.*)$")
    headers[name] = value
    pos = nl + 1
  end
  for i = 1, n do
    nl = string.find(data, "\n", pos, true)
    local nums = {}
    for num in string.gmatch(string.sub(data, pos, nl - 1), "%d+") do nums[#nums + 1] = tonumber(num) end
    pos = nl + 1
    local body = { path = string.sub(data, pos, pos + nums[1] - 1), segs = {} }
    pos = pos + nums[1]
    for s = 1, nums[2] do
      body.segs[s] = string.sub(data, pos, pos + nums[2 + s] - 1)
      pos = pos + nums[2 + s]
    end
    pool[i] = body
  end
  -- The pool can take seconds to load: tell bench/wrk.ts when this thread is about to send.
  io.write("WRKREADY\n")
  io.stdout:flush()
end

function request()
  local seq = seq0 + sent * stride + tid
  sent = sent + 1
  maxseq = seq
  local b = pool[(seq % n) + 1]
  local segs = b.segs
  local body
  if #segs == 1 then
    body = segs[1]
  else
    local parts, base = {}, seq * epr
    for k = 1, #segs - 1 do
      parts[2 * k - 1] = segs[k]
      parts[2 * k] = string.format("%012x", base + k - 1)
    end
    parts[2 * #segs - 1] = segs[#segs]
    body = table.concat(parts)
  end
  return wrk.format("POST", b.path, headers, body)
end

function done(summary, latency, requests)
  local total, top = 0, -1
  for _, t in ipairs(threads) do
    total = total + t:get("sent")
    local m = t:get("maxseq")
    if m > top then top = m end
  end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f,"sent":%d,"maxSeq":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, total, top))
end
`

export function writeWrkScript(dir: string): string {
  const file = join(dir, 'pool.lua')
  writeFileSync(file, WRK_SCRIPT)
  return file
}

export interface WrkJob {
  readonly script: string
  readonly pool: Pool
  readonly url: string
  readonly connections: number
  readonly threads: number
  readonly seconds: number
  /** First sequence number (continues from the warm-up). */
  readonly seq0: number
  /** Per-connection pause before each request, ms (0 = closed loop at full speed). */
  readonly delayMs?: number
  readonly timeoutSeconds?: number
}

export interface WrkResult {
  readonly seconds: number
  /** Completed responses (any status). */
  readonly responses: number
  readonly ok2xx: number
  /** Responses with status > 399. */
  readonly non2xx: number
  readonly socketErrors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number }
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number }
  /** Requests wrk built (sent or about to be). */
  readonly sent: number
  /** The next sequence number to use after this run. */
  readonly nextSeq: number
  /** A gzip pool ran out and repeated bodies (uuids seen before). */
  readonly wrapped: boolean
  /** CPU wrk used, in cores. */
  readonly generatorCpuCores: number
}

interface WrkJson {
  requests: number; durationUs: number; connect: number; read: number; write: number; status: number; timeout: number
  p50: number; p90: number; p99: number; max: number; mean: number; sent: number; maxSeq: number
}

const ms = (us: number): number => Math.round(us / 100) / 10

/**
 * Runs wrk once; `onStart` gets its pid (so the caller can stop it on Ctrl-C),
 * `onRunning` is called once every thread has loaded the pool and starts sending
 * (start measuring the server there, not at spawn: loading a large pool takes seconds).
 */
export function runWrk(job: WrkJob, onStart?: (pid: number) => void, onRunning?: () => void): Promise<WrkResult> {
  const args = [
    '-t', String(job.threads), '-c', String(job.connections), '-d', `${job.seconds}s`, '--timeout', `${job.timeoutSeconds ?? 10}s`,
    '-s', job.script, job.url, '--', `pool=${job.pool.file}`, `seq0=${job.seq0}`, `stride=${job.threads}`, `delay=${job.delayMs ?? 0}`,
  ]
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  if (child.pid !== undefined) onStart?.(child.pid)
  const sampler = child.pid === undefined ? undefined : new TreeSampler(child.pid)
  let stdout = ''
  let stderr = ''
  let ready = 0
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    if (ready < job.threads) {
      ready = stdout.split('\n').filter((l) => l === 'WRKREADY').length
      if (ready >= job.threads) {
        sampler?.start()
        onRunning?.()
      }
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise<WrkResult>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`wrk did not start (${err.message}); apt-get install -y wrk`)))
    child.once('close', (code) => {
      const stats = ready >= job.threads ? sampler?.stop() : undefined
      const line = stdout.split('\n').find((l) => l.startsWith('WRKJSON '))
      if (code !== 0 || line === undefined) {
        reject(new Error(`wrk exited ${code}: ${(stderr || stdout).trim().slice(0, 500)}`))
        return
      }
      const r = JSON.parse(line.slice('WRKJSON '.length)) as WrkJson
      const seconds = r.durationUs / 1e6
      resolve({
        seconds,
        responses: r.requests,
        ok2xx: r.requests - r.status,
        non2xx: r.status,
        socketErrors: { connect: r.connect, read: r.read, write: r.write, timeout: r.timeout },
        latencyMs: { p50: ms(r.p50), p90: ms(r.p90), p99: ms(r.p99), max: ms(r.max), mean: ms(r.mean) },
        sent: r.sent,
        nextSeq: Math.max(job.seq0, r.maxSeq + 1),
        wrapped: r.maxSeq >= job.pool.uniqueRequests,
        generatorCpuCores: stats?.cpuCores ?? 0,
      })
    })
  })
}
