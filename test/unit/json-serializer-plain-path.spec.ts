import 'reflect-metadata';
import { Exclude, Expose, Transform, Type, instanceToPlain, plainToInstance } from 'class-transformer';
import { JsonSerializer, } from '../../lib';
import { PlainJson } from '../../lib/serialization/plain-json';
import { PayloadShapeError } from '../../lib/errors';

/*
 * The JSON serializer skips class-transformer for classes without its decorators. Whatever path it
 * takes, its output must be exactly class-transformer's: these cases compare the two, and check
 * which path was taken, so that a case meant for the fast path cannot pass by falling back.
 */

class Line {
  sku = '';
  quantity = 0;
}

class OrderPlaced {
  orderId = '';
  total = 0;
  tags: string[] = [];
  lines: Line[] = [];
  meta: Record<string, unknown> = {};
  placedAt?: Date;
  note: string | null = null;
  describe(): string {
    return `${this.orderId}: ${this.total}`;
  }
  get label(): string {
    return `order ${this.orderId}`;
  }
}

class Audited extends OrderPlaced {
  auditor = 'system';
}

class WithExclude {
  visible = 'yes';
  @Exclude() secret = 'no';
}

class WithNestedExclude {
  inner = new WithExclude();
}

class WithType {
  @Type(() => Date) at!: Date;
}

class WithExpose {
  @Expose({ name: 'renamed' }) original = '';
}

class WithTransform {
  @Transform(({ value }) => String(value).toUpperCase()) shout = '';
}

class InheritsDecorators extends WithExclude {}

class WithCollections {
  byId = new Map<string, number>([['a', 1]]);
  ids = new Set<number>([1, 2]);
}

class WithToJson {
  value = 1;
  toJSON(): unknown {
    return { other: 2 };
  }
}

class WithFunctionField {
  value = 1;
  compute = () => 42;
}

class WithInitializedDefaults {
  status = 'new';
  retries = 3;
}

class CsvTags extends Array<string> {
  toJSON(): string {
    return this.join(',');
  }
}

const serializer = new JsonSerializer();

/** A value, or the error thrown: class-transformer itself throws on some inputs, and so must we. */
function outcome(work: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: work() };
  } catch (error) {
    return { error: String(error) };
  }
}

function expectSameSerialization(value: object): void {
  expect(outcome(() => serializer.serialize(value))).toStrictEqual(outcome(() => JSON.stringify(instanceToPlain(value))));
}

function expectSameDeserialization(type: new () => object, payload: string): void {
  const ours = outcome(() => serializer.deserialize(payload, undefined, type));
  const theirs = outcome(() => plainToInstance(type, JSON.parse(payload) as object));
  if ('value' in ours && 'value' in theirs) {
    expect(Object.getPrototypeOf(ours.value)).toBe(Object.getPrototypeOf(theirs.value));
  }
  expect(ours).toStrictEqual(theirs);
}

function order(): OrderPlaced {
  const value = new OrderPlaced();
  value.orderId = 'o-1';
  value.total = 42.5;
  value.tags = ['a', 'b'];
  const line = new Line();
  line.sku = 'sku-1';
  line.quantity = 2;
  value.lines = [line];
  value.meta = { nested: { deep: [1, null, 'x'] }, flag: true };
  value.placedAt = new Date('2026-11-25T10:00:00.000Z');
  return value;
}

