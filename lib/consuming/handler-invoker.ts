import { Injectable } from '@nestjs/common';
import { ContextIdFactory, ExternalContextCreator, ModuleRef } from '@nestjs/core';
import { Injector } from '@nestjs/core/injector/injector';
import type { ContextId } from '@nestjs/core/injector/instance-wrapper';
import type { HandlerBinding } from './dispatch-table';
import { HandlerExceptionFilters } from './handler-exception-filters';
import type { MessageContext } from './message-context';
import { MELANGE_ARGS_METADATA, MELANGE_CONTEXT_TYPE, melangeParamsFactory } from './param.decorators';

type Handler = (message: unknown, context: MessageContext) => Promise<unknown>;
type Method = (...args: unknown[]) => unknown;

/**
 * Calls a handler method the way Nest calls a controller method: through guards, interceptors,
 * pipes and the handler's exception filters, in an ExecutionContext of type `'melange'`. Providers whose
 * dependency tree is not static get a fresh instance per message, with the `MessageContext` as
 * their `REQUEST`.
 */
@Injectable()
export class HandlerInvoker {
  private readonly injector = new Injector();
  private readonly staticHandlers = new Map<HandlerBinding, Handler>();

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly contextCreator: ExternalContextCreator,
  ) {}

  async invoke(handler: HandlerBinding, message: unknown, context: MessageContext): Promise<void> {
    await (handler.isStatic ? this.staticHandler(handler) : await this.handlerPerMessage(handler, context))(message, context);
  }

  private staticHandler(handler: HandlerBinding): Handler {
    let created = this.staticHandlers.get(handler);
    if (!created) {
      created = this.create(handler, handler.provider.instance as object);
      this.staticHandlers.set(handler, created);
    }
    return created;
  }

  private async handlerPerMessage(handler: HandlerBinding, context: MessageContext): Promise<Handler> {
    // getByRequest consults the app's ContextIdStrategy, so durable providers stay durable.
    const contextId = ContextIdFactory.getByRequest(context);
    this.moduleRef.registerRequestByContextId(context, contextId);
    const { provider } = handler;
    const host = provider.host!;
    const instance = await this.injector.loadPerContext(provider.instance as object, host, host.providers, contextId, provider);
    return this.create(handler, instance, contextId);
  }

  private create(handler: HandlerBinding, instance: object, contextId?: ContextId): Handler {
    const guarded = this.contextCreator.create(
      instance,
      lookedUpAtCallTime(instance, handler.methodName),
      handler.methodName,
      MELANGE_ARGS_METADATA,
      melangeParamsFactory,
      contextId,
      contextId ? handler.provider.id : undefined,
      { guards: true, interceptors: true, filters: false },
      MELANGE_CONTEXT_TYPE,
    ) as Handler;
    const filters = HandlerExceptionFilters.of(instance, handler.methodName, this.moduleRef);
    return (message, context) => filters.run(() => guarded(message, context), [message, context]);
  }
}

/**
 * Nest reads guards, interceptors and pipes from the function it is given, so that function
 * carries the method's metadata; but it calls whatever the method is when the message arrives,
 * so wrappers put on later (tracing, spies) still run.
 */
function lookedUpAtCallTime(instance: object, methodName: string): Method {
  const method = (instance as Record<string, Method>)[methodName];
  const callback = function (this: Record<string, Method>, ...args: unknown[]) {
    return this[methodName](...args);
  };
  Object.defineProperty(callback, 'name', { value: methodName });
  for (const key of Reflect.getMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, method), callback);
  }
  return callback;
}
