export { SqsBackend } from './sqs-backend';
export type { SqsBackendOptions, SqsBackendClients } from './sqs-backend.options';
export type { SqsMessageLimits } from './sqs-backend.options';
export type { PayloadOffloadingOptions } from './large-payload/payload-offloading.options';
