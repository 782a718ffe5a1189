import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, type ErrorCode } from '@keyledger/http';

/** What the local server allows each connection and all of them together (the KEYLEDGER_HTTP_* settings). */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** Requests being handled at once, pipelined ones included. */
  maxRequestsInFlight: number;
  /** Body bytes held at once over all requests being read or handled. */
  maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxRequestsInFlight: 256,
  maxBufferedBytes: 32 * 1024 * 1024,
};

export class PayloadTooLargeError extends Error {}
export class ServerBusyError extends Error {}

/** Body bytes held by requests in flight, against one budget for the whole server. */
export class BodyBudget {
  private held = 0;

  constructor(private readonly limit: number) {}

  take(bytes: number): void {
    if (this.held + bytes > this.limit) throw new ServerBusyError();
    this.held += bytes;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }
}

/**
 * Reads a body up to `limit` bytes, charging each chunk to the budget; `charged` is what to give
 * back. On a refusal the rest is not read (the stream is paused; the answer closes the connection).
 * With listeners rather than an async iterator, which cost more than the rest of reading a small body.
 */
export function readBody(request: IncomingMessage, limit: number, budget: BodyBudget, charged: { bytes: number }): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new PayloadTooLargeError());
  if (request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const refuse = (error: Error) => {
      cleanup();
      request.pause();
      reject(error);
    };
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > limit) return refuse(new PayloadTooLargeError());
      try {
        budget.take(chunk.length);
      } catch (error) {
        return refuse(error as Error);
      }
      charged.bytes += chunk.length;
      chunks.push(chunk);
    }
    function onEnd() {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }
    function onError(error: Error) {
      cleanup();
      reject(error);
    }
    function onClose() {
      cleanup();
      reject(Object.assign(new Error('The request closed before its body ended.'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    }
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

const CLIENT_ERRORS: Record<string, [number, string, string, ErrorCode]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request was not received in time; the connection is closed.', 'request_timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'The request headers are too large.', 'headers_too_large'],
};

/** How long a closing connection may take to flush its last answer before it is destroyed. */
const LINGER_MS = 1_000;

/**
 * Node's answers to requests it could not read (timeouts, malformed HTTP), in the API's error
 * shape. The socket is destroyed once the answer is out: Node's server sockets are half-open,
 * so `end()` alone would leave a silent client holding the connection (and its slot) for ever.
 */
export function answerClientError(failure: NodeJS.ErrnoException, socket: Duplex): void {
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (failure.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, phrase, message, errorCode] = CLIENT_ERRORS[failure.code ?? ''] ?? [400, 'Bad Request', 'The request is not valid HTTP/1.1.', 'invalid_request'];
  const body = JSON.stringify(errorBody(status, message, errorCode));
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.end(
    `HTTP/1.1 ${status} ${phrase}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    () => {
      clearTimeout(linger);
      socket.destroy();
    },
  );
}
