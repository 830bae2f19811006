/**
 * The options every command on the bus shares (`publish`, `worker`, `serve --nats`): where the
 * bus is, and the names and limits of its stream, consumer and dead-letter subject.
 */
import type { Command } from 'commander';
import { defaultBusOptions, type BusOptions } from '../bus/bus.js';
import { parseByteSize } from './shared.js';
import { parseDuration } from './time-args.js';

export interface BusFlags {
  nats?: string;
  stream: string;
  subject: string;
  deadLetterSubject: string;
  consumer: string;
  maxDeliver: number;
  ackWait: number;
  maxAge: number;
  maxBytes: number;
  duplicateWindow: number;
}

const d = defaultBusOptions;

export function addBusOptions(command: Command): Command {
  return command
    .option('--stream <name>', 'JetStream stream holding the chunks', d.stream)
    .option('--subject <subject>', 'subject chunks are published to', d.subject)
    .option('--dead-letter-subject <subject>', 'where a message goes, with the reason, after --max-deliver deliveries', d.deadLetterSubject)
    .option('--consumer <name>', 'the durable consumer every worker shares', d.consumer)
    .option('--max-deliver <n>', 'deliveries of a message before it is a dead letter', (v) => Number.parseInt(v, 10), d.maxDeliver)
    .option('--ack-wait <duration>', 'time a worker has per message before it is redelivered (workers extend it on long ones)', parseDuration, d.ackWaitMs / 1000)
    .option('--max-age <duration>', 'stream retention by age', parseDuration, d.maxAgeMs / 1000)
    .option('--max-bytes <size>', 'stream retention by size (default: no limit)', parseByteSize, d.maxBytes)
    .option('--duplicate-window <duration>', 'how long a message id is remembered to drop a republished copy', parseDuration, d.duplicateWindowMs / 1000);
}

export function busOptionsOf(flags: BusFlags): BusOptions {
  return {
    stream: flags.stream,
    subject: flags.subject,
    deadLetterSubject: flags.deadLetterSubject,
    consumer: flags.consumer,
    maxDeliver: flags.maxDeliver,
    ackWaitMs: flags.ackWait * 1000,
    maxAgeMs: flags.maxAge * 1000,
    maxBytes: flags.maxBytes,
    duplicateWindowMs: flags.duplicateWindow * 1000,
  };
}
