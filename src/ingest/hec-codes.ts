/**
 * Splunk HTTP Event Collector status codes, texts and HTTP statuses as Splunk answers them
 * ("Troubleshoot HTTP Event Collector: possible error codes"). Clients (Vector, Fluent Bit,
 * OpenTelemetry's exporter, replay.py) key their retry logic on `code`, so these are fixed.
 */
export const hecCodes = {
  0: { status: 200, text: 'Success' },
  1: { status: 403, text: 'Token disabled' },
  2: { status: 401, text: 'Token is required' },
  3: { status: 401, text: 'Invalid authorization' },
  4: { status: 403, text: 'Invalid token' },
  5: { status: 400, text: 'No data' },
  6: { status: 400, text: 'Invalid data format' },
  7: { status: 400, text: 'Incorrect index' },
  8: { status: 500, text: 'Internal server error' },
  9: { status: 503, text: 'Server is busy' },
  10: { status: 400, text: 'Data channel is missing' },
  11: { status: 400, text: 'Invalid data channel' },
  12: { status: 400, text: 'Event field is required' },
  13: { status: 400, text: 'Event field cannot be blank' },
  14: { status: 400, text: 'ACK is disabled' },
  15: { status: 400, text: 'Error in handling indexed fields' },
  16: { status: 400, text: 'Query string authorization is not enabled' },
  17: { status: 200, text: 'HEC is healthy' },
  18: { status: 503, text: 'HEC is unhealthy, queues are full' },
  19: { status: 503, text: 'HEC is unhealthy, ack service unavailable' },
  20: { status: 503, text: 'HEC is unhealthy, queues are full, ack service unavailable' },
  21: { status: 400, text: 'Invalid token' },
  22: { status: 400, text: 'Token disabled' },
  23: { status: 503, text: 'Server is shutting down' },
  24: { status: 503, text: 'Queue size exceeded' },
  25: { status: 503, text: 'Ack channel at capacity' },
  26: { status: 429, text: 'Queue at capacity' },
  27: { status: 503, text: 'Ack is currently unavailable, channel queue size exceeded' },
} as const satisfies Record<number, { status: number; text: string }>;

export type HecCode = keyof typeof hecCodes;

export interface HecReply {
  status: number;
  body: { text: string; code: number; 'invalid-event-number'?: number; ackId?: number };
  /** seconds, for 503/429 */
  retryAfter?: number;
}

export function hecReply(code: HecCode, extra: { invalidEventNumber?: number; ackId?: number; retryAfter?: number } = {}): HecReply {
  const { status, text } = hecCodes[code];
  return {
    status,
    body: {
      text,
      code,
      ...(extra.invalidEventNumber !== undefined && { 'invalid-event-number': extra.invalidEventNumber }),
      ...(extra.ackId !== undefined && { ackId: extra.ackId }),
    },
    ...(extra.retryAfter !== undefined && { retryAfter: extra.retryAfter }),
  };
}
