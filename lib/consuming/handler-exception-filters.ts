import type { ExceptionFilter, Type } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, FILTER_CATCH_EXCEPTIONS } from '@nestjs/common/constants';
import type { ModuleRef } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { MELANGE_CONTEXT_TYPE } from './param.decorators';

interface SelectableFilter {
  readonly filter: ExceptionFilter;
  /** Empty: catches everything (`@Catch()`). */
  readonly catches: readonly Type<unknown>[];
}

/**
 * The `@UseFilters` of one handler (method first, then class), applied to its errors. A filter
 * that returns settles the message as handled; one that throws hands its error to the retry
 * policy. Application-wide filters (`useGlobalFilters`, `APP_FILTER`) are left out on purpose:
 * they are written for HTTP responses, which a message does not have.
 *
 * Nest's own external-context filters would also log every unfiltered error with its stack and
 * no message id; the dispatcher logs it once, with the id.
 */
export class HandlerExceptionFilters {
  private constructor(private readonly filters: readonly SelectableFilter[]) {}

  static of(instance: object, methodName: string, moduleRef: ModuleRef): HandlerExceptionFilters {
    const method = (instance as Record<string, unknown>)[methodName] as object;
    const declared = [
      ...((Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, method) as unknown[] | undefined) ?? []),
      ...((Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, instance.constructor) as unknown[] | undefined) ?? []),
    ];
    return new HandlerExceptionFilters(declared.map((filter) => selectable(filter, moduleRef)));
  }

  get isEmpty(): boolean {
    return this.filters.length === 0;
  }

  /**
   * Runs `work` and returns what it returned; when it throws, the first filter that catches the
   * error decides, and undefined (all handled) is returned if the filter does not throw.
   */
  async run(work: () => Promise<unknown>, args: readonly unknown[]): Promise<unknown> {
    try {
      return await work();
    } catch (error) {
      const chosen = this.filters.find(({ catches }) => catches.length === 0 || catches.some((type) => isInstance(error, type)));
      if (!chosen) throw error;
      const host = new ExecutionContextHost([...args]);
      host.setType(MELANGE_CONTEXT_TYPE);
      await chosen.filter.catch(error, host);
      return undefined;
    }
  }
}

function selectable(filter: unknown, moduleRef: ModuleRef): SelectableFilter {
  const instance = (typeof filter === 'function' ? resolve(filter as Type<ExceptionFilter>, moduleRef) : filter) as ExceptionFilter;
  const catches =
    (Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, instance.constructor) as Type<unknown>[] | undefined) ??
    (Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, Object.getPrototypeOf(instance) as object) as Type<unknown>[] | undefined) ??
    [];
  return { filter: instance, catches };
}

/** Nest's scanner registers `@UseFilters(SomeFilter)` classes of providers, with their dependencies. */
function resolve(type: Type<ExceptionFilter>, moduleRef: ModuleRef): ExceptionFilter {
  try {
    return moduleRef.get(type, { strict: false });
  } catch {
    return new type();
  }
}

/** `instanceof` that answers false where the thrown value's Proxy trap or `Symbol.hasInstance` throws. */
function isInstance(value: unknown, type: Type<unknown>): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}
