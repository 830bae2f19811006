/**
 * ES's `$field$` templates (risk messages, drilldown names): the one place their tokens are parsed.
 * Rules check the fields a template names at load; the engine fills them from a finding's row.
 */
const TOKEN = /\$([A-Za-z0-9_.]+)\$/g;
/** a token with the one space before it, if any */
const TOKEN_WITH_SPACE = new RegExp(`( ?)${TOKEN.source}`, 'g');

/** The fields a template names, in order of appearance (a field named twice is listed twice). */
export function templateFields(template: string): string[] {
  return [...template.matchAll(TOKEN)].map((m) => m[1]);
}

/** The template with each token replaced by its field's text; a token with no value is left as written. */
export function fillTemplate(template: string, textOf: (field: string) => string | undefined): string {
  return template.replace(TOKEN, (token, field: string) => textOf(field) ?? token);
}

/**
 * The template with each token replaced by its field's text; a token whose text is empty renders as
 * nothing and takes the one space before it along (so `to $dest$ via` loses no word but the gap).
 */
export function fillTemplateDroppingEmpty(template: string, textOf: (field: string) => string): string {
  return template.replace(TOKEN_WITH_SPACE, (_token, space: string, field: string) => {
    const text = textOf(field);
    return text === '' ? '' : `${space}${text}`;
  });
}
