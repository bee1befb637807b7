import type { StoredMessage } from '../backends/backend-admin';
import type { DeadLetterMessage, RedriveFilter } from './admin.types';

export function toDeadLetterMessage(message: StoredMessage, includePayload: boolean): DeadLetterMessage {
  const { envelope } = message;
  return {
    messageId: envelope.messageId,
    brokerMessageId: message.brokerMessageId,
    manifest: envelope.manifest,
    reason: message.deadLetterReason,
    sourceQueue: message.sourceQueue,
    receiveCount: message.receiveCount,
    sentAt: message.sentAt,
    groupId: message.groupId,
    sizeBytes: message.sizeBytes,
    attributes: envelope.attributes,
    undecodable: message.undecodable,
    payload: includePayload ? envelope.payload : undefined,
  };
}

function asList(value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

/** A predicate taking the messages that match every field the filter gives; no filter takes all. */
export function redriveFilter(filter: RedriveFilter | undefined): ((message: StoredMessage) => boolean) | undefined {
  if (!filter) return undefined;
  const manifests = asList(filter.manifest);
  const ids = asList(filter.messageId);
  const { reason } = filter;
  return (message) => {
    if (manifests && !manifests.includes(message.envelope.manifest ?? '')) return false;
    if (ids && !ids.includes(message.envelope.messageId) && !ids.includes(message.brokerMessageId)) return false;
    if (reason !== undefined) {
      const text = message.deadLetterReason ?? '';
      if (typeof reason !== 'string') reason.lastIndex = 0; // a /g pattern keeps its position between calls
      if (typeof reason === 'string' ? !text.includes(reason) : !reason.test(text)) return false;
    }
    return true;
  };
}
