/**
 * The compression codec of the record batches Kafka holds, read off the wire:
 * a raw Fetch (API key 1, version 4) request to the broker, whose answer
 * carries the stored record batches verbatim (magic 2). Bits 0–2 of a batch's
 * `attributes` name its codec. Neither librdkafka consumers nor the Java
 * client expose that, so the test asks the broker directly.
 *
 * Single-broker test setup: every partition's leader is the bootstrap broker.
 */
import { connect } from 'node:net'

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

export interface BatchInfo {
  readonly partition: number
  readonly baseOffset: bigint
  readonly records: number
  readonly codec: string
}

/** Every record batch (headers only) in partitions 0..partitions-1 of `topic`, from offset 0. */
export async function fetchBatches(hosts: string, topic: string, partitions: number): Promise<BatchInfo[]> {
  const [host, port] = hosts.split(',')[0]!.split(':')
  const response = await roundTrip(host!, Number(port), fetchRequest(topic, partitions))
  return parseFetchResponse(response)
}

function fetchRequest(topic: string, partitions: number): Buffer {
  const clientId = Buffer.from('capture-test')
  const topicName = Buffer.from(topic)
  const body: Buffer[] = [
    int16(1), int16(4), int32(7), int16(clientId.length), clientId, // header v1: Fetch v4, correlation 7
    int32(-1), int32(100), int32(1), int32(64 * 1024 * 1024), Buffer.from([0]), // replica, max wait, min bytes, max bytes, isolation
    int32(1), int16(topicName.length), topicName, int32(partitions),
  ]
  for (let p = 0; p < partitions; p++) body.push(int32(p), int64(0n), int32(16 * 1024 * 1024))
  const payload = Buffer.concat(body)
  return Buffer.concat([int32(payload.length), payload])
}

function parseFetchResponse(frame: Buffer): BatchInfo[] {
  const r = new Reader(frame)
  if (r.int32() !== 7) throw new Error('unexpected correlation id in the Fetch response')
  r.int32() // throttle_time_ms
  const batches: BatchInfo[] = []
  for (let t = r.int32(); t > 0; t--) {
    r.string()
    for (let p = r.int32(); p > 0; p--) {
      const partition = r.int32()
      const error = r.int16()
      if (error !== 0) throw new Error(`Fetch of partition ${partition} failed with Kafka error ${error}`)
      r.skip(16) // high watermark, last stable offset
      for (let a = r.int32(); a > 0; a--) r.skip(16) // aborted transactions
      const size = r.int32()
      if (size > 0) batches.push(...parseBatches(partition, r.bytes(size)))
    }
  }
  return batches
}

function parseBatches(partition: number, records: Buffer): BatchInfo[] {
  const batches: BatchInfo[] = []
  for (let at = 0; at + 61 <= records.length;) {
    const baseOffset = records.readBigInt64BE(at)
    const length = records.readInt32BE(at + 8)
    if (at + 12 + length > records.length) break // a partial batch at the end of the answer
    const magic = records.readInt8(at + 16)
    if (magic !== 2) throw new Error(`record batch with magic ${magic}, expected 2`)
    const attributes = records.readInt16BE(at + 21)
    const count = records.readInt32BE(at + 57)
    batches.push({ partition, baseOffset, records: count, codec: CODEC_NAMES[attributes & 0x7] ?? `unknown(${attributes & 0x7})` })
    at += 12 + length
  }
  return batches
}

function roundTrip(host: string, port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    const chunks: Buffer[] = []
    let received = 0
    const timer = setTimeout(() => socket.destroy(new Error('Fetch request timed out')), 10_000)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      received += chunk.length
      const all = Buffer.concat(chunks, received)
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        clearTimeout(timer)
        socket.end()
        resolve(all.subarray(4, 4 + all.readInt32BE(0)))
      }
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

class Reader {
  private at = 0
  constructor(private readonly buffer: Buffer) {}
  int16(): number { const v = this.buffer.readInt16BE(this.at); this.at += 2; return v }
  int32(): number { const v = this.buffer.readInt32BE(this.at); this.at += 4; return v }
  string(): string { const n = this.int16(); const v = this.buffer.toString('utf8', this.at, this.at + n); this.at += n; return v }
  bytes(n: number): Buffer { const v = this.buffer.subarray(this.at, this.at + n); this.at += n; return v }
  skip(n: number): void { this.at += n }
}

const int16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b }
const int32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b }
const int64 = (n: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64BE(n); return b }
