// Escaping text for XML/SVG documents: the five special characters become entities and
// characters XML 1.0 forbids (most control characters, lone surrogates) are dropped.

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe inside an element or a double- or single-quoted attribute. */
export function escapeXml(text: string): string {
  return String(text).replace(FORBIDDEN, '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
