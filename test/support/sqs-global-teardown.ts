import { LOCAL_SERVERS_GLOBAL } from './sqs-env';

export default async function globalTeardown(): Promise<void> {
  const stops = ((globalThis as Record<string, unknown>)[LOCAL_SERVERS_GLOBAL] ?? []) as Array<() => Promise<void>>;
  await Promise.all(stops.map((stop) => stop()));
}
