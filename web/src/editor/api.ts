// Calls to the document's JSON API. Until sign-in exists, every call proves who is asking with the
// collaboration token the page was opened with, as a bearer token.

/** An API failure, with the server's message when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class DocumentApi {
  constructor(
    private readonly documentId: string,
    private readonly token: string,
  ) {}

  /** GET or POST `path` (relative to /api/documents/{id}) and return the parsed JSON answer. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${this.token}`,
    };
    let payload: BodyInit | undefined;
    if (body instanceof Blob) {
      headers['Content-Type'] = body.type;
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(`/api/documents/${encodeURIComponent(this.documentId)}${path}`, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      cache: 'no-store',
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const message =
        (parsed as { error?: { message?: string } } | null)?.error?.message ?? response.statusText;
      throw new ApiError(response.status, message);
    }
    return parsed as T;
  }

  /**
   * An uploaded image of this document as a data: URL. The page's Content-Security-Policy allows
   * images from data: but not blob: URLs, and an <img> cannot send the bearer token itself.
   */
  async imageAsDataUrl(src: string): Promise<string> {
    const response = await fetch(src, {
      headers: { Authorization: `Bearer ${this.token}` },
      credentials: 'same-origin',
    });
    if (!response.ok) throw new ApiError(response.status, response.statusText);
    const blob = await response.blob();
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }
}
