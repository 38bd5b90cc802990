import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatApi } from '../api/chat-api';
import type { TokenManager } from '../api/tokens';
import type { ChatState, ChatStore } from '../state/store';
import type { BlobCache } from './blob-cache';

/** What every component of the signed-in app reaches: the store, the REST client, file blobs. */
export interface Runtime {
  store: ChatStore;
  api: ChatApi;
  tokens: TokenManager;
  blobs: BlobCache;
  signOut(): void;
}

export const RuntimeContext = createContext<Runtime | null>(null);

export function useRuntime(): Runtime {
  const r = useContext(RuntimeContext);
  if (!r) throw new Error('useRuntime outside the signed-in app');
  return r;
}

/** A slice of the store's state; the selector must return a stored value (not a new object). */
export function useChat<T>(select: (s: ChatState) => T): T {
  const { store } = useRuntime();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
