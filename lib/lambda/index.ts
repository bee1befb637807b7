// nestjs-melange/lambda: the application's message handlers as an AWS Lambda function.
export { createLambdaHandler, type MelangeLambdaHandler } from './create-lambda-handler';
export type { LambdaAppModule } from './lambda-host';
export { DEFAULT_SAFETY_MARGIN_MS, type LambdaHandlerOptions, type LambdaSqsClientOptions } from './lambda-handler.options';
export type {
  LambdaBatchResponse,
  LambdaInvocationContext,
  LambdaSnsEvent,
  LambdaSnsMessageAttribute,
  LambdaSnsRecord,
  LambdaSqsEvent,
  LambdaSqsMessageAttribute,
  LambdaSqsRecord,
  LambdaSqsRecordAttributes,
  MelangeLambdaEvent,
} from './lambda-events';
export {
  LambdaConfigurationError,
  LambdaSnsRecordFailedError,
  MissingPermissionError,
  UnhandledLambdaSourceError,
  UnsupportedLambdaEventError,
} from '../errors';
