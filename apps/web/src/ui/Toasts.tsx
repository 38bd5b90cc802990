import { useEffect } from 'react';
import type { Toast } from '../state/store';
import { permalinkHash } from '../util/permalink';
import { useChat, useRuntime } from './runtime';

export function Toasts() {
  const toasts = useChat((s) => s.toasts);
  return (
    <div className="toasts" role="region" aria-label="Notifications">
      {toasts.map((t) => (
        <ToastItem key={t.id} toast={t} />
      ))}
    </div>
  );
}

const LIFETIME_MS: Record<Toast['kind'], number> = { error: 8000, info: 5000, message: 8000 };

function ToastItem({ toast }: { toast: Toast }) {
  const { store } = useRuntime();
  useEffect(() => {
    const t = setTimeout(() => store.dismissToast(toast.id), LIFETIME_MS[toast.kind]);
    return () => clearTimeout(t);
  }, [store, toast]);
  const link = toast.link;
  return (
    <div className={`toast ${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'}>
      {link ? (
        // A new message elsewhere: the whole text opens it, at the message.
        <a
          className="toast-link"
          href={permalinkHash(link.channelId, link.seq)}
          onClick={() => store.dismissToast(toast.id)}
        >
          {toast.label && <strong className="toast-label">{toast.label}</strong>} {toast.text}
        </a>
      ) : (
        <span>{toast.text}</span>
      )}
      <button
        type="button"
        className="icon-btn small"
        aria-label="Dismiss"
        onClick={() => store.dismissToast(toast.id)}
      >
        ✕
      </button>
    </div>
  );
}
