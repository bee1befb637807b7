import type { Type } from '@nestjs/common';
import { NoSerializerError, SerializerConfigurationError, UnknownSerializerIdError } from '../errors';
import { JsonSerializer } from './json.serializer';
import type { Serializer } from './serializer';

export interface SerializerBinding {
  /** This class and its subclasses use `serializer`, unless a subclass has a binding of its own. */
  readonly message: Type<unknown>;
  /** A key of `serializers`. */
  readonly serializer: string;
}

export interface SerializationOptions {
  /** Serializers by name. Default: `{ json: new JsonSerializer() }`. */
  readonly serializers?: Readonly<Record<string, Serializer>>;
  readonly bindings?: readonly SerializerBinding[];
  /**
   * The serializer for classes without a binding. Default: `'json'` when `serializers` is not
   * given; otherwise none, so every message class needs a binding.
   */
  readonly defaultSerializer?: string;
}

/** Chooses a serializer by message class when publishing, and by id when consuming. */
export class SerializerRegistry {
  private readonly byName: ReadonlyMap<string, Serializer>;
  private readonly byId = new Map<number, Serializer>();
  private readonly bindings = new Map<Type<unknown>, Serializer>();
  private readonly fallback: Serializer | undefined;

  constructor(options: SerializationOptions = {}) {
    const serializers = options.serializers ?? { json: new JsonSerializer() };
    this.byName = new Map(Object.entries(serializers));
    for (const [name, serializer] of this.byName) {
      const clash = this.byId.get(serializer.id);
      if (clash) {
        throw new SerializerConfigurationError(
          `Serializers "${this.nameOf(clash)}" and "${name}" share id ${serializer.id}; ids must be unique ` +
            `because consumers pick a serializer by the id that travels with each message.`,
        );
      }
      this.byId.set(serializer.id, serializer);
    }
    for (const binding of options.bindings ?? []) {
      this.bindings.set(binding.message, this.named(binding.serializer, `the binding for ${binding.message.name}`));
    }
    const defaultName = options.defaultSerializer ?? (options.serializers ? undefined : 'json');
    this.fallback = defaultName === undefined ? undefined : this.named(defaultName, 'defaultSerializer');
  }

  /** The serializer bound to `type` or its nearest bound base class, else the default. */
  forType(type: Type<unknown>): Serializer {
    for (let current: unknown = type; typeof current === 'function'; current = Object.getPrototypeOf(current)) {
      const bound = this.bindings.get(current as Type<unknown>);
      if (bound) return bound;
    }
    if (this.fallback) return this.fallback;
    throw new NoSerializerError(type);
  }

  forId(id: number): Serializer {
    const serializer = this.byId.get(id);
    if (!serializer) throw new UnknownSerializerIdError(id, [...this.byId.keys()]);
    return serializer;
  }

  private named(name: string, usedBy: string): Serializer {
    const serializer = this.byName.get(name);
    if (!serializer) {
      throw new SerializerConfigurationError(
        `Serializer "${name}" (named by ${usedBy}) is not registered; ` +
          `registered serializers: ${[...this.byName.keys()].join(', ') || 'none'}.`,
      );
    }
    return serializer;
  }

  private nameOf(serializer: Serializer): string {
    for (const [name, candidate] of this.byName) if (candidate === serializer) return name;
    return String(serializer.id);
  }
}
