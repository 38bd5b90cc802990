import { createContext, useContext, useRef, useSyncExternalStore } from 'react';
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

/**
 * What a component shows from the store: `select` picks it from the snapshot, and the component
 * re-renders only when the selection changes (`Object.is`, or `isEqual` for a selection built
 * afresh each time, such as a filtered list). React's useSyncExternalStore does the subscribing;
 * the last selection is kept so an equal one is returned as the same value.
 */
export function useChat<T>(select: (s: ChatState) => T, isEqual: (a: T, b: T) => boolean = Object.is): T {
  const { store } = useRuntime();
  const last = useRef<{ state: ChatState; select: (s: ChatState) => T; value: T } | null>(null);
  const getSnapshot = (): T => {
    const state = store.getState();
    const prev = last.current;
    if (prev && prev.state === state && prev.select === select) return prev.value;
    const next = select(state);
    const value = prev && isEqual(prev.value, next) ? prev.value : next;
    last.current = { state, select, value };
    return value;
  };
  return useSyncExternalStore(store.subscribe, getSnapshot);
}

/** Equality for selected arrays: the same items in the same order. */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}
