import type { ChatApi } from '../api/chat-api';

export type BlobVariant = 'thumb' | 'inline' | 'download';

/**
 * Files need the bearer token, which <img src> cannot send: the bytes are fetched with it and
 * shown through blob: URLs (allowed by the CSP's img-src). Cached per file and variant for the
 * session, revoked on sign-out.
 */
export class BlobCache {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(private readonly api: ChatApi) {}

  url(fileId: string, variant: BlobVariant): Promise<string> {
    const key = `${fileId}:${variant}`;
    let p = this.urls.get(key);
    if (!p) {
      p = this.api.fileBlob(fileId, variant).then((b) => URL.createObjectURL(b));
      // A failure is not cached: the next render may try again (e.g. after reconnecting).
      p.catch(() => this.urls.delete(key));
      this.urls.set(key, p);
    }
    return p;
  }

  /** Saves a file under its own name. */
  async download(fileId: string, name: string): Promise<void> {
    const url = await this.url(fileId, 'download');
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.rel = 'noopener';
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  revokeAll(): void {
    for (const p of this.urls.values()) p.then((u) => URL.revokeObjectURL(u)).catch(() => undefined);
    this.urls.clear();
  }
}
