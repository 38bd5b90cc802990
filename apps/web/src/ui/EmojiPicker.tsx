import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import {
  addRecent,
  buildEmojiIndex,
  gridMove,
  readRecent,
  readTone,
  recentRow,
  saveRecent,
  saveTone,
  searchEmoji,
  SKIN_TONES,
  withTone,
  type EmojiIndex,
  type EmojiStorage,
  type PickerEmoji,
  type SkinTone,
} from '../util/emoji';

/**
 * The emoji picker: the whole Unicode set from emojibase, with categories, search by name, tag and
 * shortcode, skin tones and recently used. Loaded lazily (React.lazy) with the first "Add
 * reaction", and its data (~0.6 MB of JSON) lazily again from here, so neither is in the main
 * bundle. Why not emoji-picker-react: it styles itself by injecting <style> elements at run time,
 * which the front door's CSP (`style-src 'self'`) refuses; this one is styled by styles.css only
 * and uses no `style` attributes (refused by the same policy). Native emoji only: no images.
 */

/** Cells per grid row; the same number is in styles.css (`.emoji-grid`). */
const COLUMNS = 8;
const RECENT_TAB = 'recent';

let loading: Promise<EmojiIndex> | undefined;

/** The data, fetched once per page; a failed fetch can be retried. */
function loadIndex(): Promise<EmojiIndex> {
  loading ??= Promise.all([
    import('emojibase-data/en/compact.json'),
    import('emojibase-data/en/shortcodes/iamcal.json'),
  ]).then(
    ([data, codes]) => buildEmojiIndex(data.default, codes.default),
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** localStorage, or nothing where the browser refuses it (then the picker just forgets). */
function storage(): EmojiStorage {
  try {
    return window.localStorage;
  } catch {
    return { getItem: () => null, setItem: () => undefined };
  }
}

interface Cell {
  emoji: string;
  label: string;
  code?: string;
}

export default function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  const [index, setIndex] = useState<EmojiIndex | null>(null);
  const [failed, setFailed] = useState(false);
  const [query, setQuery] = useState('');
  const [tab, setTab] = useState(RECENT_TAB);
  const [tone, setTone] = useState<SkinTone>(() => readTone(storage()));
  const [recent, setRecent] = useState<string[]>([]);
  /** The grid cell that takes Tab focus (roving tabindex) and is previewed. */
  const [active, setActive] = useState(0);
  const [preview, setPreview] = useState<Cell | null>(null);
  const search = useRef<HTMLInputElement>(null);
  const grid = useRef<HTMLDivElement>(null);
  const tabs = useRef<HTMLDivElement>(null);
  const id = useId();

  const load = useCallback(() => {
    setFailed(false);
    let live = true;
    loadIndex().then(
      (ix) => {
        if (!live) return;
        setIndex(ix);
        setRecent(readRecent(storage(), ix));
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, []);
  useEffect(load, [load]);

  const q = query.trim();
  const cells: Cell[] = useMemo(() => {
    if (!index) return [];
    const entryCell = (e: PickerEmoji): Cell => ({
      ...withTone(e, tone),
      code: e.shortcodes[0],
    });
    if (q) return searchEmoji(index, q).map(entryCell);
    if (tab === RECENT_TAB) {
      return recentRow(index, recent, tone).map((c) => ({
        ...c,
        code: index.forms.get(c.emoji)?.entry.shortcodes[0],
      }));
    }
    return (index.categories.find((c) => c.key === tab)?.emoji ?? []).map(entryCell);
  }, [index, q, tab, recent, tone]);

  useEffect(() => {
    setActive(0);
    setPreview(null);
    grid.current?.scrollTo?.({ top: 0 });
  }, [q, tab]);

  const pick = (emoji: string) => {
    const next = addRecent(recent, emoji);
    setRecent(next);
    saveRecent(storage(), next);
    onPick(emoji);
  };

  const focusCell = (n: number) => {
    setActive(n);
    setPreview(cells[n] ?? null);
    grid.current?.querySelectorAll<HTMLButtonElement>('.emoji-cell')[n]?.focus();
  };

  const onGridKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = Math.min(active, cells.length - 1);
    const next = gridMove(at, e.key, cells.length, COLUMNS);
    if (next === undefined) return;
    e.preventDefault();
    if (next < 0) search.current?.focus();
    else focusCell(next);
  };

  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' && cells.length > 0) {
      e.preventDefault();
      focusCell(0);
    } else if (e.key === 'Enter' && cells.length > 0) {
      // Slack's habit: type a name, Enter reacts with the best match.
      e.preventDefault();
      pick(cells[0].emoji);
    }
  };

  const tabKeys = [RECENT_TAB, ...(index?.categories.map((c) => c.key) ?? [])];
  const chooseTab = (key: string) => {
    setTab(key);
    setQuery('');
  };
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = tabKeys.indexOf(tab);
    const next = gridMove(at, e.key, tabKeys.length, tabKeys.length);
    if (next === undefined || next < 0 || e.key === 'ArrowDown') return;
    e.preventDefault();
    chooseTab(tabKeys[next]);
    tabs.current?.querySelectorAll<HTMLButtonElement>('[role="tab"]')[next]?.focus();
  };

  const chooseTone = (t: SkinTone) => {
    setTone(t);
    saveTone(storage(), t);
  };

  const category = index?.categories.find((c) => c.key === tab);
  const gridLabel = q ? 'Search results' : (category?.label ?? 'Recently used');
  const shown = preview ?? cells[Math.min(active, cells.length - 1)];

  return (
    <div className="emoji-picker">
      <label className="sr-only" htmlFor={`${id}-q`}>
        Search emoji
      </label>
      <input
        id={`${id}-q`}
        ref={search}
        type="search"
        placeholder="Search emoji"
        autoComplete="off"
        value={query}
        autoFocus
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onSearchKey}
      />
      <div
        className="emoji-tabs"
        role="tablist"
        aria-label="Emoji categories"
        ref={tabs}
        onKeyDown={onTabKey}
      >
        {[{ key: RECENT_TAB, label: 'Recently used', icon: '🕘' }, ...(index?.categories ?? [])].map((c) => (
          <button
            key={c.key}
            id={`${id}-tab-${c.key}`}
            type="button"
            role="tab"
            className="emoji-tab"
            aria-selected={!q && tab === c.key}
            aria-controls={`${id}-panel`}
            tabIndex={tab === c.key ? 0 : -1}
            title={c.label}
            aria-label={c.label}
            onClick={() => chooseTab(c.key)}
          >
            <span aria-hidden="true">{c.icon}</span>
          </button>
        ))}
      </div>
      <div id={`${id}-panel`} role="tabpanel" aria-label={gridLabel} className="emoji-panel">
        <p className="emoji-section-title" aria-hidden="true">
          {gridLabel}
        </p>
        <div className="emoji-grid" role="group" aria-label={gridLabel} ref={grid} onKeyDown={onGridKey}>
          {!index && !failed && <p className="muted pad">Loading emoji…</p>}
          {failed && (
            <p className="muted pad" role="alert">
              Could not load emoji.{' '}
              <button type="button" className="link-btn" onClick={load}>
                Retry
              </button>
            </p>
          )}
          {index && q && cells.length === 0 && <p className="muted pad">No emoji match “{query}”.</p>}
          {cells.map((c, n) => (
            <button
              key={c.emoji}
              type="button"
              className="emoji-cell"
              title={c.code ? `${c.label} :${c.code}:` : c.label}
              aria-label={`React with ${c.label}`}
              tabIndex={n === Math.min(active, cells.length - 1) ? 0 : -1}
              onClick={() => pick(c.emoji)}
              onFocus={() => {
                setActive(n);
                setPreview(c);
              }}
              onMouseEnter={() => setPreview(c)}
            >
              {c.emoji}
            </button>
          ))}
        </div>
        <p className="sr-only" aria-live="polite">
          {index && q ? `${cells.length} emoji found` : ''}
        </p>
      </div>
      <div className="emoji-footer">
        <p className="emoji-preview" aria-hidden="true">
          {shown && (
            <>
              <span className="emoji-preview-glyph">{shown.emoji}</span>
              <span className="emoji-preview-name">
                {shown.label}
                {shown.code && <span className="muted"> :{shown.code}:</span>}
              </span>
            </>
          )}
        </p>
        <div className="emoji-tones" role="group" aria-label="Skin tone">
          {SKIN_TONES.map((t) => (
            <button
              key={t.tone}
              type="button"
              className="emoji-tone"
              aria-pressed={tone === t.tone}
              aria-label={t.label}
              title={t.label}
              onClick={() => chooseTone(t.tone)}
            >
              <span aria-hidden="true">{t.sample}</span>
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}
