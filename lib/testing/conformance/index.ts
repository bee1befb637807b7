export { describeBackendConformance } from './describe-backend-conformance';
export type { BackendConformanceOptions, ConformanceCapability } from './conformance-options';
