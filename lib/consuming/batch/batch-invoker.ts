import { Injectable, type Type } from '@nestjs/common';
import { ExternalContextCreator, ModuleRef } from '@nestjs/core';
import type { ContextId } from '@nestjs/core/injector/instance-wrapper';
import { isObservable, lastValueFrom } from 'rxjs';
import type { HandlerBinding } from '../dispatch-table';
import { HandlerExceptionFilters } from '../handler-exception-filters';
import { HandlerInvoker, lookedUpAtCallTime, nestAddsNothing } from '../handler-invoker';
import type { MessageContext } from '../message-context';
import { MELANGE_ARGS_METADATA, MELANGE_CONTEXT_TYPE, melangeParamsFactory } from '../param.decorators';
import { batchArgsOf, defineItemMethod, itemCallback } from './batch-params';

/** One batch handler, ready to run: pipes per message, then the method once for those that passed. */
export interface PreparedBatch {
  /** The message as the handler's pipes make it; throws their verdict (a 400 for `ValidationPipe`). */
  validate(message: unknown, context: MessageContext): Promise<unknown>;
  /** Guards, interceptors and the method once for the whole batch, under the handler's `@UseFilters`; resolves to its result. */
  call(messages: readonly unknown[], contexts: readonly MessageContext[]): Promise<unknown>;
}

type Method = (...args: unknown[]) => unknown;

/**
 * Calls batch handlers the way HandlerInvoker calls per-message ones, with one difference Nest's
 * model forces: pipes transform parameters, and the parameter is an array, so pipes run on each
 * message (typed as the batch's class) before the call, and guards, interceptors and filters once
 * around the call, with `[messages, contexts]` as the ExecutionContext's arguments. A request-scoped
 * consumer gets one instance per batch, whose `REQUEST` is the array of `MessageContext`s.
 */
@Injectable()
export class BatchInvoker {
  private readonly prepared = new Map<HandlerBinding, PreparedBatch>();

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly contextCreator: ExternalContextCreator,
    private readonly invoker: HandlerInvoker,
  ) {}

  async prepare(handler: HandlerBinding, contexts: readonly MessageContext[]): Promise<PreparedBatch> {
    if (!handler.isStatic) {
      const { instance, contextId } = await this.invoker.instanceFor(handler, contexts);
      return this.create(handler, instance, contextId);
    }
    let prepared = this.prepared.get(handler);
    if (!prepared) {
      this.invoker.warnIfScopedEnhancersSkipped(handler);
      prepared = this.create(handler, handler.provider.instance as object);
      this.prepared.set(handler, prepared);
    }
    return prepared;
  }

  private create(handler: HandlerBinding, instance: object, contextId?: ContextId): PreparedBatch {
    const { methodName } = handler;
    const filters = HandlerExceptionFilters.of(instance, methodName, this.moduleRef);
    let validate: PreparedBatch['validate'];
    let call: (messages: readonly unknown[], contexts: readonly MessageContext[]) => Promise<unknown>;
    if (nestAddsNothing(this.moduleRef, instance, methodName)) {
      // Looked up at call time, as per-message handlers are: wrappers put on later still run.
      validate = async (message) => message;
      call = async (messages, contexts) => settled((instance as Record<string, Method>)[methodName]!.call(instance, messages, contexts));
    } else {
      const type = instance.constructor as Type<unknown>;
      const args = batchArgsOf(type, methodName);
      const inquirer = contextId ? handler.provider.id : undefined;
      const itemMethod = defineItemMethod(type, methodName, handler.messageType!);
      validate = this.contextCreator.create(
        instance,
        itemCallback((instance as Record<string, object>)[methodName]!),
        itemMethod,
        MELANGE_ARGS_METADATA,
        melangeParamsFactory,
        contextId,
        inquirer,
        { guards: false, interceptors: false, filters: false },
        MELANGE_CONTEXT_TYPE,
      ) as PreparedBatch['validate'];
      // No params factory: Nest then applies no pipes (they ran per message) and passes the call's
      // arguments through to the callback, which spreads them by the method's parameter decorators.
      const callback = lookedUpAtCallTime(instance, methodName);
      const spread = function (this: object, ...given: unknown[]) {
        const [messages, contexts] = given as [readonly unknown[], readonly MessageContext[]];
        return callback.apply(this, args(messages, contexts));
      };
      for (const key of Reflect.getMetadataKeys(callback)) Reflect.defineMetadata(key, Reflect.getMetadata(key, callback), spread);
      Object.defineProperty(spread, 'name', { value: methodName });
      call = this.contextCreator.create(
        instance,
        spread,
        `${methodName}#melange-batch`,
        undefined,
        undefined,
        contextId,
        inquirer,
        { guards: true, interceptors: true, filters: false },
        MELANGE_CONTEXT_TYPE,
      ) as typeof call;
    }
    if (filters.isEmpty) return { validate, call };
    return { validate, call: (messages, contexts) => filters.run(() => call(messages, contexts), [messages, contexts]) };
  }
}

async function settled(result: unknown): Promise<unknown> {
  return isObservable(result) ? lastValueFrom(result) : result;
}
