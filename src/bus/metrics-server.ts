import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prometheusText, PROMETHEUS_CONTENT_TYPE, type Metric } from '../diagnostics/prometheus.js';

/** A bare HTTP server answering GET /metrics (Prometheus text) on `hostPort` (port 0: any free one). */
export async function serveMetrics(hostPort: string, metrics: () => Promise<Metric[]>): Promise<{ address: string; close(): Promise<void> }> {
  const colon = hostPort.lastIndexOf(':');
  const host = colon > 0 ? hostPort.slice(0, colon) : '127.0.0.1';
  const port = Number(colon >= 0 ? hostPort.slice(colon + 1) : hostPort);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics().then(
      (m) => res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(prometheusText(m)),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const { address, port: bound } = server.address() as AddressInfo;
  return { address: `${address.includes(':') ? `[${address}]` : address}:${bound}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
