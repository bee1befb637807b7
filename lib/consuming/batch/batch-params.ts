import type { Type } from '@nestjs/common';
import { CUSTOM_ROUTE_ARGS_METADATA, PARAMTYPES_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { MessageContext } from '../message-context';
import { MELANGE_ARGS_METADATA, MELANGE_CONTEXT_TYPE, MelangeParam } from '../param.decorators';

interface ParamEntry {
  readonly index: number;
  readonly data?: unknown;
  readonly pipes?: readonly unknown[];
  /** `createParamDecorator` decorators keep their factory here. */
  readonly factory?: (data: unknown, context: ExecutionContextHost) => unknown;
}

export type BatchArgs = (messages: readonly unknown[], contexts: readonly MessageContext[]) => unknown[];

function paramsOf(type: Type<unknown>, methodName: string): Record<string, ParamEntry> {
  return (Reflect.getMetadata(MELANGE_ARGS_METADATA, type, methodName) as Record<string, ParamEntry> | undefined) ?? {};
}

/**
 * The arguments of a batch method, by its parameter decorators: `@Payload()` the messages,
 * `@MessageContext()` their contexts, `@MessageAttributes(name?)` one attribute record (or value)
 * per message, a `createParamDecorator` decorator what its factory makes of `[messages, contexts]`.
 */
export function batchArgsOf(type: Type<unknown>, methodName: string): BatchArgs {
  const params = Object.entries(paramsOf(type, methodName));
  return (messages, contexts) => {
    const args: unknown[] = [];
    for (const [key, { index, data, factory }] of params) {
      if (key.includes(CUSTOM_ROUTE_ARGS_METADATA)) {
        const host = new ExecutionContextHost([messages, contexts]);
        host.setType(MELANGE_CONTEXT_TYPE);
        args[index] = factory?.(data, host);
        continue;
      }
      switch (Number(key.split(':')[0]) as MelangeParam) {
        case MelangeParam.Payload:
        case MelangeParam.ImplicitPayload:
          args[index] = messages;
          break;
        case MelangeParam.Context:
          args[index] = contexts;
          break;
        case MelangeParam.Attributes:
          args[index] = contexts.map(({ attributes }) => (typeof data === 'string' ? attributes[data] : attributes));
          break;
      }
    }
    return args;
  };
}

/**
 * Nest applies pipes to a method's parameters, and a batch method's payload parameter is an
 * array. So each message goes through the pipes on its own, through a stand-in method named here:
 * its one parameter is the batch method's payload parameter (same decorator, same pipes) typed as
 * the message class, which is what `ValidationPipe` validates against. The metadata is stored
 * under that name on the consumer class; the name is no property, so nothing else sees it.
 */
export function defineItemMethod(type: Type<unknown>, methodName: string, messageType: Type<unknown>): string {
  const itemMethod = `${methodName}#melange-batch-item`;
  const payload = Object.entries(paramsOf(type, methodName)).find(([key]) =>
    [MelangeParam.Payload, MelangeParam.ImplicitPayload].includes(Number(key.split(':')[0])));
  const params = payload ? { [`${payload[0].split(':')[0]}:0`]: { ...payload[1], index: 0 } } : {};
  Reflect.defineMetadata(MELANGE_ARGS_METADATA, params, type, itemMethod);
  Reflect.defineMetadata(PARAMTYPES_METADATA, [messageType], type.prototype as object, itemMethod);
  return itemMethod;
}

/** What Nest calls for one message: returns the message as the pipes made it. Carries the method's `@UsePipes`. */
export function itemCallback(method: object): (message: unknown) => unknown {
  const callback = (message: unknown) => message;
  const pipes = Reflect.getMetadata(PIPES_METADATA, method) as unknown;
  if (pipes !== undefined) Reflect.defineMetadata(PIPES_METADATA, pipes, callback);
  return callback;
}
