export { RabbitMqBackend } from './rabbitmq-backend';
export type { RabbitMqBackendOptions } from './rabbitmq-backend.options';
export { MANIFEST_HEADER, SERIALIZER_ID_HEADER, GROUP_HEADER, RECEIVES_HEADER } from './amqp-wire-format';
export { RabbitMqFilterPolicyError, RabbitMqUnavailableError } from '../../errors';
