import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  JsonSerializer,
  Message,
  type Serializer,
} from '../../lib';
import { NoSerializerError, SerializerConfigurationError, UnknownSerializerIdError } from '../../lib/errors';
import { SerializerRegistry } from '../../lib/serialization/serializer-registry';

class UpperCaseSerializer implements Serializer {
  readonly id = 42;
  manifest(value: object): string {
    return value.constructor.name;
  }
  serialize(value: object): string {
    return JSON.stringify(value).toUpperCase();
  }
  deserialize(payload: string): unknown {
    return JSON.parse(payload.toLowerCase());
  }
}

class DomainEvent {}
class OrderPlaced extends DomainEvent {}
class ExpressOrderPlaced extends OrderPlaced {}
class AuditEntry {}

describe('SerializerRegistry', () => {
  const json = new JsonSerializer();
  const upper = new UpperCaseSerializer();

  it('uses JSON by default when no serializers are configured', () => {
    const registry = new SerializerRegistry();

    expect(registry.forType(OrderPlaced)).toBeInstanceOf(JsonSerializer);
    expect(registry.forId(1)).toBeInstanceOf(JsonSerializer);
  });

  it('binds a class and, through the prototype chain, its subclasses', () => {
    const registry = new SerializerRegistry({
      serializers: { json, upper },
      bindings: [{ message: DomainEvent, serializer: 'upper' }],
      defaultSerializer: 'json',
    });

    expect(registry.forType(DomainEvent)).toBe(upper);
    expect(registry.forType(ExpressOrderPlaced)).toBe(upper);
    expect(registry.forType(AuditEntry)).toBe(json);
  });

  it('prefers the nearest binding on the chain', () => {
    const registry = new SerializerRegistry({
      serializers: { json, upper },
      bindings: [
        { message: DomainEvent, serializer: 'upper' },
        { message: OrderPlaced, serializer: 'json' },
      ],
    });

    expect(registry.forType(ExpressOrderPlaced)).toBe(json);
    expect(registry.forType(DomainEvent)).toBe(upper);
  });

  it('has no default when serializers are configured without one', () => {
    const registry = new SerializerRegistry({ serializers: { upper }, bindings: [{ message: OrderPlaced, serializer: 'upper' }] });

    expect(registry.forType(ExpressOrderPlaced)).toBe(upper);
    expect(() => registry.forType(AuditEntry)).toThrow(NoSerializerError);
    expect(() => registry.forType(AuditEntry)).toThrow('No serializer for message class AuditEntry');
  });

  it('finds serializers by id and explains an unknown one', () => {
    const registry = new SerializerRegistry({ serializers: { json, upper } });

    expect(registry.forId(42)).toBe(upper);
    expect(() => registry.forId(9)).toThrow(UnknownSerializerIdError);
    expect(() => registry.forId(9)).toThrow('No serializer with id 9 is registered (known ids: 1, 42)');
    expect(() => registry.forId(2)).toThrow('Id 2 is Python pickle');
  });

  it('rejects bindings to unregistered serializers and duplicate ids', () => {
    expect(() => new SerializerRegistry({ serializers: { json }, bindings: [{ message: OrderPlaced, serializer: 'avro' }] })).toThrow(
      'Serializer "avro" (named by the binding for OrderPlaced) is not registered; registered serializers: json.',
    );
    expect(() => new SerializerRegistry({ serializers: { json }, defaultSerializer: 'proto' })).toThrow(SerializerConfigurationError);
    expect(() => new SerializerRegistry({ serializers: { a: json, b: new JsonSerializer() } })).toThrow(
      'Serializers "a" and "b" share id 1',
    );
  });
});

describe('JsonSerializer', () => {
  @Message('billing.invoice')
  class Invoice {
    @Type(() => Date) dueAt!: Date;
    lines: string[] = [];
  }

  it('names the manifest from @Message and round-trips a class instance', () => {
    const serializer = new JsonSerializer();
    const invoice = Object.assign(new Invoice(), { dueAt: new Date('2027-01-01T00:00:00Z'), lines: ['a'] });

    const payload = serializer.serialize(invoice);
    const back = serializer.deserialize(payload, 'billing.invoice', Invoice) as Invoice;

    expect(serializer.manifest(invoice)).toBe('billing.invoice');
    expect(JSON.parse(payload)).toEqual({ dueAt: '2027-01-01T00:00:00.000Z', lines: ['a'] });
    expect(back).toBeInstanceOf(Invoice);
    expect(back.dueAt).toEqual(new Date('2027-01-01T00:00:00Z'));
  });

  it('returns plain JSON when no class is known, and throws on malformed JSON', () => {
    const serializer = new JsonSerializer();

    expect(serializer.deserialize('{"a":1}', undefined)).toEqual({ a: 1 });
    expect(() => serializer.deserialize('{"a":', undefined)).toThrow(SyntaxError);
  });
});
