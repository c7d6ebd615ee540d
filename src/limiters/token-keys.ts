/**
 * Lists of `token` or `token:distinct_id` entries, as upstream's
 * DROP_EVENTS_BY_TOKEN_DISTINCT_ID and INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID
 * take them: a bare token matches every event of that project, a pair matches
 * one distinct id (split at the first ':', so distinct ids may hold ':').
 */
export interface TokenKeys {
  readonly wholeTokens: ReadonlySet<string>
  readonly distinctIds: ReadonlyMap<string, ReadonlySet<string>>
}

export function parseTokenKeys(entries: readonly string[]): TokenKeys {
  const wholeTokens = new Set<string>()
  const distinctIds = new Map<string, Set<string>>()
  for (const entry of entries) {
    const colon = entry.indexOf(':')
    if (colon === -1) {
      wholeTokens.add(entry)
      continue
    }
    const token = entry.slice(0, colon)
    let ids = distinctIds.get(token)
    if (ids === undefined) distinctIds.set(token, (ids = new Set()))
    ids.add(entry.slice(colon + 1))
  }
  return { wholeTokens, distinctIds }
}

export const isEmpty = (keys: TokenKeys): boolean => keys.wholeTokens.size === 0 && keys.distinctIds.size === 0

/** Whether any event of `token` can match: lets callers skip the per-event loop. */
export const mayMatch = (keys: TokenKeys, token: string): boolean => keys.wholeTokens.has(token) || keys.distinctIds.has(token)

export function matches(keys: TokenKeys, token: string, distinctId: string): boolean {
  return keys.wholeTokens.has(token) || keys.distinctIds.get(token)?.has(distinctId) === true
}
