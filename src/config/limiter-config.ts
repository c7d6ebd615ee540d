/**
 * The limiter section of the configuration: the store behind the limiters
 * (Redis when REDIS_URL is set, a Redis Cluster when REDIS_CLUSTER_NODES is,
 * memory otherwise), de-duplication, billing
 * quotas, rate limits, overflow and the token dropper. Names follow upstream
 * PostHog capture where the concept exists; docs/limits.md documents each one.
 */
import { ms, seconds, type Millis, type Seconds } from '../units.js'
import type { EnvReader } from './env-parsers.js'

export type StoreConfig =
  | {
      readonly kind: 'redis'
      readonly url: string
      readonly keyPrefix: string
      readonly connectTimeout: Millis
      readonly responseTimeout: Millis
    }
  | {
      readonly kind: 'redis-cluster'
      /** Seed nodes; the client learns the other nodes and the slot map from them. */
      readonly nodes: readonly { readonly host: string; readonly port: number }[]
      readonly username?: string
      readonly password?: string
      readonly keyPrefix: string
      readonly connectTimeout: Millis
      readonly responseTimeout: Millis
    }
  | {
      readonly kind: 'memory'
      /** Cap on marks (and on buckets) held in memory. */
      readonly maxKeys: number
      /** With WORKERS>1 the state lives in the primary; a worker waits this long for its answer. */
      readonly primaryTimeout: Millis
    }

/** One token bucket: events per second and how many may come at once. */
export interface BucketLimit {
  readonly perSecond: number
  readonly burst: number
}

/** Per token and per token:distinct_id; an absent bucket is no limit. */
export interface RateLimits {
  readonly token?: BucketLimit
  readonly distinctId?: BucketLimit
}

export interface LimiterConfig {
  readonly store: StoreConfig
  readonly dedup: { readonly enabled: boolean; readonly ttl: Seconds }
  readonly quota: { readonly refreshEvery: Millis }
  readonly rate: RateLimits
  readonly overflow: {
    readonly enabled: boolean
    readonly perSecond: number
    readonly burst: number
    /** `token` or `token:distinct_id` entries always sent to overflow. */
    readonly forcedKeys: readonly string[]
  }
  /** `token` or `token:distinct_id` entries whose events are dropped. */
  readonly dropEvents: readonly string[]
}

const DAY_SECONDS = 86_400

export function readLimiterConfig(read: EnvReader): LimiterConfig {
  return {
    store: readStore(read),
    dedup: {
      enabled: read.bool('DEDUP_ENABLED', true),
      ttl: seconds(read.int('DEDUP_TTL_SECONDS', DAY_SECONDS, { min: 1, max: 30 * DAY_SECONDS })),
    },
    quota: { refreshEvery: ms(read.int('QUOTA_REFRESH_INTERVAL_MS', 5000, { min: 100, max: 3_600_000 })) },
    rate: {
      token: readBucket(read, 'RATE_LIMIT_TOKEN_EVENTS_PER_SECOND', 'RATE_LIMIT_TOKEN_BURST'),
      distinctId: readBucket(read, 'RATE_LIMIT_DISTINCT_ID_EVENTS_PER_SECOND', 'RATE_LIMIT_DISTINCT_ID_BURST'),
    },
    overflow: {
      enabled: read.bool('OVERFLOW_ENABLED', false),
      perSecond: read.int('OVERFLOW_PER_SECOND_LIMIT', 100, { min: 1 }),
      burst: read.int('OVERFLOW_BURST_LIMIT', 1000, { min: 1 }),
      forcedKeys: read.list('INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID'),
    },
    dropEvents: read.list('DROP_EVENTS_BY_TOKEN_DISTINCT_ID'),
  }
}

