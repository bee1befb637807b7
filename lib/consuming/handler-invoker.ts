import { Injectable, Logger } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import { ContextIdFactory, ExternalContextCreator, ModuleRef, type ApplicationConfig } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { Injector } from '@nestjs/core/injector/injector';
import type { ContextId, InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { describeHandler, type HandlerBinding } from './dispatch-table';
import { HandlerExceptionFilters } from './handler-exception-filters';
import type { MessageContext } from './message-context';
import { hasOnlyDefaultParams, MELANGE_ARGS_METADATA, MELANGE_CONTEXT_TYPE, melangeParamsFactory } from './param.decorators';

type Handler = (message: unknown, context: MessageContext) => unknown;
type Method = (...args: unknown[]) => unknown;

/**
 * Calls a handler method the way Nest calls a controller method: through guards, interceptors,
 * pipes and the handler's exception filters, in an ExecutionContext of type `'melange'`. Providers whose
 * dependency tree is not static get a fresh instance per message, with the `MessageContext` as
 * their `REQUEST`. A handler that no guard, interceptor, pipe or parameter decorator applies to is
 * called directly: Nest's layers would only add promises and allocations to every message.
 */
@Injectable()
export class HandlerInvoker {
  private readonly injector = new Injector();
  private readonly staticHandlers = new Map<HandlerBinding, Handler>();
  private readonly logger = new Logger('Melange');
  /** Request-scoped consumers already given the app's request-scoped enhancers. */
  private readonly givenScopedEnhancers = new WeakSet<InstanceWrapper>();

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly contextCreator: ExternalContextCreator,
  ) {}

  /**
   * Calls the handler; resolves (to whatever it returned, which no one reads) when it is done. A
   * throw, even a synchronous one, comes back as a rejection. A singleton's handler is called
   * without an async layer of ours: its own promise is the one awaited.
   */
  invoke(handler: HandlerBinding, message: unknown, context: MessageContext): Promise<unknown> {
    if (!handler.isStatic) return this.invokePerMessage(handler, message, context);
    try {
      return Promise.resolve(this.staticHandler(handler)(message, context));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A request-scoped or transient provider's instance for one request (a message, or a batch of
   * them), with the context id its request-scoped enhancers are built for.
   */
  async instanceFor(handler: HandlerBinding, request: object): Promise<{ instance: object; contextId: ContextId }> {
    // getByRequest consults the app's ContextIdStrategy, so durable providers stay durable.
    const contextId = ContextIdFactory.getByRequest(request);
    this.moduleRef.registerRequestByContextId(request, contextId);
    const { provider } = handler;
    this.giveScopedEnhancers(provider);
    const host = provider.host!;
    const instance = await this.injector.loadPerContext(provider.instance as object, host, host.providers, contextId, provider);
    return { instance, contextId };
  }

  /** Warns, once per handler, that a singleton misses the app's request-scoped enhancers. */
  warnIfScopedEnhancersSkipped(handler: HandlerBinding): void {
    if (requestScopedAppWideEnhancers(this.moduleRef).length === 0) return;
    this.logger.warn(
      `${describeHandler(handler)} is a singleton, so the app's request-scoped guards, interceptors and pipes do not run on it ` +
        `(Nest builds them per request); make the consumer request-scoped (@Injectable({ scope: Scope.REQUEST })) to have them.`,
    );
  }

  private staticHandler(handler: HandlerBinding): Handler {
    let created = this.staticHandlers.get(handler);
    if (!created) {
      created = this.create(handler, handler.provider.instance as object);
      this.staticHandlers.set(handler, created);
    }
    return created;
  }

  private async invokePerMessage(handler: HandlerBinding, message: unknown, context: MessageContext): Promise<void> {
    const { instance, contextId } = await this.instanceFor(handler, context);
    await this.create(handler, instance, contextId)(message, context);
  }

  /**
   * Nest builds request-scoped app-wide enhancers (a request-scoped APP_GUARD) per request only
   * for hosts that list them, as it lists them on controllers. A request-scoped consumer gets them
   * listed, so that loadPerContext builds them for each message; without that, Nest handed over
   * an instance whose constructor had not run.
   */
  private giveScopedEnhancers(provider: InstanceWrapper): void {
    if (this.givenScopedEnhancers.has(provider)) return;
    this.givenScopedEnhancers.add(provider);
    for (const enhancer of requestScopedAppWideEnhancers(this.moduleRef)) provider.addEnhancerMetadata(enhancer);
  }

  private create(handler: HandlerBinding, instance: object, contextId?: ContextId): Handler {
    const { methodName } = handler;
    if (!contextId) this.warnIfScopedEnhancersSkipped(handler);
    const call = nestAddsNothing(this.moduleRef, instance, methodName)
      ? direct(instance, methodName)
      : (this.contextCreator.create(
          instance,
          lookedUpAtCallTime(instance, methodName),
          methodName,
          MELANGE_ARGS_METADATA,
          melangeParamsFactory,
          contextId,
          contextId ? handler.provider.id : undefined,
          { guards: true, interceptors: true, filters: false },
          MELANGE_CONTEXT_TYPE,
        ) as Handler);
    const filters = HandlerExceptionFilters.of(instance, methodName, this.moduleRef);
    if (filters.isEmpty) return call;
    return async (message, context) => {
      await filters.run(async () => call(message, context), [message, context]);
    };
  }
}

/**
 * True when the handler takes the default (message, context) and no guard, interceptor or pipe
 * applies to it: none on the method or class, none app-wide (`useGlobal*`, `APP_*`). Nest keeps
 * app-wide ones in an ApplicationConfig it does not expose; if it cannot be read, Nest's way is
 * taken, which is always right.
 */
export function nestAddsNothing(moduleRef: ModuleRef, instance: object, methodName: string): boolean {
  const method = (instance as Record<string, object>)[methodName] as object;
  const declared = [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA].some((key) =>
    [method, instance.constructor].some((target) => ((Reflect.getMetadata(key, target) as unknown[] | undefined) ?? []).length > 0));
  if (declared || !hasOnlyDefaultParams(instance.constructor, methodName)) return false;
  const config = applicationConfigOf(moduleRef);
  if (!config) return false;
  return [
    config.getGlobalGuards(),
    config.getGlobalInterceptors(),
    config.getGlobalPipes(),
    config.getGlobalRequestGuards(),
    config.getGlobalRequestInterceptors(),
    config.getGlobalRequestPipes(),
  ].every((enhancers) => enhancers.length === 0);
}

function requestScopedAppWideEnhancers(moduleRef: ModuleRef): InstanceWrapper[] {
  const config = applicationConfigOf(moduleRef);
  if (!config) return [];
  return [...config.getGlobalRequestGuards(), ...config.getGlobalRequestInterceptors(), ...config.getGlobalRequestPipes()] as InstanceWrapper[];
}

function applicationConfigOf(moduleRef: ModuleRef): ApplicationConfig | undefined {
  const config = (moduleRef as unknown as { container?: { applicationConfig?: ApplicationConfig } }).container?.applicationConfig;
  const readable = ['getGlobalGuards', 'getGlobalInterceptors', 'getGlobalPipes', 'getGlobalRequestGuards', 'getGlobalRequestInterceptors', 'getGlobalRequestPipes']
    .every((name) => typeof (config as unknown as Record<string, unknown> | undefined)?.[name] === 'function');
  return readable ? config : undefined;
}

/** The method as it is when the message arrives (wrappers put on later still run); an Observable result is awaited, as Nest does. */
export function direct(instance: object, methodName: string): Handler {
  return (message, context) => {
    const result = (instance as Record<string, Method>)[methodName]!.call(instance, message, context);
    return isObservable(result) ? lastValueFrom(result) : result;
  };
}

/**
 * Nest reads guards, interceptors and pipes from the function it is given, so that function
 * carries the method's metadata; but it calls whatever the method is when the message arrives,
 * so wrappers put on later (tracing, spies) still run.
 */
export function lookedUpAtCallTime(instance: object, methodName: string): Method {
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
