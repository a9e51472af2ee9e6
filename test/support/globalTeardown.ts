import type { DevServer } from '../../src/server/devServer';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__nightshiftServer as DevServer | undefined;
  await server?.stop();
}
