import type { Type } from '@nestjs/common';
import { instanceToPlain, plainToInstance } from 'class-transformer';
import { manifestOf } from '../messages/message.decorator';
import { PlainJson } from './plain-json';
import type { Serializer } from './serializer';
import { PayloadShapeError } from '../errors';

/** Python melange's JSON serializer id; keep it so both sides agree. */
export const JSON_SERIALIZER_ID = 1;

/**
 * JSON through class-transformer, so consumers get real class instances: methods work, and
 * `@Type(() => Date)` / `@Type(() => Nested)` fields come back as what they were. Classes without
 * class-transformer decorators take a plain-JSON path with the same result, several times faster.
 */
export class JsonSerializer implements Serializer {
  readonly id = JSON_SERIALIZER_ID;
  private readonly plainJson = new PlainJson();

  manifest(value: object): string {
    return manifestOf(value.constructor as Type<unknown>);
  }

  serialize(value: object): string {
    return this.plainJson.stringify(value) ?? JSON.stringify(instanceToPlain(value));
  }

  /**
   * Without a type (an `@OnAnyMessage` handler) any JSON value comes back as it is. With one, the
   * payload must be a JSON object: a typed handler never receives `5`, `null` or an array.
   */
  deserialize(payload: string, manifest: string | undefined, type?: Type<unknown>): unknown {
    const fast = type && this.plainJson.parse(type, payload);
    if (fast) return fast;
    const plain: unknown = JSON.parse(payload);
    if (!type) return plain;
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
      throw new PayloadShapeError(manifest, type, plain);
    }
    return plainToInstance(type, plain);
  }
}
