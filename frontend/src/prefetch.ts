// The panel's first two requests (its options and the insights of the default pickers), sent as soon as Home
// Assistant's websocket is authenticated, before Home Assistant's own frontend has built the page or created the
// panel's element: started when the bundle is evaluated (a no-op if already started). The element takes the answers
// once, if it asks the same question soon enough; otherwise it asks itself. (A preloader Home Assistant would import
// on every page to start this earlier was measured and left out: evaluating the bundle while Home Assistant's frontend
// boots delayed Home Assistant's own start more than it saved; see bench/README.md.)
//
// Home Assistant's frontend publishes its connection promise as `window.hassConnection` (its core entry point, which
// is also where it starts its own first requests); `window.hassConnectionReady` is called with it when set later.
import type { Insights, InsightsOptions, InsightsQuery } from "./api.js";

/** The panel's address: PANEL_URL_PATH in custom_components/spinstack/panel.py. */
export const PANEL_PATH = "/spinstack";
/** The first question the panel asks: the default period (DEFAULT_PERIOD in spinstack-panel.ts), no filters. Home
 * Assistant keeps its answer ready (PANEL_FIRST_REQUEST in custom_components/spinstack/__init__.py). */
export const FIRST_QUERY: InsightsQuery = { period: "month" };
/** Answers older than this (from when they were asked) are not used: the panel asks afresh. */
const FRESH_MS = 30_000;
const KEY = Symbol.for("spinstack.prefetch");
const ANSWER = Symbol.for("spinstack.prefetch.answer");

interface Connection {
  sendMessagePromise<T>(message: { type: string; [key: string]: unknown }): Promise<T>;
}
type HassConnection = Promise<{ conn: Connection }>;

export interface Prefetched {
  query: InsightsQuery;
  sentAt: number;
  options: Promise<InsightsOptions>;
  insights: Promise<Insights>;
}

interface PrefetchWindow {
  hassConnection?: HassConnection;
  hassConnectionReady?: (connection: HassConnection) => void;
  /** undefined: never started; null: started and not sent yet, or already taken. */
  [KEY]?: Prefetched | null;
  /** The prefetched insights, whether taken or not (for warming the charts up before the element exists). */
  [ANSWER]?: Promise<Insights>;
}

const scope = (): PrefetchWindow => window as unknown as PrefetchWindow;

export function onPanelPage(): boolean {
  const path = location.pathname;
  return path === PANEL_PATH || path.startsWith(`${PANEL_PATH}/`);
}

/** Sends the first requests once Home Assistant's connection is up, if the page is the panel's (once per page). */
export function prefetch(): void {
  const w = scope();
  if (w[KEY] !== undefined || !onPanelPage()) return;
  w[KEY] = null;
  const connection: HassConnection =
    w.hassConnection ??
    new Promise((resolve) => {
      const previous = w.hassConnectionReady;
      w.hassConnectionReady = (ready) => {
        previous?.(ready);
        resolve(ready);
      };
    });
  w[ANSWER] = connection.then(
    ({ conn }) => {
      const options = conn.sendMessagePromise<InsightsOptions>({ type: "spinstack/insights/options" });
      const insights = conn.sendMessagePromise<Insights>({ type: "spinstack/insights", ...FIRST_QUERY });
      // A failure is reported by the element, which asks again.
      options.catch(() => undefined);
      insights.catch(() => undefined);
      w[KEY] = { query: FIRST_QUERY, sentAt: performance.now(), options, insights };
      performance.mark("spinstack-prefetch");
      return insights;
    },
  );
  w[ANSWER].then(() => performance.mark("spinstack-prefetched")).catch(() => undefined);
}

/** The prefetched insights (of FIRST_QUERY), if this page prefetched them: for warm-ups, not for showing. */
export function prefetchedAnswer(): Promise<Insights> | null {
  return scope()[ANSWER] ?? null;
}

/** The prefetched answers, if they were asked for `query` and recently enough; each is handed out only once. */
export function takePrefetched(query: InsightsQuery | null): Prefetched | null {
  const w = scope();
  const prefetched = w[KEY];
  if (!prefetched) return null;
  w[KEY] = null;
  if (!query || JSON.stringify(query) !== JSON.stringify(prefetched.query)) return null;
  if (performance.now() - prefetched.sentAt > FRESH_MS) return null;
  return prefetched;
}
