/**
 * What the HTTP front needs from the debug UI (src/debug/, wired by app.ts
 * when DEBUG_UI_TOKEN is set): to serve the /_debug routes, to recognise its
 * asset paths, and to hear about refused capture requests. Declared here,
 * beside its consumer, so http/ does not depend on the debug module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface RefusedRequest {
  readonly route: string
  readonly method: string
  readonly code: string
  readonly status: number
  readonly reason: string
  /** The token of the request's Authorization or Token header, if any. */
  readonly token?: string
}

export interface DebugHook {
  /** A path under /_debug/assets/: the debug module matches its asset prefix itself. */
  ownsAsset(path: string): boolean
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>
  /** Must return at once; does nothing while nobody watches. */
  refused(refusal: RefusedRequest): void
}