describe('JsonSerializer plain-JSON path', () => {
  const plainJson = new PlainJson();

  it('takes the plain path for classes without decorators, with class-transformer\'s output', () => {
    const value = order();
    expect(plainJson.stringify(value)).toBeDefined();
    expectSameSerialization(value);

    const payload = serializer.serialize(value);
    expect(plainJson.parse(OrderPlaced, payload)).toBeDefined();
    expectSameDeserialization(OrderPlaced, payload);
    const decoded = serializer.deserialize(payload, undefined, OrderPlaced) as OrderPlaced;
    expect(decoded.describe()).toBe('o-1: 42.5');
    // Like class-transformer without @Type: a Date arrives as its ISO string.
    expect(decoded.placedAt).toBe('2026-11-25T10:00:00.000Z');
  });

  it('keeps inherited fields, field initializers and unknown keys as class-transformer does', () => {
    const audited = Object.assign(order(), { auditor: 'alice' });
    Object.setPrototypeOf(audited, Audited.prototype);
    expectSameSerialization(audited);
    const payload = '{"orderId":"o-2","auditor":"bob","unknownField":7}';
    expect(plainJson.parse(Audited, payload)).toBeDefined();
    expectSameDeserialization(Audited, payload);
    expect(plainJson.parse(WithInitializedDefaults, '{"retries":1}')).toBeDefined();
    expectSameDeserialization(WithInitializedDefaults, '{"retries":1}');
  });

  it('does not let data overwrite a getter-only property or a method, as class-transformer does not', () => {
    const payload = '{"orderId":"o-3","label":"forged","describe":"forged"}';
    expect(plainJson.parse(OrderPlaced, payload)).toBeDefined();
    expectSameDeserialization(OrderPlaced, payload);
    const decoded = serializer.deserialize(payload, undefined, OrderPlaced) as OrderPlaced;
    expect(decoded.label).toBe('order o-3');
    expect(typeof decoded.describe).toBe('function');
  });

  it.each([
    ['a root __proto__ key', '{"orderId":"o-4","__proto__":{"polluted":true}}'],
    ['a nested constructor key', '{"orderId":"o-5","meta":{"constructor":"x"}}'],
    ['a nested key named like an Object.prototype method', '{"orderId":"o-6","meta":{"toString":"x"}}'],
    ['a \\u escape that could spell such a key', '{"orderId":"o-7","meta":{"\\u0063onstructor":"x"}}'],
  ])('falls back to class-transformer for a payload with %s', (_case, payload) => {
    expect(plainJson.parse(OrderPlaced, payload)).toBeUndefined();
    expectSameDeserialization(OrderPlaced, payload);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['@Exclude', WithExclude],
    ['@Type', WithType],
    ['@Expose', WithExpose],
    ['@Transform', WithTransform],
    ['decorators inherited from a parent class', InheritsDecorators],
  ])('uses class-transformer for a class with %s', (_case, type) => {
    expect(plainJson.isPlain(type)).toBe(false);
  });

  it('gives class-transformer\'s results for decorated classes', () => {
    expectSameSerialization(new WithExclude());
    expectSameSerialization(Object.assign(new WithExpose(), { original: 'v' }));
    expectSameSerialization(Object.assign(new WithTransform(), { shout: 'hey' }));
    expectSameDeserialization(WithType, '{"at":"2026-11-25T10:00:00.000Z"}');
    expect((serializer.deserialize('{"at":"2026-11-25T10:00:00.000Z"}', undefined, WithType) as WithType).at).toBeInstanceOf(Date);
    expectSameDeserialization(WithExpose, '{"renamed":"v"}');
  });

  it.each([
    ['a nested instance of a decorated class', () => new WithNestedExclude()],
    ['Map and Set fields', () => new WithCollections()],
    ['a toJSON method', () => new WithToJson()],
    ['a function-valued field', () => new WithFunctionField()],
    ['a nested constructor key', () => Object.assign(order(), { meta: JSON.parse('{"constructor":"x"}') as object })],
    ['an Array subclass with a toJSON of its own', () => Object.assign(order(), { tags: CsvTags.from(['a', 'b']) })],
    ['a Date with a toJSON of its own', () => Object.assign(order(), { placedAt: Object.assign(new Date(0), { toJSON: () => 'custom' }) })],
    // class-transformer drops the hole; JSON.stringify would write null.
    ['a sparse array', () => Object.assign(order(), { tags: ['a', , 'c'] })],
  ])('falls back to class-transformer when serializing a value with %s', (_case, make) => {
    const value = make();
    expect(plainJson.stringify(value)).toBeUndefined();
    expectSameSerialization(value);
  });

  it('keeps Map and Set contents, which plain JSON.stringify would write as {}', () => {
    expect(JSON.parse(serializer.serialize(new WithCollections()))).toEqual({ byId: { a: 1 }, ids: [1, 2] });
    expect(JSON.parse(serializer.serialize(new WithNestedExclude()))).toEqual({ inner: { visible: 'yes' } });
  });

  it('refuses a payload that is not a JSON object when a class is expected, naming the manifest and what it found', () => {
    expect(() => serializer.deserialize('[1,2]', 'orders.placed', OrderPlaced)).toThrow(
      new PayloadShapeError('orders.placed', OrderPlaced, [1, 2]),
    );
    expect(() => serializer.deserialize('[1,2]', 'orders.placed', OrderPlaced)).toThrow(
      'the payload of message "orders.placed" is an array (2 item(s)), not the JSON object OrderPlaced is built from',
    );
    expect(() => serializer.deserialize('"text"', undefined, OrderPlaced)).toThrow('the payload of message "OrderPlaced" is a string');
    expect(() => serializer.deserialize('null', undefined, OrderPlaced)).toThrow('is null');
    expect(() => serializer.deserialize('5', undefined, OrderPlaced)).toThrow('is a number');
  });

  it('gives any JSON value as it is when no class is expected (an @OnAnyMessage handler)', () => {
    expect(serializer.deserialize('[1,2]', undefined)).toEqual([1, 2]);
    expect(serializer.deserialize('"text"', undefined)).toBe('text');
    expect(serializer.deserialize('null', undefined)).toBeNull();
  });
});
