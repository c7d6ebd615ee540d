/**
 * Reading a server-sent-events response in tests (the debug UI's /_debug/events):
 * each `event:`/`data:` block becomes one message, its data parsed as JSON.
 */
import type { IncomingMessage } from 'node:http'

export interface SseMessage {
  readonly type: string
  readonly data: Record<string, unknown>
}

/** Starts reading `res` and returns the array its messages are pushed to as they arrive. */
export function collectSse(res: IncomingMessage): SseMessage[] {
  const messages: SseMessage[] = []
  let text = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    text += chunk
    let end: number
    while ((end = text.indexOf('\n\n')) !== -1) {
      const block = text.slice(0, end)
      text = text.slice(end + 2)
      const type = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (type !== undefined && data !== undefined) messages.push({ type, data: JSON.parse(data) as Record<string, unknown> })
    }
  })
  return messages
}
