/**
 * The debug UI section of the configuration (`/_debug/`, docs/debug-ui.md):
 * the live event debugger and the operations page. Off unless DEBUG_UI_TOKEN
 * is set; the token is a secret the viewer presents, so it must be long
 * enough not to be guessed.
 */
import type { EnvReader } from './env-parsers.js'

export interface DebugUiConfig {
  /** DEBUG_UI_TOKEN: the secret every /_debug page, asset and stream requires; undefined → the UI is off (404). */
  readonly token: string | undefined
  /** DEBUG_UI_EVENTS_PER_SECOND: at most this many events (and refusals) per second and worker reach the viewers. */
  readonly eventsPerSecond: number
}

export const DEBUG_UI_TOKEN_MIN_LENGTH = 16

export function readDebugUiConfig(read: EnvReader): DebugUiConfig {
  const token = read.optionalString('DEBUG_UI_TOKEN')
  // Never echo the value: it is a secret.
  if (token !== undefined && token.length < DEBUG_UI_TOKEN_MIN_LENGTH) read.problem(`DEBUG_UI_TOKEN: expected at least ${DEBUG_UI_TOKEN_MIN_LENGTH} characters`)
  if (token !== undefined && /[^\x21-\x7e]/.test(token)) read.problem('DEBUG_UI_TOKEN: expected printable ASCII without spaces')
  return {
    token,
    eventsPerSecond: read.int('DEBUG_UI_EVENTS_PER_SECOND', 100, { min: 1, max: 10_000 }),
  }
}
