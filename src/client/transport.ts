import type { Readable } from "node:stream";
import { Agent } from "undici";

/** One outbound HTTP request, as the client hands it to the transport. */
export interface TransportRequest {
  readonly method: "GET" | "POST";
  /** Absolute URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body, already serialised. */
  readonly body?: string;
  /** Time allowed for the answer's headers, and between two chunks of its body, in ms. */
  readonly timeoutMs: number;
}

/** An answer whose body has not been read yet. */
export interface TransportResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as a stream; the caller reads it to the end or destroys it. */
  readonly body: Readable;
}

/**
 * Where a request failed.
 *
 * - `connect`: no connection was made (refused, DNS, connect timeout): nothing was sent, so
 *   re-sending is always safe;
 * - `exchange`: the connection was up and the request may have been written and applied
 *   (reset, closed by the other side, timeout waiting for the answer): the outcome is unknown.
 */
export type TransportFailurePhase = "connect" | "exchange";

/**
 * A request that got no answer. Transports throw it so the client can tell a request that was
 * never sent from one whose outcome is unknown; any other error a transport throws is taken as
 * `exchange`, the cautious reading.
 */
export class TransportError extends Error {
  override readonly name = "TransportError";
  /** Where it failed; see `TransportFailurePhase`. */
  readonly phase: TransportFailurePhase;
  /** The system or undici error code, e.g. `ECONNREFUSED`, `UND_ERR_SOCKET`. */
  readonly errorCode: string;

  constructor(message: string, phase: TransportFailurePhase, errorCode: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.phase = phase;
    this.errorCode = errorCode;
  }
}

/**
 * The one seam for the client's outbound I/O. The default sends over undici; tests and tools
 * can pass their own (a recorder, a proxy, a transport pointed at another server).
 */
export interface BrazeTransport {
  /**
   * Sends one request and resolves once the answer's headers arrived.
   *
   * @throws TransportError when no answer came, with the phase it failed in
   */
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Closes idle connections; requests in flight finish first. */
  close(): Promise<void>;
}

/** Settings of the default transport. */
export interface UndiciTransportOptions {
  /**
   * Connections kept per origin; requests beyond it queue inside undici.
   * @default 64
   */
  readonly connections?: number;
  /**
   * How long an idle connection stays open for reuse, in ms (a server's shorter keep-alive hint
   * wins).
   * @default 30000
   */
  readonly keepAliveTimeoutMs?: number;
}

// errors raised before a connection existed: nothing can have been sent
const CONNECT_ERRORS = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * The default transport: an undici `Agent` (a keep-alive pool per origin), so the REST host and
 * a segment export's download host each get their own pool.
 *
 * How failures are classified: an error code that only arises while connecting (refused, DNS,
 * connect timeout) is `connect`; everything else (`UND_ERR_SOCKET`, `ECONNRESET`, `EPIPE`,
 * headers or body timeout) is `exchange`. undici does not say whether the body had been written
 * when a socket failed, so a reset on a reused keep-alive connection, which may well have
 * happened before anything was written, is also reported as `exchange`: an unknown outcome is
 * the safe reading, at the price of an occasional needless BRAZE_OUTCOME_UNKNOWN.
 */
export class UndiciTransport implements BrazeTransport {
  private readonly agent: Agent;

  constructor(options: UndiciTransportOptions = {}) {
    const connections = options.connections ?? 64;
    if (!Number.isInteger(connections) || connections < 1) {
      throw new RangeError(`connections must be a positive integer, got ${connections}`);
    }

    this.agent = new Agent({
      connections,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      pipelining: 1,
    });
  }

  async request(request: TransportRequest): Promise<TransportResponse> {
    const url = new URL(request.url);

    // undici's own headers timeout ticks in steps of about a second; a timer of our own keeps
    // short timeouts exact. undici's bodyTimeout still guards the body, at its coarser step
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    try {
      const res = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      if (timedOut) {
        const where = `${request.method} ${url.origin}${url.pathname}`;
        throw new TransportError(
          `${where}: no answer within ${request.timeoutMs} ms`,
          "exchange",
          "UND_ERR_HEADERS_TIMEOUT",
          err,
        );
      }
      throw toTransportError(err, request.method, url);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Wraps an error of undici or the socket as a `TransportError` with its phase. */
export function toTransportError(err: unknown, method: string, url: URL): TransportError {
  if (err instanceof TransportError) return err;
  const code = errorCode(err);
  const phase: TransportFailurePhase = CONNECT_ERRORS.has(code) ? "connect" : "exchange";
  const reason = err instanceof Error ? err.message : String(err);
  return new TransportError(`${method} ${url.origin}${url.pathname}: ${reason}`, phase, code, err);
}

function errorCode(err: unknown): string {
  // undici puts the socket's own error under `cause` (e.g. connect ECONNREFUSED)
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth += 1) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && CONNECT_ERRORS.has(code)) return code;
    e = e.cause;
  }
  const top = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof top === "string" ? top : "UNKNOWN";
}
