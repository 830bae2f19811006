import { runCli } from './program.js';
import { registerScanCommand } from './scan.js';

// `tunnelwatch scan ...` as main.ts runs it (which then loads the scan command alone), with the
// scan command imported statically: the bundle gives it a file of its own (see bin.ts)
await runCli({ scan: async () => registerScanCommand });
