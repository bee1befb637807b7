export { MelangeConfigurationError, MelangeError } from './melange-error';
export { describeThrown, toError, ThrownValueError } from './describe-thrown';
export * from './configuration-errors';
export * from './publishing-errors';
export * from './consuming-errors';
export * from './broker-errors';
export * from './admin-errors';
