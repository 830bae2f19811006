/**
 * Is this YAML text a Sigma detection rule? A look at its top-level keys, before any parsing, so
 * that choosing a front end loads no YAML library. (An ESCU detection has `search:` instead.)
 */
export function isSigmaRule(text: string): boolean {
  return /^detection:/m.test(text) && /^logsource:/m.test(text) && !/^search:/m.test(text);
}
