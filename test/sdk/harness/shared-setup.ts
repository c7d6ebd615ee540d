/**
 * sharedSetup: the setup a test file's scenarios share (capture target, proxy,
 * SDK runtime), started by the first scenario that needs it. A setup failure
 * (say, the Python venv is missing) is remembered and fails every scenario
 * with the same message, so a missing runtime reads as N failures, never as
 * skipped or cancelled tests.
 */
export interface SharedSetup<T> {
  get(): Promise<T>
  /** Tear down what setup started; safe when setup never ran or failed. */
  dispose(): Promise<void>
}

export function sharedSetup<T>(start: () => Promise<T>, stop: (value: T) => Promise<void>): SharedSetup<T> {
  let started: Promise<T> | undefined
  return {
    get: () => (started ??= start()),
    dispose: async () => {
      if (started === undefined) return
      const value = await started.catch(() => undefined)
      if (value !== undefined) await stop(value)
    },
  }
}
