export { SqsBackend } from './sqs-backend';
export type { SqsBackendOptions, SqsBackendClients } from './sqs-backend.options';
export { startLocalSqsServer } from './local-server';
export type { LocalSqsServer, LocalSqsServerOptions } from './local-server';
export {
  MANIFEST_ATTRIBUTE,
  SERIALIZER_ID_ATTRIBUTE,
  MESSAGE_ID_ATTRIBUTE,
  DEAD_LETTER_REASON_ATTRIBUTE,
  SOURCE_QUEUE_ATTRIBUTE,
} from './sqs-wire-format';
