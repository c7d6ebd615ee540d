/**
 * Health registry: components (sink, store, server lifecycle) report their
 * state here; /_readiness, /_liveness and /health read it. Reading never does
 * I/O, so a probe cannot hang on a sick dependency.
 */
export interface HealthReport {
  readonly healthy: boolean
  readonly detail?: string
}

/** One named component, as a part of the service hands it to the registry. */
export interface HealthComponent {
  readonly name: string
  readonly report: () => HealthReport
  /** As RegisterOptions.readiness: false for a component whose failure capture absorbs. */
  readonly readiness?: boolean
}

export type Lifecycle = 'starting' | 'serving' | 'draining'

export interface RegisterOptions {
  /**
   * Whether this component gates readiness (default true). A component whose
   * failure capture absorbs (Kafka down while the spool takes writes) shows in
   * /health, and makes it 503, without taking the instance out of rotation.
   */
  readonly readiness?: boolean
}

export interface HealthRegistry {
  register(name: string, report: () => HealthReport, options?: RegisterOptions): void
  setLifecycle(state: Lifecycle): void
  lifecycle(): Lifecycle
  /** Ready to take traffic: serving and every component healthy. */
  ready(): boolean
  /** Alive: the process can answer; false only when it should be restarted. */
  live(): boolean
  snapshot(): { status: 'healthy' | 'unhealthy'; lifecycle: Lifecycle; components: Record<string, HealthReport> }
}

export function createHealthRegistry(): HealthRegistry {
  const components = new Map<string, () => HealthReport>()
  const gating = new Set<string>()
  let state: Lifecycle = 'starting'
  const allHealthy = (): boolean => [...gating].every((name) => components.get(name)!().healthy)
  return {
    register: (name, report, options = {}) => {
      components.set(name, report)
      if (options.readiness === false) gating.delete(name)
      else gating.add(name)
    },
    setLifecycle: (next) => void (state = next),
    lifecycle: () => state,
    ready: () => state === 'serving' && allHealthy(),
    live: () => true,
    snapshot() {
      const reports: Record<string, HealthReport> = {}
      for (const [name, report] of components) reports[name] = report()
      const healthy = state === 'serving' && Object.values(reports).every((r) => r.healthy)
      return { status: healthy ? 'healthy' : 'unhealthy', lifecycle: state, components: reports }
    },
  }
}
