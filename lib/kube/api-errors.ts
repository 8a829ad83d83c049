/**
 * One line from whatever a Kubernetes call threw: an ApiException (status code + the API's own
 * Status message), a fetch failure (the socket error code: ECONNREFUSED, ENOTFOUND, a TLS code),
 * or a timeout. Never the request headers or the kubeconfig: an ApiException's message carries
 * the response headers and body, so it is not printed as is.
 */
import { ApiException } from '@kubernetes/client-node';

export function isApiStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

export function isNotFound(error: unknown): boolean {
  return isApiStatus(error, 404);
}

/** The `message` (and `reason`) of a Kubernetes Status body, which client-node hands over as text. */
export function statusMessage(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim().split('\n')[0]?.slice(0, 200) || undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { message, reason } = parsed as { message?: unknown; reason?: unknown };
  if (typeof message === 'string' && message) return typeof reason === 'string' && reason ? `${reason}: ${message}` : message;
  return typeof reason === 'string' ? reason : undefined;
}

/** The error code of a failed fetch (undici puts the socket error under `cause`, sometimes nested). */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && code) return code;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}

export function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** One line describing a failed Kubernetes call. */
export function describeApiError(error: unknown): string {
  if (error instanceof ApiException) {
    const message = statusMessage(error.body);
    return `HTTP ${error.code}${message ? ` ${message}` : ''}`;
  }
  if (isTimeout(error)) return 'no answer before the deadline (timeout)';
  const code = networkCode(error);
  let message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  // undici says only "fetch failed"; the socket's own words are in `cause`.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error && cause.message && !message.includes(cause.message)) message = `${message}: ${cause.message.split('\n')[0]}`;
  if (code && !message.includes(code)) return `${message} (${code})`;
  return message;
}
