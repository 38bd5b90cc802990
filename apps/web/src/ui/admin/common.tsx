import { useCallback, useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import { AdminApi } from '../../api/admin-api';
import { describeError } from '../../api/errors';
import { useRuntime } from '../runtime';
import { emptyPage, nextCursor, pageReducer, type PageState } from './admin-logic';

/** The console's API client, on the app's authenticated HTTP (one refresh and retry on a 401). */
export function useAdminApi(): AdminApi {
  const { api } = useRuntime();
  return useMemo(() => new AdminApi(api.http), [api]);
}

/** `value`, once it has stopped changing for `ms` (search boxes). */
export function useDebounced<T>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

export interface Paged<T> {
  state: PageState<T>;
  loadMore(): void;
  reload(): void;
  /** Puts the server's answer for one row in place. */
  replace(item: T): void;
}

/**
 * A paged list: the first page whenever `key` (the filters) changes, the next with `loadMore`.
 * Answers to superseded requests are dropped (see pageReducer).
 */
export function usePaged<T extends { id: string }>(
  key: string,
  fetchPage: (after: string | undefined) => Promise<{ items: T[]; hasMore: boolean }>,
): Paged<T> {
  const [state, dispatch] = useReducer(pageReducer<T>, undefined, () => emptyPage<T>());
  const seq = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const stateRef = useRef(state);
  stateRef.current = state;

  const load = useCallback((reset: boolean) => {
    const n = ++seq.current;
    const after = reset ? undefined : nextCursor(stateRef.current);
    dispatch({ type: 'start', seq: n, reset });
    fetchRef.current(after).then(
      (page) => dispatch({ type: 'loaded', seq: n, items: page.items, hasMore: page.hasMore, reset }),
      (err: unknown) => dispatch({ type: 'failed', seq: n, error: describeError(err) }),
    );
  }, []);

  useEffect(() => {
    load(true);
  }, [key, load]);

  return {
    state,
    loadMore: () => load(false),
    reload: () => load(true),
    replace: useCallback((item: T) => dispatch({ type: 'replace', item }), []),
  };
}

/** Status line, error and "Load more" under a paged table. */
export function PageFooter<T>({
  state,
  noun,
  onMore,
}: {
  state: PageState<T>;
  noun: string;
  onMore: () => void;
}) {
  return (
    <div className="admin-foot">
      {state.error && (
        <p className="form-error" role="alert">
          {state.error}
        </p>
      )}
      <p className="muted small-text" role="status" aria-live="polite">
        {state.loading
          ? 'Loading…'
          : state.error
            ? ''
            : state.items.length === 0
              ? `No ${noun} match.`
              : `Showing ${state.items.length}${state.hasMore ? '' : ` (all ${noun})`}.`}
      </p>
      {state.hasMore && (
        <button type="button" className="secondary small" disabled={state.loading} onClick={onMore}>
          Load more
        </button>
      )}
    </div>
  );
}

/** A time shown relative ("5 min ago"), with the exact one on hover and for screen readers. */
export function When({ iso, text }: { iso: string | null; text: string }) {
  if (!iso) return <span className="muted">{text}</span>;
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {text}
    </time>
  );
}

/** An error of the tab, announced (role="alert"). */
export function ErrorLine({ text, id }: { text: string | null; id?: string }) {
  if (!text) return null;
  return (
    <p className="form-error" role="alert" id={id}>
      {text}
    </p>
  );
}

/** A labelled search box. */
export function SearchField(props: {
  id: string;
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="search"
        value={props.value}
        autoComplete="off"
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </div>
  );
}

/** A scrollable table of the console: named for assistive tech, with its column headers. */
export function AdminTable(props: {
  label: string;
  columns: readonly string[];
  busy?: boolean;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table
        className={props.className ? `admin-table ${props.className}` : 'admin-table'}
        aria-label={props.label}
        aria-busy={props.busy}
      >
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
