/**
 * Processes by pid, for tests that start servers, brokers and Redis nodes and
 * must leave none behind: whether a pid still runs, a SIGKILL that does not
 * mind a process already gone, and a SIGKILL that waits for the process to go.
 */
import { setTimeout as sleep } from 'node:timers/promises'

/** Whether `pid` still runs (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** SIGKILL `pid`; a process that is already gone is no error. */
export function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** SIGKILL `pid` (a crash) and resolve once the process is gone. */
export async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL')
  while (isAlive(pid)) await sleep(20)
}
