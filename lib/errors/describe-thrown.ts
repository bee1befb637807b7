import { types } from 'node:util';
import { logSafe } from '../log-safe';
import { MelangeError } from './melange-error';

const MAX_DESCRIPTION = 1000;

/**
 * One line about anything thrown, for log lines and error messages; never throws itself. Handlers
 * throw what they like: null, strings, symbols, objects whose `toString` or `message` throws,
 * revoked Proxies. `withName` puts an Error's name before its message (`TypeError: …`). The result
 * is escaped and bounded (see `logSafe`).
 */
export function describeThrown(thrown: unknown, { withName = false }: { withName?: boolean } = {}): string {
  let text: string;
  try {
    text = rawDescription(thrown, withName);
  } catch {
    text = 'a thrown value that cannot be described';
  }
  return logSafe(text, MAX_DESCRIPTION);
}

/**
 * An Error for anything thrown: a readable Error as it is, anything else wrapped in a
 * `ThrownValueError` whose message describes it. Code after a catch can then rely on `instanceof`,
 * `.message` and `.name` without another try.
 */
export function toError(thrown: unknown): Error {
  try {
    if (isReadableError(thrown)) return thrown;
  } catch {
    // A getter or a Proxy trap threw: describe it instead.
  }
  return new ThrownValueError(describeThrown(thrown, { withName: true }));
}

/** Something other than a readable Error was thrown; its message describes what. */
export class ThrownValueError extends MelangeError {}

function isReadableError(thrown: unknown): thrown is Error {
  if (typeof thrown !== 'object' || thrown === null || types.isProxy(thrown)) return false;
  if (!(types.isNativeError(thrown) || thrown instanceof Error)) return false;
  const { message, name } = thrown as { message: unknown; name: unknown };
  return typeof message === 'string' && typeof name === 'string';
}

function rawDescription(thrown: unknown, withName: boolean): string {
  switch (typeof thrown) {
    case 'string':
      return thrown;
    case 'undefined':
      return 'undefined (thrown instead of an Error)';
    case 'symbol':
      return `${Symbol.prototype.toString.call(thrown)} (thrown instead of an Error)`;
    case 'bigint':
      return `${BigInt.prototype.toString.call(thrown)}n (thrown instead of an Error)`;
    case 'number':
    case 'boolean':
      return `${String(thrown)} (thrown instead of an Error)`;
    case 'function':
      return 'a function (thrown instead of an Error)';
  }
  if (thrown === null) return 'null (thrown instead of an Error)';
  if (types.isProxy(thrown)) return 'a Proxy (thrown instead of an Error)';
  if (types.isNativeError(thrown) || thrown instanceof Error) return errorDescription(thrown as Error, withName);
  return objectDescription(thrown as object);
}

function errorDescription(error: Error, withName: boolean): string {
  const name = readString(() => error.name) ?? 'Error';
  const message = readString(() => error.message);
  if (message === undefined) return `${name} whose message cannot be read`;
  if (message === '') return name;
  return withName ? `${name}: ${message}` : message;
}

function objectDescription(thrown: object): string {
  const text = readString(() => String(thrown));
  if (text !== undefined && text !== '[object Object]') return text;
  const json = readString(() => JSON.stringify(thrown));
  if (json !== undefined) return `${json} (thrown instead of an Error)`;
  return 'an object that cannot be described (thrown instead of an Error)';
}

function readString(read: () => unknown): string | undefined {
  try {
    const value = read();
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
