/**
 * A minimal HTTP server bound to 127.0.0.1 on an ephemeral port. Every service of the local
 * Sigstore stack (Fulcio, Rekor, TSA, OIDC) is one of these, so each has its own origin, as the
 * real services do: Rekor's checkpoint names its host, and a verifier matches that name against
 * the log's `baseUrl` in the trusted root.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface LoopbackResponse {
  readonly status: number;
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type LoopbackHandler = (request: LoopbackRequest) => Promise<LoopbackResponse>;

export interface LoopbackServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly origin: string;
  close(): Promise<void>;
}

/** Bodies larger than this are refused with 413: the services are only fed by our own tests. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Listens on 127.0.0.1:0, then builds the handler from the origin it got (a service whose
 * responses name its own URL, like Rekor's checkpoint, needs it before serving anything).
 * Requests arriving before the handler exists are answered 503.
 */
export async function listenOnLoopback(
  createHandler: (origin: string) => Promise<LoopbackHandler> | LoopbackHandler,
  options: { readonly maxBodyBytes?: number } = {},
): Promise<LoopbackServer> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let handler: LoopbackHandler | undefined;

  const server = http.createServer((req, res) => {
    void serve(req, res);
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let response: LoopbackResponse;
    try {
      const body = await readBody(req, maxBodyBytes);
      if (body === undefined) {
        response = { status: 413, body: 'request body too large' };
      } else if (handler === undefined) {
        response = { status: 503, body: 'starting' };
      } else {
        const url = new URL(req.url ?? '/', origin);
        response = await handler({ method: req.method ?? 'GET', url, headers: req.headers, body });
      }
    } catch (error) {
      response = { status: 500, body: error instanceof Error ? error.message : 'internal error' };
    }
    res.writeHead(response.status, {
      'Content-Type': response.contentType ?? 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      ...response.headers,
    });
    res.end(response.body ?? '');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  try {
    handler = await createHandler(origin);
  } catch (error) {
    await closeServer(server);
    throw error;
  }

  return { origin, close: () => closeServer(server) };
}

async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Stops accepting, and drops idle keep-alive sockets (HTTP clients pool them) so close resolves. */
async function closeServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  server.closeAllConnections();
  await closed;
}
