/**
 * Escaping for the one-line Windows XML that `dump -f xml` writes. Besides markup characters, every
 * control character (newline, CR and tab included) becomes a character reference, so an event is
 * always exactly one line and a corrupt record's raw control bytes never reach the terminal; the
 * XML event reader decodes the references back to the same text.
 */
const TEXT = /[&<>\x00-\x1f\x7f]/g;
const ATTRIBUTE = /[&<>"'\x00-\x1f\x7f]/g;
const NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function reference(ch: string): string {
  return NAMED[ch] ?? `&#x${ch.charCodeAt(0).toString(16).toUpperCase()};`;
}

export function escapeXmlText(s: string): string {
  return s.replace(TEXT, reference);
}

export function escapeXmlAttribute(s: string): string {
  return s.replace(ATTRIBUTE, reference);
}
