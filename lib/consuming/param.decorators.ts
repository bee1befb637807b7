import type { ParamsFactory } from '@nestjs/core/helpers/external-context-creator';
import type { PipeTransform, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import type { MessageContext as Context } from './message-context';

/**
 * Nest's own key for parameter metadata: under it, Nest's scanner instantiates pipe classes given
 * to `@Payload(SomePipe)` with DI, and `createParamDecorator` decorators work on handlers too.
 */
export const MELANGE_ARGS_METADATA = ROUTE_ARGS_METADATA;

/** The `getType()` of an ExecutionContext around a message handler (`'http'` for controllers). */
export const MELANGE_CONTEXT_TYPE = 'melange';

export enum MelangeParam {
  // Nest's number for a request body: pipes then see `metadata.type === 'body'`, which is what
  // ValidationPipe validates (it skips 'custom' parameters).
  Payload = 3,
  Attributes = 100,
  Context = 101,
  // The payload of a handler without parameter decorators: 'custom' to pipes, so an app-wide
  // ValidationPipe set up for HTTP bodies (whitelist, forbidNonWhitelisted) leaves it alone.
  ImplicitPayload = 102,
}

type ParamPipe = Type<PipeTransform> | PipeTransform;

function paramDecorator(kind: MelangeParam, data?: string, pipes: ParamPipe[] = []): ParameterDecorator {
  return (target, methodName, index) => {
    if (methodName === undefined) return;
    const existing = (Reflect.getMetadata(MELANGE_ARGS_METADATA, target.constructor, methodName) as object | undefined) ?? {};
    Reflect.defineMetadata(
      MELANGE_ARGS_METADATA,
      { ...existing, [`${kind}:${index}`]: { index, data, pipes } },
      target.constructor,
      methodName,
    );
  };
}

/** The message itself; pipes given here (e.g. `ValidationPipe`) run on it before the handler. */
export function Payload(...pipes: ParamPipe[]): ParameterDecorator {
  return paramDecorator(MelangeParam.Payload, undefined, pipes);
}

/** The message's user attributes, or one of them: `@MessageAttributes('tenant')`. */
export function MessageAttributes(name?: string): ParameterDecorator {
  return paramDecorator(MelangeParam.Attributes, name);
}

/** Implements `@MessageContext()`, which lives beside the interface it injects. */
export function contextParam(): ParameterDecorator {
  return paramDecorator(MelangeParam.Context);
}

/** Handlers without parameter decorators take (message, context), as if decorated so. */
export function applyDefaultParams(type: Type<unknown>, methodName: string): void {
  if (Reflect.getMetadata(MELANGE_ARGS_METADATA, type, methodName)) return;
  const prototype = type.prototype as object;
  paramDecorator(MelangeParam.ImplicitPayload)(prototype, methodName, 0);
  contextParam()(prototype, methodName, 1);
}

/** True for a handler that takes (message, context) without decorators of its own. */
export function hasOnlyDefaultParams(type: object, methodName: string): boolean {
  const keys = Object.keys((Reflect.getMetadata(MELANGE_ARGS_METADATA, type, methodName) as object | undefined) ?? {});
  return keys.length === 2 && keys.includes(`${MelangeParam.ImplicitPayload}:0`) && keys.includes(`${MelangeParam.Context}:1`);
}

export const melangeParamsFactory: ParamsFactory = {
  exchangeKeyForValue(kind: number, data: unknown, args: [unknown, Context]) {
    const [message, context] = args;
    switch (kind as MelangeParam) {
      case MelangeParam.Payload:
      case MelangeParam.ImplicitPayload:
        return message;
      case MelangeParam.Attributes:
        return typeof data === 'string' ? context.attributes[data] : context.attributes;
      case MelangeParam.Context:
        return context;
    }
  },
};
