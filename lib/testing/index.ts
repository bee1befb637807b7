export { MelangeTestingModule } from './melange-testing.module';
export { MessageSpy, type SpiedMessage, type SpiedOutcome, type WaitOptions } from './message-spy';
export { startLocalSqsServer, type LocalSqsServer, type LocalSqsServerOptions } from './local-sqs-server';
export { describeBackendConformance, type BackendConformanceOptions, type ConformanceCapability } from './conformance';
