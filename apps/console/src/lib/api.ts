import { signOut, type Session } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  let message = text.slice(0, 300) || response.statusText;
  try {
    const parsed = JSON.parse(text) as { error?: string; message?: string };
    message = parsed.error ?? parsed.message ?? message;
  } catch {
    // not JSON: the text itself
  }
  return new ApiError(response.status, `HTTP ${response.status}: ${message}`);
}

/** The console's one HTTP client: the gateway's origin only, the bearer token on every call. */
export class Api {
  constructor(private readonly session: Session) {}

  async raw(method: string, path: string, init: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.session.accessToken}`, accept: 'application/json', ...init.headers };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
    if (response.status === 401) {
      // Expired or revoked: the next render asks to sign in again.
      signOut();
      location.reload();
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async json<T>(method: string, path: string, json?: unknown): Promise<T> {
    const response = await this.raw(method, path, { json });
    const text = await response.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** An upload with progress (fetch has no upload progress; XMLHttpRequest does). */
  upload<T>(path: string, body: Blob, contentType: string, onProgress: (sent: number, total: number) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      xhr.setRequestHeader('authorization', `Bearer ${this.session.accessToken}`);
      xhr.setRequestHeader('content-type', contentType);
      xhr.setRequestHeader('accept', 'application/json');
      xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : body.size);
      xhr.onerror = () => reject(new ApiError(0, 'the gateway is unreachable'));
      xhr.onload = () => {
        let parsed: { error?: string } = {};
        try {
          parsed = JSON.parse(xhr.responseText) as typeof parsed;
        } catch {
          // an answer that is not JSON: reported by status
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(parsed as T);
        else reject(new ApiError(xhr.status, `HTTP ${xhr.status}: ${parsed.error ?? xhr.statusText}`));
      };
      xhr.send(body);
    });
  }

  /** A file download from an authenticated GET (an <a href> cannot carry the bearer token). */
  async download(path: string, accept: string, filename: string): Promise<void> {
    const response = await this.raw('GET', path, { headers: { accept } });
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

export const seg = (value: string | number): string => encodeURIComponent(String(value));
