/**
 * runDriver: runs an out-of-process SDK driver (python, go) with a JSON
 * request on stdin and parses the JSON it prints on stdout. A non-zero exit,
 * a timeout or unparseable output throws with the driver's stderr, so a broken
 * driver or SDK fails the scenarios that depended on it.
 */
import { spawn } from 'node:child_process'

export interface DriverScenarioResult {
  readonly name: string
  readonly run_id: string
  readonly errors: readonly unknown[]
}

export interface DriverOutput {
  readonly version: string
  readonly scenarios: readonly DriverScenarioResult[]
}

export function runDriver(label: string, command: string, args: readonly string[], input: unknown, options: { timeoutMs: number; cwd?: string }): Promise<DriverOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`${label} driver could not start (${command}): ${error.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stderr = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-15).join('\n')
      if (code !== 0) {
        reject(new Error(`${label} driver exited with ${code ?? signal}${signal === 'SIGKILL' ? ` (timeout ${options.timeoutMs} ms)` : ''}:\n${stderr}`))
        return
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as DriverOutput)
      } catch (error) {
        reject(new Error(`${label} driver printed no JSON result (${(error as Error).message}); stderr:\n${stderr}`))
      }
    })
    child.stdin.end(JSON.stringify(input))
  })
}

export function resultFor(output: DriverOutput, runId: string, label: string): DriverScenarioResult {
  const found = output.scenarios.find((s) => s.run_id === runId)
  if (found === undefined) throw new Error(`${label}: the driver reported no result for run ${runId}`)
  return found
}
