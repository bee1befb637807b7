/** Where the SQS specs find the server: set by the Jest global setup, or from outside to use another server. */
export const SQS_ENDPOINT_ENV = 'MELANGE_SQS_ENDPOINT';
export const LOCAL_SERVERS_GLOBAL = '__melangeLocalServers';
