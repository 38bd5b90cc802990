import { useEffect, useRef, useState } from 'react';
import type { FileInfo } from '@chat/contracts';
import { describeError } from '../api/errors';
import { isPreviewable } from '../util/files';
import { formatBytes } from '../util/format';
import { useRuntime } from './runtime';

export function Attachment({ file }: { file: FileInfo }) {
  return isPreviewable(file) ? <ImagePreview file={file} /> : <FileCard file={file} />;
}

/** A blob: URL for a file fetched with the token (thumbnail first, the full image if none). */
function useBlobUrl(
  fileId: string,
  variants: ('thumb' | 'inline')[],
): { url: string | null; error: string | null } {
  const { blobs } = useRuntime();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = variants.join(',');
  useEffect(() => {
    let live = true;
    setError(null);
    const tryNext = async () => {
      let last: unknown = null;
      for (const v of key.split(',') as ('thumb' | 'inline')[]) {
        try {
          const u = await blobs.url(fileId, v);
          if (live) setUrl(u);
          return;
        } catch (err) {
          last = err;
        }
      }
      if (live) setError(describeError(last));
    };
    void tryNext();
    return () => {
      live = false;
    };
  }, [blobs, fileId, key]);
  return { url, error };
}

function ImagePreview({ file }: { file: FileInfo }) {
  const { url, error } = useBlobUrl(file.id, ['thumb', 'inline']);
  const [open, setOpen] = useState(false);
  if (error) return <FileCard file={file} note="Preview unavailable" />;
  return (
    <>
      <button
        type="button"
        className="image-preview"
        onClick={() => setOpen(true)}
        aria-label={`Open image ${file.name}`}
      >
        {url ? (
          <img src={url} alt={file.name} loading="lazy" />
        ) : (
          <span className="image-placeholder">Loading image…</span>
        )}
      </button>
      {open && <Lightbox file={file} onClose={() => setOpen(false)} />}
    </>
  );
}

function Lightbox({ file, onClose }: { file: FileInfo; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { blobs } = useRuntime();
  const { url } = useBlobUrl(file.id, ['inline']);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="lightbox"
      aria-label={file.name}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === ref.current) ref.current?.close();
      }}
    >
      <div className="lightbox-bar">
        <span className="lightbox-name">{file.name}</span>
        <button type="button" className="ghost small" onClick={() => void blobs.download(file.id, file.name)}>
          Download
        </button>
        <button type="button" className="ghost small" onClick={() => ref.current?.close()} autoFocus>
          Close
        </button>
      </div>
      {url ? <img src={url} alt={file.name} /> : <p className="muted">Loading…</p>}
    </dialog>
  );
}

function FileCard({ file, note }: { file: FileInfo; note?: string }) {
  const { blobs, store } = useRuntime();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      await blobs.download(file.id, file.name);
    } catch (err) {
      store.notify(`Could not download ${file.name}: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="file-card">
      <span className="file-icon" aria-hidden="true">
        {extOf(file.name)}
      </span>
      <div className="file-text">
        <span className="file-name" title={file.name}>
          {file.name}
        </span>
        <span className="muted small-text">
          {formatBytes(file.size)}
          {note ? ` · ${note}` : ''}
        </span>
      </div>
      <button
        type="button"
        className="ghost small"
        onClick={() => void download()}
        disabled={busy}
        aria-label={`Download ${file.name}`}
      >
        {busy ? '…' : 'Download'}
      </button>
    </div>
  );
}

const extOf = (name: string) => {
  const m = /\.([a-z0-9]{1,4})$/i.exec(name);
  return m ? m[1].toUpperCase() : 'FILE';
};