function readStore(read: EnvReader): StoreConfig {
  const url = read.optionalString('REDIS_URL')
  const clusterNodes = read.optionalString('REDIS_CLUSTER_NODES')
  if (url !== undefined && clusterNodes !== undefined) read.problem('REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for one Redis or REDIS_CLUSTER_NODES for a Redis Cluster, not both')
  if (url !== undefined && !/^rediss?:\/\//.test(url)) read.problem(`REDIS_URL=${JSON.stringify(url.replace(/:[^@/]*@/, ':***@'))}: expected redis://[user:password@]host:port[/db] or rediss://…`)
  if (url === undefined && clusterNodes === undefined) {
    return {
      kind: 'memory',
      maxKeys: read.int('MEMORY_STORE_MAX_KEYS', 2_000_000, { min: 1000 }),
      primaryTimeout: ms(read.int('MEMORY_STORE_PRIMARY_TIMEOUT_MS', 1000, { min: 10, max: 60_000 })),
    }
  }
  const common = {
    keyPrefix: read.string('REDIS_KEY_PREFIX', ''),
    connectTimeout: ms(read.int('REDIS_CONNECTION_TIMEOUT_MS', 5000, { min: 10, max: 120_000 })),
    responseTimeout: ms(read.int('REDIS_RESPONSE_TIMEOUT_MS', 1000, { min: 1, max: 60_000 })),
  }
  if (url !== undefined) return { kind: 'redis', url, ...common }
  if (common.keyPrefix.includes('{')) read.problem(`REDIS_KEY_PREFIX=${JSON.stringify(common.keyPrefix)}: must not contain "{" with REDIS_CLUSTER_NODES (a hash tag in the prefix would put every key on one cluster slot)`)
  return { kind: 'redis-cluster', ...readClusterSeeds(read, read.list('REDIS_CLUSTER_NODES')), ...common }
}

/**
 * REDIS_CLUSTER_NODES entries: `host:port`, or `redis://[user:password@]host:port`
 * to give credentials (the same on every entry that names them, since every
 * node of a cluster is reached with one set). TLS (rediss://) is refused: not
 * supported for a cluster yet.
 */
function readClusterSeeds(read: EnvReader, entries: readonly string[]): Pick<StoreConfig & { kind: 'redis-cluster' }, 'nodes' | 'username' | 'password'> {
  const nodes: { host: string; port: number }[] = []
  const credentials = new Set<string>()
  let username: string | undefined
  let password: string | undefined
  for (const entry of entries) {
    const url = /^[a-z]+:\/\//.test(entry) ? parseUrl(entry) : parseUrl(`redis://${entry}`)
    const port = Number(url?.port)
    if (url === undefined || url.protocol !== 'redis:' || url.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535 || (url.pathname !== '' && url.pathname !== '/')) {
      read.problem(`REDIS_CLUSTER_NODES entry ${JSON.stringify(entry.replace(/:[^@/]*@/, ':***@'))}: expected host:port or redis://[user:password@]host:port${entry.startsWith('rediss:') ? ' (TLS to a Redis Cluster is not supported yet)' : ''}`)
      continue
    }
    nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port })
    if (url.password === '' && url.username === '') continue
    username = url.username === '' ? undefined : decodeURIComponent(url.username)
    password = url.password === '' ? undefined : decodeURIComponent(url.password)
    credentials.add(`${url.username}:${url.password}`)
  }
  if (credentials.size > 1) read.problem('REDIS_CLUSTER_NODES: entries give different credentials; every node of a cluster is reached with one user and password')
  if (entries.length === 0) read.problem('REDIS_CLUSTER_NODES names no node: expected host:port,host:port,…')
  return { nodes, ...(username !== undefined && { username }), ...(password !== undefined && { password }) }
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}

/** 0 (the default) turns the limit off; the burst defaults to one second's worth. */
function readBucket(read: EnvReader, rateName: string, burstName: string): RateLimits['token'] {
  const perSecond = read.int(rateName, 0, { min: 0 })
  const burst = read.int(burstName, 0, { min: 0 })
  if (perSecond === 0) return undefined
  return { perSecond, burst: burst === 0 ? perSecond : burst }
}
