import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  Header,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  UseGuards,
  applyDecorators,
  type CanActivate,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { QueueOverview, RedriveResult } from '../admin/admin.types';
import { MelangeAdmin } from '../admin/melange-admin';
import { ConsumerRegistry } from '../consuming/consumer-registry';
import { MelangeError, UnknownConsumerError, UnknownQueueError } from '../errors';
import { CONTENT_SECURITY_POLICY, DASHBOARD_HEADER } from './dashboard-assets';
import { deadLettersPanel, queuesTable } from './dashboard-fragments';
import type { ResolvedDashboardOptions } from './dashboard.options';
import { dashboardPage } from './dashboard-page';

const HtmlResponse = () =>
  applyDecorators(
    Header('Content-Type', 'text/html; charset=utf-8'),
    Header('Content-Security-Policy', CONTENT_SECURITY_POLICY),
    Header('Cache-Control', 'no-store'),
    Header('X-Content-Type-Options', 'nosniff'),
    Header('Referrer-Policy', 'no-referrer'),
  );

/** Library errors a visitor caused (a queue or consumer that is not there, a wrong option) as HTTP answers. */
function asHttp(error: unknown): never {
  if (error instanceof UnknownQueueError || error instanceof UnknownConsumerError) throw new NotFoundException(error.message);
  if (error instanceof MelangeError) throw new BadRequestException(error.message);
  throw error;
}

function requireDashboardHeader(value: string | undefined): void {
  if (value !== '1') throw new ForbiddenException(`Actions need the ${DASHBOARD_HEADER} header the dashboard page sends.`);
}

/**
 * A controller class of its own per `forRoot`, so each mount has its own path and guard (Nest
 * reads both from class metadata). It reaches MelangeAdmin and ConsumerRegistry through ModuleRef,
 * so MelangeModule need not be global.
 */
export function dashboardController(options: ResolvedDashboardOptions, guard: Type<CanActivate> | CanActivate | undefined): Type<unknown> {
  @Controller(options.path)
  class MelangeDashboardController {
    constructor(private readonly modules: ModuleRef) {}

    private get admin(): MelangeAdmin {
      return this.modules.get(MelangeAdmin, { strict: false });
    }

    @Get()
    @HtmlResponse()
    async page(): Promise<string> {
      return dashboardPage(await this.admin.queues(), options.refreshMs);
    }

    @Get('fragments/queues')
    @HtmlResponse()
    async queuesFragment(): Promise<string> {
      return queuesTable(await this.admin.queues()).text;
    }

    @Get('fragments/dead-letters/:backend/:queue')
    @HtmlResponse()
    async deadLettersFragment(@Param('backend') backend: string, @Param('queue') queue: string): Promise<string> {
      const messages = await this.admin
        .peekDeadLetters(queue, { backend, max: options.peekMax, includePayloads: options.showPayloads })
        .catch(asHttp);
      return deadLettersPanel(backend, queue, messages, options.showPayloads, options.peekMax).text;
    }

    @Get('api/queues')
    @Header('Cache-Control', 'no-store')
    queues(): Promise<QueueOverview[]> {
      return this.admin.queues();
    }

    @Post('api/dead-letters/:backend/:queue/redrive')
    @HttpCode(200)
    redrive(
      @Param('backend') backend: string,
      @Param('queue') queue: string,
      @Body() body: { messageId?: unknown } | undefined,
      @Headers(DASHBOARD_HEADER) marker: string | undefined,
    ): Promise<RedriveResult> {
      requireDashboardHeader(marker);
      const messageId = body?.messageId;
      if (messageId !== undefined && typeof messageId !== 'string') throw new BadRequestException('messageId must be a string');
      return this.admin.redrive(queue, { backend, filter: messageId === undefined ? undefined : { messageId } }).catch(asHttp);
    }

    @Post('api/consumers/:backend/:queue/:action')
    @HttpCode(200)
    consumer(
      @Param('backend') backend: string,
      @Param('queue') queue: string,
      @Param('action') action: string,
      @Headers(DASHBOARD_HEADER) marker: string | undefined,
    ): { queue: string; state: string } {
      requireDashboardHeader(marker);
      if (action !== 'pause' && action !== 'resume') throw new NotFoundException(`No consumer action "${action}"; use pause or resume.`);
      const registry = this.modules.get(ConsumerRegistry, { strict: false });
      try {
        registry[action](queue, backend);
        return { queue, state: registry.status(queue, backend).state };
      } catch (error) {
        return asHttp(error);
      }
    }
  }
  if (guard) UseGuards(guard)(MelangeDashboardController);
  return MelangeDashboardController;
}
