#!/usr/bin/env node
// The `posthog-capture` command: runs the compiled CLI (src/cli/main.ts). `npm ci`
// builds dist/; after changing the source, `npm run build`.
let cli
try {
  cli = await import('../dist/cli/main.js')
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('/dist/cli/main.js')) throw err
  process.stderr.write('posthog-capture: dist/ is missing: run `npm run build` (npm ci runs it)\n')
  process.exit(1)
}
process.exitCode = await cli.runCli(process.argv.slice(2))
