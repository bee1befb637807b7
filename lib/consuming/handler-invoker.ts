import { Injectable } from '@nestjs/common';
import { ContextIdFactory, ModuleRef } from '@nestjs/core';
import { Injector } from '@nestjs/core/injector/injector';
import type { HandlerBinding } from './dispatch-table';
import type { MessageContext } from './message-context';

type HandlerMethod = (message: unknown, context: MessageContext) => unknown;

/**
 * Calls a handler method on its provider. The method is looked up on every call, so wrappers that
 * other decorators put on it later still run; providers whose dependency tree is not static get a
 * fresh instance per message, with the `MessageContext` as their `REQUEST`.
 */
@Injectable()
export class HandlerInvoker {
  private readonly injector = new Injector();

  constructor(private readonly moduleRef: ModuleRef) {}

  async invoke(handler: HandlerBinding, message: unknown, context: MessageContext): Promise<void> {
    const instance = handler.isStatic ? (handler.provider.instance as object) : await this.instancePerMessage(handler, context);
    const method = (instance as Record<string, unknown>)[handler.methodName] as HandlerMethod;
    await method.call(instance, message, context);
  }

  private async instancePerMessage(handler: HandlerBinding, context: MessageContext): Promise<object> {
    const contextId = ContextIdFactory.create();
    this.moduleRef.registerRequestByContextId(context, contextId);
    const { provider } = handler;
    return this.injector.loadPerContext(provider.instance as object, provider.host!, provider.host!.providers, contextId, provider);
  }
}
