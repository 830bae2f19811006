import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { RecordAppender } from './journal.js';
import { SyslogFramer } from './syslog-framer.js';

/**
 * Syslog over UDP and TCP on one port. Messages (RFC 5424, RFC 3164, or bare `<Event>` lines:
 * the `syslog` source reads them all) are batched per peer into journal records; the peer address
 * is the host of events that name none. TCP connections are paused while the processor is behind
 * (backpressure reaches the sender); UDP has none, so a datagram refused under overload is counted
 * and reported, never dropped silently.
 */
export interface SyslogListenerOptions {
  host: string;
  port: number;
  journal: RecordAppender;
  /** longest frame kept; longer ones are counted as oversize and skipped */
  maxFrameBytes: number;
  /** true while new events must wait (processor behind, journal queue full) */
  busy(): boolean;
}

export interface SyslogStats {
  messages: number;
  tcpConnections: number;
  udpDatagrams: number;
  /** UDP datagrams refused while busy (UDP cannot be paused) */
  udpRefused: number;
  oversize: number;
  truncated: number;
  malformed: number;
  journalErrors: number;
}

const BATCH_BYTES = 1024 * 1024;
const BATCH_MS = 20;

export class SyslogListener {
  readonly stats: SyslogStats = { messages: 0, tcpConnections: 0, udpDatagrams: 0, udpRefused: 0, oversize: 0, truncated: 0, malformed: 0, journalErrors: 0 };
  private readonly batches = new Map<string, { lines: Buffer[]; bytes: number; timer: NodeJS.Timeout }>();
  private readonly sockets = new Set<Socket>();
  private readonly writes = new Set<Promise<unknown>>();

  private constructor(
    private readonly options: SyslogListenerOptions,
    private readonly tcp: Server,
    private readonly udp: UdpSocket,
  ) {}

  static async start(options: SyslogListenerOptions): Promise<SyslogListener> {
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(options.port, options.host, () => resolve());
    });
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, options.host, () => resolve());
    }).catch((error) => {
      tcp.close();
      throw error;
    });
    const listener = new SyslogListener(options, tcp, udp);
    tcp.on('connection', (socket) => listener.connection(socket));
    udp.on('message', (message, peer) => listener.datagram(message, peer.address));
    udp.on('error', () => undefined);
    return listener;
  }

  /** batches not yet written and writes not yet durable */
  get pending(): number {
    return this.batches.size + this.writes.size;
  }

  get port(): number {
    return (this.tcp.address() as { port: number }).port;
  }

  private connection(socket: Socket): void {
    this.stats.tcpConnections++;
    this.sockets.add(socket);
    const peer = socket.remoteAddress ?? 'unknown';
    const framer = new SyslogFramer(this.options.maxFrameBytes);
    const settle = () => {
      for (const frame of framer.end()) this.message(peer, frame);
      this.stats.oversize += framer.counts.oversize;
      this.stats.truncated += framer.counts.truncated;
      this.stats.malformed += framer.counts.malformed;
      this.sockets.delete(socket);
    };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) this.message(peer, frame);
      if (this.options.busy()) {
        // backpressure: read no more until the processor catches up
        socket.pause();
        const resume = setInterval(() => {
          if (!this.options.busy() || socket.destroyed) {
            clearInterval(resume);
            socket.resume();
          }
        }, 50);
      }
    });
    socket.on('end', settle);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.sockets.has(socket)) settle();
    });
  }

  private datagram(message: Buffer, peer: string): void {
    this.stats.udpDatagrams++;
    if (this.options.busy()) {
      this.stats.udpRefused++;
      return;
    }
    if (message.length > this.options.maxFrameBytes) {
      this.stats.oversize++;
      return;
    }
    // one message per datagram; some senders put several lines in one
    let start = 0;
    for (let lf = message.indexOf(0x0a); ; lf = message.indexOf(0x0a, start)) {
      const end = lf < 0 ? message.length : lf;
      if (end > start) this.message(peer, Buffer.from(message.subarray(start, end)));
      if (lf < 0) break;
      start = lf + 1;
    }
  }

  private message(peer: string, frame: Buffer): void {
    const text = frame[frame.length - 1] === 0x0d ? frame.subarray(0, frame.length - 1) : frame;
    if (text.length === 0) return;
    this.stats.messages++;
    let batch = this.batches.get(peer);
    if (!batch) {
      batch = { lines: [], bytes: 0, timer: setTimeout(() => this.flush(peer), BATCH_MS) };
      this.batches.set(peer, batch);
    }
    batch.lines.push(text, Buffer.from('\n'));
    batch.bytes += text.length + 1;
    if (batch.bytes >= BATCH_BYTES) this.flush(peer);
  }

  private flush(peer: string): void {
    const batch = this.batches.get(peer);
    if (!batch) return;
    this.batches.delete(peer);
    clearTimeout(batch.timer);
    const write = this.options.journal
      .append({ origin: 'syslog', format: 'syslog', peer, host: hostOf(peer) }, Buffer.concat(batch.lines, batch.bytes))
      .catch(() => {
        this.stats.journalErrors++;
      });
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  /** Stops listening, takes in what was received, and waits for it to be journaled. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    for (const s of this.sockets) s.end();
    setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, 1000).unref();
    await closed;
    for (const peer of [...this.batches.keys()]) this.flush(peer);
    await Promise.all([...this.writes]);
  }
}

/** `::ffff:10.0.0.1` is an IPv4 peer on a dual-stack socket */
function hostOf(peer: string): string {
  return peer.startsWith('::ffff:') ? peer.slice(7) : peer;
}
