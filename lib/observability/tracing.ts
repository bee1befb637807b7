import {
  context,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { describeThrown, toError } from '../errors';

/** Attribute names of W3C trace context; each one used counts against a broker's attribute limit. */
export const TRACE_ATTRIBUTES = ['traceparent', 'tracestate'] as const;

const tracer = () => trace.getTracer('nestjs-melange');

/** What the API's global tracer provider delegates to while no SDK is registered. */
const NO_SDK_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
const NO_TRACE_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * False while the app has registered neither a tracer provider nor a propagator: spans would be
 * no-ops and no context would travel, so the span work (a few µs and promises per message) is
 * skipped. Asked per message, because an SDK may be registered after the module starts.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  const noTracer = provider instanceof ProxyTracerProvider && provider.getDelegate() === NO_SDK_TRACER_PROVIDER;
  return !noTracer || propagation.fields().length > 0;
}

export interface SpanTarget {
  /** `messaging.system`: the broker, e.g. `aws_sqs`. */
  readonly system: string;
  readonly destination: string;
  readonly messageId: string;
}

/**
 * Producer side: runs `send` in a `send <destination>` span and hands it the trace context to put
 * in the message attributes. Without an OpenTelemetry SDK in the app, the API is a no-op and no
 * attribute is added.
 */
export function tracePublish<T>(target: SpanTarget, send: (traceAttributes: Readonly<Record<string, string>>) => Promise<T>): Promise<T> {
  if (!tracingActive()) return send(NO_TRACE_ATTRIBUTES);
  return tracer().startActiveSpan(
    `send ${target.destination}`,
    { kind: SpanKind.PRODUCER, attributes: spanAttributes(target, 'send') },
    async (span) => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return endWith(span, () => send(carrier));
    },
  );
}

/**
 * Consumer side: runs the handling of one message in a `process <queue>` span that continues the
 * producer's trace and links to the producer's span. The dispatcher calls it only while
 * `tracingActive()`, so that without an SDK a message costs no span target and closure.
 */
export function traceProcess<T>(target: SpanTarget, attributes: Readonly<Record<string, string>>, process: () => Promise<T>): Promise<T> {
  const producer = propagation.extract(ROOT_CONTEXT, attributes);
  const producerSpan = trace.getSpanContext(producer);
  const links: Link[] = producerSpan ? [{ context: producerSpan }] : [];
  return tracer().startActiveSpan(
    `process ${target.destination}`,
    { kind: SpanKind.CONSUMER, attributes: spanAttributes(target, 'process'), links },
    producer,
    (span) => endWith(span, process),
  );
}

/**
 * A batch handler's call: a `process <queue>` span of its own, linked to each message's span, as
 * OpenTelemetry's messaging conventions have it for batches; otherwise it would run inside the
 * span of whichever message completed the batch. Without message spans it runs as it is.
 */
export function traceBatchProcess<T>(
  target: { readonly system: string; readonly destination: string; readonly messageCount: number },
  messageSpans: ReadonlyArray<SpanContext | undefined>,
  process: () => Promise<T>,
): Promise<T> {
  const links: Link[] = messageSpans.flatMap((span) => (span ? [{ context: span }] : []));
  if (links.length === 0) return process();
  const attributes = {
    'messaging.system': target.system,
    'messaging.destination.name': target.destination,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.batch.message_count': target.messageCount,
  };
  return tracer().startActiveSpan(`process ${target.destination}`, { kind: SpanKind.CONSUMER, links, attributes }, ROOT_CONTEXT, (span) =>
    endWith(span, process),
  );
}

/** Lets the dispatcher mark the span of a message whose handler failed, though it does not throw. */
export function markActiveSpanFailed(reason: string): void {
  trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: reason });
}

async function endWith<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(toError(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: describeThrown(error) });
    throw error;
  } finally {
    span.end();
  }
}

function spanAttributes(target: SpanTarget, operation: 'send' | 'process'): Record<string, string> {
  return {
    'messaging.system': target.system,
    'messaging.destination.name': target.destination,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.message.id': target.messageId,
  };
}
