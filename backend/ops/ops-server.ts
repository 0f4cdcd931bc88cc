/**
 * The operator's endpoints, on their own port (keep it off the public network): `/healthz` for
 * systemd, load balancers and monitoring (200 when the broker is connected and the store answers,
 * 503 otherwise, with a small JSON body either way) and `/metrics` for Prometheus.
 */
import { createServer, type Server } from 'node:http';
import type { Clock } from '../../common/clock.js';
import { metricsText, type MetricsSources } from './metrics.js';

export interface OpsState {
  /** Figures at this instant (the store is asked whether it answers). */
  sources(): Promise<MetricsSources>;
}

export async function healthBody(s: MetricsSources, now: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const ok = s.mqttConnected && s.storeUp;
  const lastUplinkAt = Math.max(0, ...s.devices.map((d) => d.lastSeenAt ?? 0));
  return {
    status: ok ? 200 : 503,
    body: {
      status: ok ? 'ok' : 'unavailable',
      mqtt: s.mqttConnected ? 'connected' : 'disconnected',
      store: s.storeUp ? 'up' : 'down',
      uptimeSeconds: Math.round((now - s.startedAt) / 1000),
      lastUplinkAt: lastUplinkAt > 0 ? new Date(lastUplinkAt).toISOString() : null,
      uplinks: s.processor.uplinks,
    },
  };
}

/** Listens on host:port; rejects (EADDRINUSE, EACCES) without leaving anything open. */
export function startOpsServer(state: OpsState, clock: Clock, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const answer = async () => {
      switch (url.pathname) {
        case '/healthz': {
          const { status, body } = await healthBody(await state.sources(), clock.now());
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body) + '\n');
          return;
        }
        case '/metrics':
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metricsText(await state.sources()));
          return;
        default:
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /healthz, /metrics\n');
      }
    };
    answer().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${(error as Error).message}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}
