#!/usr/bin/env node
import { runCli } from './program.js';

await runCli({
  scan: async () => (await import('./scan.js')).registerScanCommand,
  watch: async () => (await import('./watch.js')).registerWatchCommand,
  dump: async () => (await import('./dump.js')).registerDumpCommand,
  test: async () => (await import('./test.js')).registerTestCommand,
  validate: async () => (await import('./validate.js')).registerValidateCommand,
  risk: async () => (await import('./risk.js')).registerRiskCommand,
  serve: async () => (await import('./serve.js')).registerServeCommand,
  findings: async () => (await import('./findings.js')).registerFindingsCommand,
  publish: async () => (await import('./publish.js')).registerPublishCommand,
  worker: async () => (await import('./worker.js')).registerWorkerCommand,
  results: async () => (await import('./results.js')).registerResultsCommand,
});
