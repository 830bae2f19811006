#!/usr/bin/env node
/**
 * The package's bin. A scan, the command whose start-up counts most, runs from a bundle of its own
 * (scripts/bundle.mjs): bundled with every other command, its code was split into some forty
 * chunks shared in different ways between the commands, each one more file for Node's loader to
 * resolve, read, compile and link. Every other command line goes to main.ts.
 */
await import(process.argv[2] === 'scan' ? './scan-main.js' : './main.js');
