import { useEffect } from 'react';
import type { Toast } from '../state/store';
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

function ToastItem({ toast }: { toast: Toast }) {
  const { store } = useRuntime();
  useEffect(() => {
    const t = setTimeout(() => store.dismissToast(toast.id), toast.kind === 'error' ? 8000 : 5000);
    return () => clearTimeout(t);
  }, [store, toast]);
  return (
    <div className={`toast ${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'}>
      <span>{toast.text}</span>
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
