/*
 * Text from the wire (manifests, message ids, attribute values) and from user code (error
 * messages) reaches log lines. Escaped, a CR/LF cannot start a forged log line and an ANSI escape
 * cannot repaint the terminal; bounded, a 1 MiB manifest cannot flood the log.
 */

/** C0 and C1 control characters, DEL, the Unicode line and paragraph separators, U+FFFE/U+FFFF and lone surrogates (the last two SQS refuses in attribute values). */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(char: string): string {
  return NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Default bound for one value from the wire (a manifest, an id) in a log line. */
export const MAX_LOGGED_VALUE = 200;

/**
 * `text` with control characters, line separators and lone surrogates escaped as `\n`, `\u001b`…,
 * cut to `maxLength` characters with a note of how many were left out.
 */
export function logSafe(text: string, maxLength: number = MAX_LOGGED_VALUE): string {
  const cut = text.length > maxLength ? text.slice(0, maxLength) : text;
  // A cut may split a surrogate pair; the half left over is escaped like any lone surrogate.
  const escaped = cut.replace(UNSAFE, escapeOne);
  return cut === text ? escaped : `${escaped}…(${text.length - maxLength} more characters)`;
}
