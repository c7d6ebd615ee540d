/**
 * The replay's progress line: a bar over the log bytes to go, bytes and
 * messages so far, and the rate, e.g.
 * `replay [##########··········]  50%  12.3/24.6 MB  10,240 msgs  4,100 msg/s`.
 */

const WIDTH = 20

export class ReplayProgress {
  private bytes = 0
  private messages = 0
  private readonly started = Date.now()

  constructor(private readonly totalBytes: number, private readonly write: (text: string, final: boolean) => void) {}

  add(batch: { readonly messages: number; readonly bytes: number }): void {
    this.bytes += batch.bytes
    this.messages += batch.messages
    this.write(this.line(), false)
  }

  finish(): void {
    this.write(this.line(), true)
  }

  line(): string {
    const fraction = this.totalBytes === 0 ? 1 : Math.min(1, this.bytes / this.totalBytes)
    const filled = Math.round(fraction * WIDTH)
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000)
    const mb = (n: number): string => (n / 1e6).toFixed(1)
    return `replay [${'#'.repeat(filled)}${'·'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
      `${mb(this.bytes)}/${mb(this.totalBytes)} MB  ${this.messages.toLocaleString('en-US')} msgs  ` +
      `${Math.round(this.messages / seconds).toLocaleString('en-US')} msg/s`
  }
}
