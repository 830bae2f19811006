/**
 * Is this YAML text a Sigma detection rule (or a Sigma correlation rule: `title:` and `correlation:`,
 * where an ESCU correlation has `name:`)? A look at its top-level keys, before any parsing, so
 * that choosing a front end loads no YAML library. (An ESCU detection has `search:` instead.)
 */
export function isSigmaRule(text: string): boolean {
  if (/^correlation:/m.test(text) && /^title:/m.test(text)) return true;
  return /^detection:/m.test(text) && /^logsource:/m.test(text) && !/^search:/m.test(text);
}
