import * as root from '../../lib';
import * as configurationErrors from '../../lib/errors/configuration-errors';
import * as testing from '../../lib/testing';

/**
 * The root entry is what an application imports in production: a name added to it is a promise to
 * keep, so the list is written out here and a change to it is a deliberate edit of this spec. The
 * types are checked on the packed library by test/compat/shared/public-surface.ts.
 */
const ROOT_VALUES = [
  'AcknowledgeFailedError',
  'AdminNotSupportedError',
  'InvalidRedriveError',
  'MelangeAdmin',
  'PurgeNotConfirmedError',
  'UnknownQueueError',
  'AmbiguousConsumerError',
  'ConsumerRegistry',
  'DestinationNotFoundError',
  'HandlerTimeoutError',
  'IdempotencyStoreTimeoutError',
  'InMemoryBackend',
  'InMemoryIdempotencyStore',
  'InfrastructureDeclarationError',
  'InfrastructureError',
  'InvalidDestinationError',
  'JsonSerializer',
  'MELANGE_CONTEXT_TYPE',
  'MelangeConfigurationError',
  'MelangeError',
  'MelangeEvents',
  'MelangeHealth',
  'MelangeInfrastructure',
  'MelangeModule',
  'MelangeOutbox',
  'MelangePublisher',
  'Message',
  'MessageAttributes',
  'MessageConsumer',
  'MessageContext',
  'MessageRejectedError',
  'MessageTooLargeError',
  'NoDestinationError',
  'NonRetryableError',
  'NotAMessageClassError',
  'OnAnyMessage',
  'OnMessage',
  'OnMessageBatch',
  'Payload',
  'PublishBatchError',
  'RedisIdempotencyStore',
  'SendFailedError',
  'SerializationError',
  'SqsBackend',
  'UnknownConsumerError',
  'manifestOf',
  'pgOutboxDatabase',
  'pgliteOutboxDatabase',
  'typeormOutboxDatabase',
];

describe('the public surface', () => {
  it('the root entry exports exactly the documented values', () => {
    expect(Object.keys(root).sort()).toEqual([...ROOT_VALUES].sort());
  });

  it('keeps internals and development helpers out of the root entry', () => {
    const internals = [
      'startLocalSqsServer',
      'SerializerRegistry',
      'MELANGE_MODULE_OPTIONS',
      'MANIFEST_ATTRIBUTE',
      'TRACE_ATTRIBUTES',
      'JSON_SERIALIZER_ID',
      'MessageTypeRegistry',
      'MessageDispatcher',
      'describeThrown',
    ];
    expect(internals.filter((name) => name in root)).toEqual([]);
  });

  it('every error class of the root entry is a MelangeError, and wiring mistakes share one base', () => {
    const errorClasses = ROOT_VALUES.filter((name) => name.endsWith('Error') && name !== 'MelangeError').map(
      (name) => (root as unknown as Record<string, new (...args: never[]) => unknown>)[name],
    );
    for (const errorClass of errorClasses) expect(errorClass.prototype).toBeInstanceOf(root.MelangeError);
    const wiring = Object.values(configurationErrors) as Array<new (...args: never[]) => unknown>;
    expect(wiring.length).toBeGreaterThan(5);
    for (const errorClass of wiring) expect(errorClass.prototype).toBeInstanceOf(root.MelangeConfigurationError);
  });

  it('the testing entry gives the development helpers', () => {
    expect(Object.keys(testing)).toEqual(expect.arrayContaining(['MelangeTestingModule', 'MessageSpy']));
  });
});
