/**
 * Lingering close: after a reply that refuses the rest of a request body
 * (413, or a 4xx sent before the body was read), keep reading and discarding
 * what the client still sends, for at most LINGER_MAX_BYTES or LINGER_MAX_MS,
 * and close only then.
 *
 * Why: closing a socket that still has unread input makes the kernel answer
 * with RST, and the RST destroys the reply in the client's receive buffer. A
 * client that writes its whole body before reading (python requests, curl)
 * then sees EPIPE or ECONNRESET instead of the 413 telling it to split the
 * batch. The bound keeps a hostile upload from holding the connection.
 */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { MiB, ms, type Millis } from '../units.js'

export const LINGER_MAX_BYTES = 32 * MiB
export const LINGER_MAX_MS: Millis = ms(5_000)
const CHECK_EVERY_MS = 50

/**
 * Makes the next close of this request's socket a lingering one. Call before the reply is
 * written: node:http closes a `Connection: close` socket itself (destroySoon) once the reply
 * has been flushed, and this replaces that close for this socket only.
 */
export function lingerOnClose(req: IncomingMessage, limits: { maxBytes: number; maxMs: Millis } = { maxBytes: LINGER_MAX_BYTES, maxMs: LINGER_MAX_MS }): void {
  const socket = req.socket as Socket & { lingering?: boolean }
  if (socket.lingering) return
  socket.lingering = true
  socket.destroySoon = function lingeringDestroySoon(this: Socket): void {
    if (this.destroyed) return
    // Our reply, then FIN; reading goes on so the client's remaining bytes are consumed, not reset.
    this.end()
    const startBytes = this.bytesRead
    const deadline = Date.now() + limits.maxMs
    const done = (): void => {
      clearInterval(timer)
      this.destroy()
    }
    const timer = setInterval(() => {
      if (this.bytesRead - startBytes > limits.maxBytes || Date.now() >= deadline) done()
    }, CHECK_EVERY_MS)
    timer.unref()
    this.once('close', () => clearInterval(timer))
    // The whole declared body has arrived: nothing is left unread, so closing now sends a plain FIN.
    if (req.complete) done()
    else req.once('end', done)
    req.resume()
  }
}
