/**
 * Typed handles over prom-client metrics, and the builder metrics.ts declares
 * them with. A handle's labels are a closed object type (`{ cause: DropCause }`),
 * so `inc({ cause: 'anything' })` does not compile; prom-client's own types
 * accept any string.
 *
 * Every metric records a MetricSpec (name, type, labels, how workers'
 * values merge, which mode exports it), which is what docs/operations.md is
 * checked against. Gauges must say how they merge across node:cluster
 * workers: `sum` for per-worker quantities, `min`/`max` for one state that
 * every worker observes (a 0/1 flag, a shared directory), where a sum would
 * read 2 for "connected" with two workers. Counters and histograms sum.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export type LabelSet = Readonly<Record<string, string | number>>
export type Aggregation = 'sum' | 'min' | 'max'
/** `all`: exported in every mode; `kafka`: only when Kafka is the sink (KAFKA_HOSTS set). */
export type MetricMode = 'all' | 'kafka'
export type SinkMode = 'local' | 'kafka'

export interface MetricSpec {
  readonly name: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly labels: readonly string[]
  readonly aggregation: Aggregation
  readonly mode: MetricMode
}

type Readable<M extends { get(): unknown }> = Pick<M, 'get'>

export interface PlainCounter extends Readable<Counter> {
  inc(value?: number): void
}
export interface LabelledCounter<L extends LabelSet> extends Readable<Counter> {
  inc(labels: L, value?: number): void
}
export interface PlainGauge extends Readable<Gauge> {
  set(value: number): void
  inc(value?: number): void
  dec(value?: number): void
}
export interface LabelledGauge<L extends LabelSet> extends Readable<Gauge> {
  set(labels: L, value: number): void
}
export interface PlainHistogram extends Readable<Histogram> {
  observe(value: number): void
}
export interface LabelledHistogram<L extends LabelSet> extends Readable<Histogram> {
  observe(labels: L, value: number): void
  /** Returns a function that observes the seconds elapsed since the call. */
  startTimer(labels: L): () => number
}

interface Definition {
  readonly name: string
  readonly help: string
  /** Exported only in this mode (default: all). */
  readonly mode?: MetricMode
}
interface Labelled<L extends LabelSet> {
  readonly labels: readonly (keyof L & string)[]
}
interface GaugeDefinition extends Definition {
  readonly aggregation: Aggregation
}
interface HistogramDefinition extends Definition {
  readonly buckets: readonly number[]
}

/**
 * Builds the handles into one registry. With a sink mode, metrics of the
 * other mode are still created (their code paths stay the same) but never
 * registered, so /metrics shows no Kafka series in local mode. Without one
 * (unit tests of single components), every metric is registered.
 */
export class MetricBuilder {
  readonly specs: MetricSpec[] = []

  constructor(private readonly registry: Registry, private readonly sink: SinkMode | undefined) {}

  counter(definition: Definition): PlainCounter {
    return new Counter({ name: definition.name, help: definition.help, registers: this.register(definition, 'counter', [], 'sum') })
  }

  labelledCounter<L extends LabelSet>(definition: Definition & Labelled<L>): LabelledCounter<L> {
    const { name, help, labels } = definition
    return new Counter({ name, help, labelNames: labels, registers: this.register(definition, 'counter', labels, 'sum') })
  }

  gauge(definition: GaugeDefinition): PlainGauge {
    const { name, help, aggregation } = definition
    return new Gauge({ name, help, aggregator: aggregation, registers: this.register(definition, 'gauge', [], aggregation) })
  }

  labelledGauge<L extends LabelSet>(definition: GaugeDefinition & Labelled<L>): LabelledGauge<L> {
    const { name, help, labels, aggregation } = definition
    return new Gauge({ name, help, labelNames: labels, aggregator: aggregation, registers: this.register(definition, 'gauge', labels, aggregation) })
  }

  histogram(definition: HistogramDefinition): PlainHistogram {
    const { name, help, buckets } = definition
    return new Histogram({ name, help, buckets: [...buckets], registers: this.register(definition, 'histogram', [], 'sum') })
  }

  labelledHistogram<L extends LabelSet>(definition: HistogramDefinition & Labelled<L>): LabelledHistogram<L> {
    const { name, help, labels, buckets } = definition
    return new Histogram({ name, help, labelNames: labels, buckets: [...buckets], registers: this.register(definition, 'histogram', labels, 'sum') })
  }

  private register(definition: Definition, type: MetricSpec['type'], labels: readonly string[], aggregation: Aggregation): Registry[] {
    const mode = definition.mode ?? 'all'
    const exported = mode === 'all' || this.sink === undefined || this.sink === mode
    if (exported) this.specs.push({ name: definition.name, type, labels, aggregation, mode })
    return exported ? [this.registry] : []
  }
}
