/** Where the SQS specs find the server: set by the Jest global setup, or from outside to use another server. */
export const SQS_ENDPOINT_ENV = 'MELANGE_SQS_ENDPOINT';
/** The package the local server loads fauxqs from (`fauxqs` or `fauxqs-2`); see local-sqs-server.ts. */
export const FAUXQS_PACKAGE_ENV = 'MELANGE_FAUXQS_PACKAGE';
export const LOCAL_SERVERS_GLOBAL = '__melangeLocalServers';
