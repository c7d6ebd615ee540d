import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { OpsRecorder, percentiles } from './ops-recorder.js'
import type { WorkerSample } from './ops-sample.js'

function aSample(pid: number, counters: Record<string, number>, latency: [number, number][] = [], latencyCount = 0): WorkerSample {
  return {
    worker: pid, pid, startedAt: 0, counters, latency, latencyCount,
    gauges: { spoolBytes: 0, kafkaReachable: 1, storeConnected: 1, storeBreakerOpen: 0, inflight: 1 },
    status: { rssBytes: 1, heapUsedBytes: 1, eventLoopUtilization: 0.1, lifecycle: 'serving', health: {} },
  }
}

describe('OpsRecorder', () => {
  it('turns the workers\' cumulative counters into cluster-wide rates per second', () => {
    const recorder = new OpsRecorder({ intervalMs: 2000, capacity: 10, sink: 'local' })
    recorder.add(0, [aSample(1, { received: 10, 'dropped.duplicate': 0 }), aSample(2, { received: 0 })])
    recorder.add(2000, [aSample(1, { received: 30, 'dropped.duplicate': 4 }), aSample(2, { received: 20 })])
    const [point] = recorder.snapshot(2000).points
    assert.equal(point!.received, 20)
    assert.deepEqual(point!.dropped, { duplicate: 2 })
    assert.equal(point!.limiter.dedup, 2)
    assert.equal(point!.inflight, 2)
    assert.equal(point!.kafkaReachable, null)
  })

  it('counts a restarted worker\'s counters from zero instead of as a negative rate', () => {
    const recorder = new OpsRecorder({ intervalMs: 2000, capacity: 10, sink: 'local' })
    recorder.add(0, [aSample(1, { received: 100 })])
    recorder.add(2000, [aSample(1, { received: 8 })])
    assert.equal(recorder.snapshot(2000).points[0]!.received, 4)
  })

  it('keeps at most its capacity of points, oldest dropped first', () => {
    const recorder = new OpsRecorder({ intervalMs: 2000, capacity: 3, sink: 'local' })
    for (let i = 0; i < 10; i++) recorder.add(i * 2000, [aSample(1, { received: i })])
    const points = recorder.snapshot(18_000).points
    assert.deepEqual(points.map((p) => p.t), [14_000, 16_000, 18_000])
  })

  it('lists workers that did not answer the last round', () => {
    const recorder = new OpsRecorder({ intervalMs: 2000, capacity: 3, sink: 'kafka' })
    recorder.add(0, [aSample(1, {})], [{ worker: 2, pid: 2 }])
    assert.deepEqual(recorder.snapshot(0).workers.map((w) => [w.worker, w.answered]), [[1, true], [2, false]])
  })
})

describe('percentiles', () => {
  it('interpolates inside the bucket that holds the rank', () => {
    assert.deepEqual(percentiles([[0.001, 0], [0.002, 10], [Infinity, 10]]), { p50: 1.5, p90: 1.9, p99: 1.99 })
  })

  it('is null when no request finished in the interval', () => {
    assert.equal(percentiles([[0.001, 0], [Infinity, 0]]), null)
  })
})
