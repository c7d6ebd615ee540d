/** Bad arguments: runCli prints the message and the command's usage, and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
