/**
 * Stable codes for everything a run skips or rejects. Each code is documented in docs/errors.md
 * (a test keeps the two in step), so a user can grep a code from the summary and find out why.
 */
export const skipCodes = {
  'line-too-long': 'A line or record was longer than --max-record-bytes and was skipped whole.',
  'invalid-utf8': 'A text record was not valid UTF-8.',
  'invalid-json': 'A JSON line did not parse as a JSON object.',
  'invalid-xml': 'An XML event was truncated or malformed beyond what the tolerant tokenizer recovers.',
  'unrecognised-record': 'A record parsed, but its shape matches no known event family.',
  'garbage': 'Bytes between events that belong to no event (for example text between <Event> elements).',
  'evtx-bad-header': 'The EVTX file header is invalid; the file is read by scanning for chunks.',
  'evtx-bad-chunk': 'An EVTX chunk slot has a bad magic or header and was skipped.',
  'evtx-bad-checksum': 'An EVTX chunk checksum did not match; the chunk was still decoded.',
  'evtx-bad-record': 'An EVTX record header was invalid (zeroed, size 0, past the chunk end, bad magic); reading resumed at the next record signature.',
  'evtx-bad-binxml': 'An EVTX record\'s BinXML could not be decoded; its substitution values were kept positionally where possible.',
  'evtx-truncated': 'The EVTX file ends in the middle of a chunk.',
  'io-error': 'A file could not be opened or read.',
  'decompress-error': 'A gzip stream was corrupt or truncated; records before the damage were kept.',
  'unknown-format': 'The content of an input matches no supported format.',
  'not-an-event': 'A syslog line from another program (or Sysmon\'s own start-up messages) that carries no event; counted for information, not an error.',
} as const;

export type SkipCode = keyof typeof skipCodes;

/** Codes that describe input that is fine but holds no event: reported apart from damage. */
export const informationalCodes: ReadonlySet<SkipCode> = new Set<SkipCode>(['not-an-event', 'unknown-format']);
