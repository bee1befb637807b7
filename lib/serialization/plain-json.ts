/*
 * What class-transformer does to a class that carries none of its decorators, done with plain JSON.
 * class-transformer walks every value through its metadata look-ups, which costs several times
 * what parsing the JSON does (bench/RESULTS.md); for such classes its result is a copy of
 * the own enumerable properties, with a few quirks. These functions reproduce that result for the
 * common case and answer `undefined` for anything where the quirks would make a difference, so the
 * caller can fall back to class-transformer itself: the output is the same either way.
 */
import type { Type } from '@nestjs/common';
import { Exclude } from 'class-transformer';

/** class-transformer's metadata store, as @nestjs/mapped-types reads it too. */
interface MetadataMaps {
  readonly _typeMetadatas: ReadonlyMap<unknown, unknown>;
  readonly _transformMetadatas: ReadonlyMap<unknown, unknown>;
  readonly _exposeMetadatas: ReadonlyMap<unknown, unknown>;
  readonly _excludeMetadatas: ReadonlyMap<unknown, unknown>;
}

function loadMetadataMaps(): MetadataMaps | undefined {
  try {
    const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: Partial<MetadataMaps> };
    const maps = defaultMetadataStorage;
    const complete = [maps._typeMetadatas, maps._transformMetadatas, maps._exposeMetadatas, maps._excludeMetadatas].every((map) => map instanceof Map);
    if (!complete) return undefined;
    // A bundler may load class-transformer's ESM build for decorators and this CJS file apart:
    // two stores, this one empty. A decorator applied here must show up in it.
    class Probe {}
    Exclude()(Probe.prototype, 'probe');
    return (maps as MetadataMaps)._excludeMetadatas.has(Probe) ? (maps as MetadataMaps) : undefined;
  } catch {
    // Another class-transformer layout: always use class-transformer, which is correct, only slower.
    return undefined;
  }
}

/** Deeper than this, class-transformer decides (a cycle overflows either way). */
const MAX_DEPTH = 64;
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array) as Type<unknown>;
/** Classes class-transformer converts in ways of its own (Map → object, Set → array, ...). */
const SPECIAL_CLASSES: readonly Type<unknown>[] = [Map, Set, WeakMap, WeakSet, Promise, ArrayBuffer, DataView, TYPED_ARRAY, Date, String, Number, Boolean];

/**
 * Keys class-transformer drops from objects it builds: `__proto__` and `constructor` always, and
 * in nested plain objects also the names of `Object.prototype`'s methods. A `\u` escape could spell
 * one of them, so a payload with one goes the slow way too.
 */
const SKIPPED_KEY = new RegExp(
  `"(?:${Object.getOwnPropertyNames(Object.prototype).join('|')})"\\s*:|\\\\u`,
);

/** Decides, once per class, whether the plain-JSON path gives class-transformer's result. */
export class PlainJson {
  private readonly metadata = loadMetadataMaps();
  private readonly verdicts = new Map<Type<unknown>, boolean>();

  /** True when neither the class nor its ancestors carry class-transformer metadata, and it is no built-in it treats specially. */
  isPlain(type: Type<unknown>): boolean {
    let verdict = this.verdicts.get(type);
    if (verdict === undefined) {
      verdict = this.decide(type);
      this.verdicts.set(type, verdict);
    }
    return verdict;
  }

  /** `plainToInstance(type, JSON.parse(payload))`, or `undefined` when only class-transformer gives that. */
  parse(type: Type<unknown>, payload: string): object | undefined {
    if (!this.isPlain(type) || SKIPPED_KEY.test(payload)) return undefined;
    const plain: unknown = JSON.parse(payload);
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return undefined;
    const instance = new type() as Record<string, unknown>;
    const prototype = type.prototype as object;
    for (const key of Object.keys(plain)) {
      // As class-transformer: read-only accessors and methods are not overwritten by data.
      const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
      if ((descriptor && !descriptor.set) || instance[key] instanceof Function) continue;
      instance[key] = (plain as Record<string, unknown>)[key];
    }
    return instance;
  }

  /** `JSON.stringify(instanceToPlain(value))`, or `undefined` when only class-transformer gives that. */
  stringify(value: object): string | undefined {
    // A walk first, then JSON.stringify without a replacer: a replacer costs more than the walk.
    return this.writesAsItIs(value, 0) ? JSON.stringify(value) : undefined;
  }

  /**
   * True when JSON.stringify writes `value` as class-transformer would: plain objects, arrays and
   * instances of plain classes, holding primitives, Dates and more of the same. class-transformer
   * turns Maps and Sets into objects and arrays, calls function-valued fields, ignores toJSON,
   * drops `__proto__` and `constructor` keys and array holes, and applies decorators of nested classes.
   */
  private writesAsItIs(value: object, depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    if (Array.isArray(value)) {
      // An Array subclass may have a toJSON of its own, which class-transformer ignores.
      if (Object.getPrototypeOf(value) !== Array.prototype) return false;
      for (let index = 0; index < value.length; index++) {
        if (!(index in value) || !this.fieldWritesAsItIs(value[index], depth)) return false;
      }
      return true;
    }
    const prototype = Object.getPrototypeOf(value) as { constructor?: unknown } | null;
    if (prototype !== Object.prototype && (prototype === null || typeof prototype.constructor !== 'function' || !this.isPlain(prototype.constructor as Type<unknown>))) {
      return false;
    }
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
    // for-in over own keys (what JSON.stringify writes), not Object.keys(): no array per object written.
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      if (key === '__proto__' || key === 'constructor' || !this.fieldWritesAsItIs((value as Record<string, unknown>)[key], depth)) return false;
    }
    return true;
  }

  private fieldWritesAsItIs(field: unknown, depth: number): boolean {
    if (typeof field === 'function') return false;
    if (typeof field !== 'object' || field === null) return true;
    // Both write a plain Date as its ISO string (class-transformer copies it first, losing any
    // own property such as a toJSON of its own).
    if (Object.getPrototypeOf(field) === Date.prototype) return Reflect.ownKeys(field).length === 0;
    return this.writesAsItIs(field, depth + 1);
  }

  private decide(type: Type<unknown>): boolean {
    if (!this.metadata || typeof type !== 'function') return false;
    if (SPECIAL_CLASSES.some((special) => type === special || type.prototype instanceof special)) return false;
    const maps = this.metadata;
    for (let ancestor: unknown = type; typeof ancestor === 'function' && ancestor !== Function.prototype; ancestor = Object.getPrototypeOf(ancestor)) {
      if ([maps._typeMetadatas, maps._transformMetadatas, maps._exposeMetadatas, maps._excludeMetadatas].some((map) => map.has(ancestor))) {
        return false;
      }
    }
    return true;
  }
}
