import { serve, type ServerType } from '@hono/node-server';
import type { createApp } from './app.js';

export function listen(
  app: ReturnType<typeof createApp>,
  port: number,
  host: string,
): Promise<{ server: ServerType; url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
      resolve({
        server,
        url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${info.port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
