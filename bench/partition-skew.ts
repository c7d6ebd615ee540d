/**
 * Partition-key skew, computed: how unevenly Kafka partitions fill when the
 * key is token:distinct_id (docs/kafka.md), for a given number of partitions
 * and a Zipf-shaped popularity of distinct ids, with and without the overflow
 * limiter taking a hot key's excess off its partition (src/limiters/overflow-limiter.ts:
 * a per-process GCRA of OVERFLOW_PER_SECOND_LIMIT, so a key may reach
 * processes × that limit before its excess goes, unkeyed, to the overflow topic).
 *
 *   npx tsx bench/partition-skew.ts [--rate 100000] [--keys 100000] [--processes 16] [--per-key 100,10] [--no-save]
 *
 * Partitions are chosen as librdkafka's murmur2_random partitioner (the Java
 * client's) does: (murmur2(key) & 0x7fffffff) % partitions. No broker is
 * involved: this is arithmetic over the keys, checked against Kafka's own
 * murmur2 test vectors. Results: bench/results/<date>-<host>-partition-skew.{md,json}.
 */
import assert from 'node:assert/strict'
import { saveRun } from './save-run.js'

/** Kafka's Utils.murmur2 (32-bit, seed 0x9747b28c). */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995
  const length = data.length
  let h = (0x9747b28c ^ length) | 0
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  const tail = length & 3
  if (tail === 3) h ^= data[whole + 2]! << 16
  if (tail >= 2) h ^= data[whole + 1]! << 8
  if (tail >= 1) h = Math.imul(h ^ data[whole]!, m)
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}

const partitionOf = (key: string, partitions: number): number => (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions

function checkVectors(): void {
  const vectors: [string, number][] = [['21', -973932308], ['foobar', -790332482], ['a-little-bit-long-string', -985981536], ['a-little-bit-longer-string', -1486304829], ['abc', 479470107]]
  for (const [text, expected] of vectors) assert.equal(murmur2(Buffer.from(text)), expected, `murmur2(${text})`)
}

interface Row {
  perKey: number
  zipf: number
  partitions: number
  hottestKeyPerSecond: number
  maxOverMeanNoOverflow: number
  maxOverMeanWithOverflow: number
  overflowShare: number
}

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name)
  return at === -1 ? fallback : Number(argv[at + 1])
}

function simulate(options: { rate: number; keys: number; perKey: number; cap: number; zipf: number; partitions: number }): Row {
  const weights = Array.from({ length: options.keys }, (_, i) => 1 / (i + 1) ** options.zipf)
  const total = weights.reduce((a, b) => a + b, 0)
  const plain = new Array<number>(options.partitions).fill(0)
  const capped = new Array<number>(options.partitions).fill(0)
  let overflow = 0
  for (let i = 0; i < options.keys; i++) {
    const rate = (options.rate * weights[i]!) / total
    const partition = partitionOf(`phc_project_token:user-${i}`, options.partitions)
    plain[partition]! += rate
    capped[partition]! += Math.min(rate, options.cap)
    overflow += Math.max(0, rate - options.cap)
  }
  const mean = options.rate / options.partitions
  return {
    perKey: options.perKey,
    zipf: options.zipf,
    partitions: options.partitions,
    hottestKeyPerSecond: (options.rate * weights[0]!) / total,
    maxOverMeanNoOverflow: Math.max(...plain) / mean,
    // The overflow topic's own partitions take the excess evenly (no key), so the main topic's mean is over what stays.
    maxOverMeanWithOverflow: Math.max(...capped) / ((options.rate - overflow) / options.partitions),
    overflowShare: overflow / options.rate,
  }
}

checkVectors()
const argv = process.argv.slice(2)
const rate = arg(argv, '--rate', 100_000)
const keys = arg(argv, '--keys', 100_000)
const processes = arg(argv, '--processes', 16)
const at = argv.indexOf('--per-key')
const perKeys = (at === -1 ? '100,10' : (argv[at + 1] ?? '100,10')).split(',').map(Number)
const rows: Row[] = []
for (const perKey of perKeys) {
  for (const zipf of [0, 0.8, 1.0, 1.2]) for (const partitions of [12, 48, 96, 384]) rows.push(simulate({ rate, keys, perKey, cap: processes * perKey, zipf, partitions }))
}

const f = (n: number, digits = 2): string => n.toFixed(digits)
const markdown = [
  `# Partition-key skew (token:distinct_id, murmur2), computed ${new Date().toISOString()}`,
  '',
  `\`npx tsx bench/partition-skew.ts --rate ${rate} --keys ${keys} --processes ${processes} --per-key ${perKeys.join(',')}\`: one project sending ${rate} events/s over ${keys} distinct ids whose rates follow Zipf(s) (s = 0: all equal). With overflow on, each of ${processes} capture processes lets a key through at OVERFLOW_PER_SECOND_LIMIT, so a key keeps at most ${processes} × that on its partition (the cap column). "max / mean" is the busiest partition's rate over the average partition's.`,
  '',
  '| OVERFLOW_PER_SECOND_LIMIT (cap per key) | Zipf s | partitions | mean per partition, events/s | hottest key, events/s | max / mean, overflow off | max / mean, overflow on | share sent to overflow |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.perKey} (${r.perKey * processes}/s) | ${r.zipf} | ${r.partitions} | ${f(rate / r.partitions, 0)} | ${f(r.hottestKeyPerSecond, 0)} | ${f(r.maxOverMeanNoOverflow)} | ${f(r.maxOverMeanWithOverflow)} | ${f(r.overflowShare * 100, 1)} % |`),
  '',
].join('\n')
process.stdout.write(markdown)
if (!argv.includes('--no-save')) saveRun('partition-skew', markdown, { rate, keys, processes, perKeys, rows })
