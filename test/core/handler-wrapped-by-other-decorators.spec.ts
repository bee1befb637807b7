import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeModule, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { Recorder } from '../support/recorder';

class TaskQueued {
  constructor(readonly name: string) {}
}

/** Stands in for a tracing or transaction decorator that replaces the method it decorates. */
function Traced(trail: string[]): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    descriptor.value = function (this: unknown, ...args: unknown[]) {
      trail.push('span started');
      return original.apply(this, args);
    };
  };
}

const trail: string[] = [];

@Injectable()
@MessageConsumer('tasks')
class TasksConsumer {
  readonly seen = new Recorder<string>();

  // @Traced is applied after @OnMessage (decorators run bottom-up) and replaces the function.
  @Traced(trail)
  @OnMessage()
  run(task: TaskQueued): void {
    trail.push(`ran ${task.name}`);
    this.seen.record(task.name);
  }
}

describe('a handler method wrapped by other decorators', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [MelangeModule.forRoot({})], providers: [TasksConsumer] }).compile();
    app = await moduleRef.createNestApplication().init();
  });

  afterAll(() => app.close());

  it('runs the wrappers, including ones put on the instance after startup', async () => {
    const consumer = app.get(TasksConsumer);
    const original = consumer.run;
    // Patched after bootstrap, as a test spy or an APM agent would do.
    consumer.run = function (this: TasksConsumer, task: TaskQueued) {
      trail.push('patched');
      return original.call(this, task);
    };

    await app.get(MelangePublisher).publish(new TaskQueued('t1'), { queue: 'tasks' });
    await consumer.seen.waitFor(1);

    expect(trail).toEqual(['patched', 'span started', 'ran t1']);
  });
});
