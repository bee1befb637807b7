import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { manifestOf, type Serializer } from '../../lib';

/** Turns a payload of an older schema version into the shape of the next one. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * The README's example of a serializer of your own: JSON wrapped as `{"v": <version>, "data": …}`,
 * whose consumers upcast payloads written by older publishers before class-transformer builds the
 * instance. Its id travels as `serializer_id`, so consumers that know id 7 read it whatever their
 * default is, and services that don't dead-letter it with a clear reason.
 */
export class VersionedJsonSerializer implements Serializer {
  readonly id = 7;

  constructor(
    private readonly version: number,
    /** `upcasters[n]` turns version n into version n + 1. */
    private readonly upcasters: Readonly<Record<number, Upcaster>> = {},
  ) {}

  manifest(value: object): string {
    return manifestOf(value.constructor as Type<unknown>);
  }

  serialize(value: object): string {
    return JSON.stringify({ v: this.version, data: value });
  }

  deserialize(payload: string, manifest: string | undefined, type?: Type<unknown>): unknown {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed !== 'object' || parsed === null || !('v' in parsed) || !('data' in parsed)) {
      throw new Error(`a ${manifest ?? 'message'} payload of serializer ${this.id} must be {"v": <version>, "data": {…}}`);
    }
    let version = Number(parsed.v);
    let data = parsed.data as Record<string, unknown>;
    if (!Number.isInteger(version) || version > this.version) throw new Error(`schema version ${String(parsed.v)} is newer than this service reads (${this.version})`);
    for (; version < this.version; version++) {
      const upcast = this.upcasters[version];
      if (!upcast) throw new Error(`no upcaster from schema version ${version} of ${manifest ?? 'the message'}`);
      data = upcast(data);
    }
    return type ? plainToInstance(type, data) : data;
  }
}
