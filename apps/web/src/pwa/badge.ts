/**
 * The favicon with the unread count drawn on it, so a pinned or background tab says something
 * happened. Drawn on a canvas from the app's icon and set as a data: URL (the CSP's img-src
 * allows data:); back to the plain icon at zero.
 */
const SIZE = 64;
const PLAIN = '/favicon.svg';

export class FaviconBadge {
  private base: Promise<HTMLImageElement | null> | null = null;
  private wanted = 0;

  /** Shows `count` on the favicon (0: the plain icon). */
  set(count: number): void {
    this.wanted = count;
    if (count <= 0) {
      this.show(PLAIN, 'image/svg+xml');
      return;
    }
    void this.image().then((img) => {
      // A newer count may have arrived while the icon loaded.
      if (this.wanted !== count) return;
      const url = draw(img, count);
      if (url) this.show(url, 'image/png');
    });
  }

  clear(): void {
    this.set(0);
  }

  private show(href: string, type: string): void {
    let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) {
      link = document.createElement('link');
      link.rel = 'icon';
      document.head.appendChild(link);
    }
    if (link.getAttribute('href') === href) return;
    link.type = type;
    link.href = href;
  }

  private image(): Promise<HTMLImageElement | null> {
    this.base ??= new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => resolve(null);
      img.src = PLAIN;
    });
    return this.base;
  }
}

function draw(img: HTMLImageElement | null, count: number): string | null {
  const canvas = document.createElement('canvas');
  canvas.width = SIZE;
  canvas.height = SIZE;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  if (img) ctx.drawImage(img, 0, 0, SIZE, SIZE);
  else {
    ctx.fillStyle = '#4f46e5';
    ctx.fillRect(0, 0, SIZE, SIZE);
  }
  const text = count > 99 ? '99+' : String(count);
  const r = SIZE * 0.3;
  const cx = SIZE - r;
  const cy = r;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.fillStyle = '#d92d45';
  ctx.fill();
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#ffffff';
  ctx.stroke();
  ctx.fillStyle = '#ffffff';
  ctx.font = `bold ${text.length > 2 ? 16 : text.length > 1 ? 20 : 26}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, cx, cy + 1);
  return canvas.toDataURL('image/png');
}
