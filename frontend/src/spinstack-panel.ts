// SpinStack's "Listening Insights" sidebar panel. Home Assistant's panel_custom loads this module and sets `hass`,
// `narrow`, `route` and `panel` on <spinstack-panel>. The websocket contract is frontend/API.md.
//
// For tests: `data-ready` on the host is "false" while a request is in flight and "true" once every card (or the
// empty or error state) is rendered; `insights` is the last response; `charts` maps a card name to its ECharts
// instance (`charts.calendar.getOption()`); performance.mark("spinstack-ready") is set the first time.
//
// The first render, fastest first: once this bundle is evaluated it sends the first requests as soon as the websocket
// is up (prefetch.ts), and draws each chart once off screen in idle time (warmUp below). When Home Assistant creates
// the element, the answers are usually in and ECharts' code is warm.
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from "lit";
import type {
  Drill,
  HomeAssistant,
  Insights,
  InsightsOptions,
  InsightsQuery,
  PanelInfo,
  PeriodName,
  Play,
  PlaysResponse,
} from "./api.js";
import {
  breakdownChart,
  calendarChart,
  discoveryChart,
  genresChart,
  heatmapChart,
  init,
  topChart,
  type ChartSpec,
  type DrillTarget,
  type ECharts,
  type TopTab,
} from "./charts.js";
import {
  addDays,
  formatBucket,
  formatDay,
  formatDuration,
  formatNumber,
  formatPercent,
  formatTime,
  serviceName,
  todayIn,
  weekdayNames,
} from "./format.js";
import { onPanelPage, prefetch, prefetchedAnswer, takePrefetched } from "./prefetch.js";
import { styles } from "./styles.js";
import { readTheme, type ChartTheme } from "./theme.js";

// The bundle is evaluated: the first requests go out now.
if (!performance.getEntriesByName("spinstack-module").length) performance.mark("spinstack-module");
prefetch();

/** Set when an element first draws its charts: a warm-up not done by then is dropped. */
let drawing = false;

/**
 * While Home Assistant's frontend boots (mostly waiting on the network), each chart is drawn once off screen with
 * the prefetched insights, one chart per idle period, and thrown away: the element's own first render then runs
 * ECharts' code compiled and warm instead of compiling it on the spot.
 */
function warmUp(): void {
  const answer = prefetchedAnswer();
  if (!answer || typeof requestIdleCallback !== "function") return;
  answer.then(
    (data) => {
      const steps: ((ctx: Parameters<typeof topChart>[2]) => ChartSpec | null)[] = [
        (ctx) => topChart(data, "artists", ctx),
        (ctx) => calendarChart(data, ctx),
        (ctx) => heatmapChart(data, ctx),
        (ctx) => breakdownChart(data, ctx),
        (ctx) => discoveryChart(data, ctx),
        (ctx) => genresChart(data, ctx),
      ];
      let ctx: Parameters<typeof topChart>[2] | null = null;
      const step = () => {
        const build = steps.shift();
        if (drawing || !build || !document.body) return;
        ctx ??= {
          theme: readTheme(document.body, matchMedia("(prefers-color-scheme: dark)").matches),
          lang: navigator.language || "en",
          narrow: false,
          today: todayIn(undefined),
        };
        const host = document.createElement("div");
        try {
          const spec = build(ctx);
          if (spec) {
            host.style.cssText = "position:fixed;left:-10000px;top:0;width:600px;height:300px;visibility:hidden";
            document.body.append(host);
            const chart = init(host, null, { renderer: "canvas", width: 600, height: 300 });
            // Thrown away once drawn: disposed after ECharts says it finished (painting may take another frame).
            chart.on("finished", () => {
              setTimeout(() => {
                chart.dispose();
                host.remove();
              });
            });
            chart.setOption({ ...spec.option, animation: false }, { notMerge: true, lazyUpdate: false });
          }
        } catch {
          steps.length = 0; // only a warm-up: the element draws (and reports) for itself
          host.remove();
        }
        if (steps.length) requestIdleCallback(step);
        else performance.mark("spinstack-warm");
      };
      requestIdleCallback(step);
    },
    () => undefined,
  );
}
if (onPanelPage()) warmUp();

export type ChartName = "top" | "calendar" | "heatmap" | "breakdown" | "discovery" | "genres";

const PERIOD_LABELS: Record<PeriodName, string> = {
  today: "Today",
  week: "This week",
  month: "This month",
  year: "This year",
  all: "All time",
  custom: "Custom",
};
const PERIODS: PeriodName[] = ["today", "week", "month", "year", "all", "custom"];
const DEFAULT_PERIOD: PeriodName = "month";
const PLAYS_LIMIT = 100;
const PLAYS_LIMIT_MAX = 500;
/** "On this day" lists the latest years first; the rest behind a button. */
const ON_THIS_DAY_SHOWN = 5;
const GENRES_MISSING = "No genre data yet: genres come from the metadata plugins.";

// Material Design Icons paths (menu, close, music-note-off, alert-circle-outline).
const ICON_MENU = "M3,6H21V8H3V6M3,11H21V13H3V11M3,16H21V18H3V16Z";
const ICON_CLOSE =
  "M19,6.41L17.59,5L12,10.59L6.41,5L5,6.41L10.59,12L5,17.59L6.41,19L12,13.41L17.59,19L19,17.59L13.41,12L19,6.41Z";
const ICON_EMPTY =
  "M12,3V12.26C11.5,12.09 11,12 10.5,12C8,12 6,14 6,16.5C6,19 8,21 10.5,21C13,21 15,19 15,16.5V6H19V3H12M2.39,1.73L1.11,3L9.5,11.39C7.46,12.06 6,13.96 6,16.2L21,21.11L22.27,19.84L2.39,1.73Z";
const ICON_ERROR =
  "M11,15H13V17H11V15M11,7H13V13H11V7M12,2C6.47,2 2,6.5 2,12A10,10 0 0,0 12,22A10,10 0 0,0 22,12A10,10 0 0,0 12,2M12,20A8,8 0 0,1 4,12A8,8 0 0,1 12,4A8,8 0 0,1 20,12A8,8 0 0,1 12,20Z";

const icon = (path: string) =>
  html`<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d=${path}></path></svg>`;

interface SheetState {
  target: DrillTarget;
  query: InsightsQuery;
  limit: number;
  loading: boolean;
  error: string | null;
  plays: Play[];
  truncated: boolean;
}

/** A websocket error's message (Home Assistant rejects with {code, message}), or whatever was thrown, as text. */
function errorMessage(err: unknown): string {
  if (err && typeof err === "object" && "message" in err && typeof err.message === "string" && err.message)
    return err.message;
  if (err && typeof err === "object" && "code" in err) return `Error: ${String(err.code)}`;
  return String(err ?? "Unknown error");
}

export class SpinStackPanel extends LitElement {
  static override styles = styles;

  static override properties = {
    hass: { attribute: false },
    narrow: { type: Boolean, reflect: true },
    route: { attribute: false },
    panel: { attribute: false },
    insights: { attribute: false },
    _options: { state: true },
    _period: { state: true },
    _room: { state: true },
    _service: { state: true },
    _start: { state: true },
    _end: { state: true },
    _loading: { state: true },
    _error: { state: true },
    _topTab: { state: true },
    _sheet: { state: true },
    _allYears: { state: true },
  };

  declare hass?: HomeAssistant;
  declare narrow: boolean;
  declare route?: unknown;
  declare panel?: PanelInfo;
  /** The last `spinstack/insights` response (null before the first one). */
  declare insights: Insights | null;

  /** Card name -> its ECharts instance, for tests (`charts.heatmap.getOption().series[0].data`). */
  readonly charts: Partial<Record<ChartName, ECharts>> = {};

  declare private _options: InsightsOptions | null;
  declare private _period: PeriodName;
  declare private _room: string;
  declare private _service: string;
  declare private _start: string;
  declare private _end: string;
  declare private _loading: boolean;
  declare private _error: string | null;
  declare private _topTab: TopTab;
  declare private _sheet: SheetState | null;
  declare private _allYears: boolean;

  private _seq = 0;
  private _sheetSeq = 0;
  private _entryId: string | undefined = undefined;
  private _started = false;
  private _lastQuery: InsightsQuery | null = null;
  private _chartsDirty = false;
  private _theme: ChartTheme | null = null;
  private _themeKey = "";
  private _drills: Partial<Record<ChartName, ChartSpec["drillAt"]>> = {};
  private _resizeObserver: ResizeObserver | null = null;
  private _resizeFrame = 0;
  private _marked = false;

  constructor() {
    super();
    this.narrow = false;
    this.insights = null;
    this._options = null;
    this._period = DEFAULT_PERIOD;
    this._room = "";
    this._service = "";
    this._start = "";
    this._end = "";
    this._loading = false;
    this._error = null;
    this._topTab = "artists";
    this._allYears = false;
    this._sheet = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Phases of the first render, for the benchmark: the element exists (Home Assistant and the bundle loaded),
    // the data arrived (spinstack-data), every card drawn (spinstack-ready).
    if (!performance.getEntriesByName("spinstack-connected").length) performance.mark("spinstack-connected");
    if (!this.hasAttribute("data-ready")) this.setAttribute("data-ready", "false");
    this._resizeObserver = new ResizeObserver(() => {
      cancelAnimationFrame(this._resizeFrame);
      this._resizeFrame = requestAnimationFrame(() => {
        for (const chart of Object.values(this.charts)) if (chart && !chart.isDisposed()) chart.resize();
      });
    });
    // Charts survive a detach (Home Assistant keeps a panel when another one is shown); observe them again.
    this.renderRoot?.querySelectorAll?.(".chart").forEach((el) => this._resizeObserver?.observe(el));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._resizeObserver?.disconnect();
    this._resizeObserver = null;
    cancelAnimationFrame(this._resizeFrame);
  }

  private get _lang(): string {
    return this.hass?.locale?.language || this.hass?.language || navigator.language || "en";
  }

  private get _timeZone(): string | undefined {
    return this._options?.timezone || this.hass?.config?.time_zone || undefined;
  }

  // ---------------------------------------------------------------- data

  /**
   * Home Assistant sets a new `hass` on every state change in the house; only its theme and language matter here,
   * so a `hass` that differs in nothing else renders nothing.
   */
  protected override shouldUpdate(changed: PropertyValues<this>): boolean {
    if (changed.size !== 1 || !changed.has("hass") || !this._started) return true;
    const old = changed.get("hass") as HomeAssistant | undefined;
    const now = this.hass;
    return (
      !old ||
      !now ||
      old.themes?.darkMode !== now.themes?.darkMode ||
      old.themes?.theme !== now.themes?.theme ||
      old.locale?.language !== now.locale?.language ||
      old.language !== now.language
    );
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("hass") || changed.has("panel")) {
      const entryId = this.panel?.config?.entry_id || undefined;
      if (this.hass && (!this._started || entryId !== this._entryId)) {
        this._started = true;
        this._entryId = entryId;
        void this._loadOptions();
      }
    }
    if (changed.has("hass")) {
      const dark = Boolean(this.hass?.themes?.darkMode);
      this.toggleAttribute("dark", dark);
      const key = `${dark}|${this.hass?.themes?.theme ?? ""}`;
      if (key !== this._themeKey) {
        const first = this._themeKey === "";
        this._themeKey = key;
        if (!first) {
          // Home Assistant applies the theme's variables around the same time; read them once they are in place.
          this._theme = null;
          this._chartsDirty = true;
          requestAnimationFrame(() => {
            this._theme = null;
            this._chartsDirty = true;
            this.requestUpdate();
          });
        }
      }
    }
  }

  private _withEntry<T extends object>(message: T): T & { entry_id?: string } {
    return this._entryId ? { ...message, entry_id: this._entryId } : message;
  }

  private async _loadOptions(): Promise<void> {
    const hass = this.hass;
    if (!hass) return;
    const seq = ++this._seq;
    this._setLoading(true);
    // The first time, the insights of the default pickers are asked for together with the options (one round
    // trip instead of two); they are used if the pickers are still the same once the options are in. The page may
    // have asked both already (prefetch.ts), before this element existed.
    const early = this.insights ? null : this._query();
    const prefetched = takePrefetched(early);
    const pending = prefetched
      ? prefetched.insights
      : early
        ? hass.callWS<Insights>({ type: "spinstack/insights", ...early })
        : null;
    pending?.catch(() => undefined); // an early failure is reported by the request made again below
    const askOptions = () => hass.callWS<InsightsOptions>(this._withEntry({ type: "spinstack/insights/options" }));
    try {
      const options = prefetched ? await prefetched.options.catch(askOptions) : await askOptions();
      if (seq !== this._seq) return;
      this._options = options;
      if (options.periods?.length && !options.periods.includes(this._period)) this._period = options.periods[0]!;
      if (this._room && !options.rooms.includes(this._room)) this._room = "";
      if (this._service && !options.services.includes(this._service)) this._service = "";
      const same = early !== null && JSON.stringify(early) === JSON.stringify(this._query());
      void this._fetch(same ? pending : null);
    } catch (err) {
      if (seq !== this._seq) return;
      this._error = errorMessage(err);
      this._setLoading(false);
    }
  }

  private _query(): InsightsQuery | null {
    const query: InsightsQuery = { period: this._period };
    if (this._entryId) query.entry_id = this._entryId;
    if (this._period === "custom") {
      if (!this._start || !this._end || this._start > this._end) return null;
      query.start = this._start;
      query.end = this._end;
    }
    if (this._room) query.rooms = [this._room];
    if (this._service) query.services = [this._service];
    return query;
  }

  private _setLoading(loading: boolean): void {
    this._loading = loading;
    if (loading) this.setAttribute("data-ready", "false");
  }

  /** One `spinstack/insights` call with every view; a newer call makes an older answer moot. */
  private async _fetch(pending: Promise<Insights> | null = null): Promise<void> {
    const hass = this.hass;
    const query = this._query();
    if (!hass || !this._options) return;
    if (!query) {
      // Custom range not complete or inverted: nothing to ask; the pickers say why.
      this._seq++;
      this._setLoading(false);
      this.requestUpdate();
      return;
    }
    const seq = ++this._seq;
    this._setLoading(true);
    try {
      let insights: Insights;
      try {
        insights = await (pending ?? hass.callWS<Insights>({ type: "spinstack/insights", ...query }));
      } catch (err) {
        if (!pending) throw err;
        insights = await hass.callWS<Insights>({ type: "spinstack/insights", ...query });
      }
      if (seq !== this._seq) return;
      if (!performance.getEntriesByName("spinstack-data").length) performance.mark("spinstack-data");
      this._lastQuery = query;
      this.insights = insights;
      this._error = null;
      this._chartsDirty = true;
    } catch (err) {
      if (seq !== this._seq) return;
      this._error = errorMessage(err);
      this._chartsDirty = true; // the cards are gone: their charts are disposed
    }
    this._setLoading(false);
  }

  private async _loadPlays(target: DrillTarget, limit = PLAYS_LIMIT): Promise<void> {
    const hass = this.hass;
    const query = this._lastQuery;
    if (!hass || !query) return;
    const seq = ++this._sheetSeq;
    // Asking for more of the same plays keeps the ones shown while the longer list loads.
    const keep = this._sheet && this._sheet.target === target ? this._sheet.plays : [];
    this._sheet = { target, query, limit, loading: true, error: null, plays: keep, truncated: false };
    try {
      const res = await hass.callWS<PlaysResponse>({
        type: "spinstack/insights/plays",
        ...query,
        drill: target.drill,
        limit,
      });
      if (seq !== this._sheetSeq || !this._sheet) return;
      this._sheet = { ...this._sheet, loading: false, plays: res.plays, truncated: res.truncated };
    } catch (err) {
      if (seq !== this._sheetSeq || !this._sheet) return;
      this._sheet = { ...this._sheet, loading: false, error: errorMessage(err) };
    }
  }

  /** Opens the plays sheet for a drill (what a click on a bar, cell or slice does). Public for tests and demos. */
  showPlays(drill: Drill, title?: string): void {
    void this._loadPlays({ drill, title: title ?? this._drillTitle(drill) });
  }

  private _drillTitle(drill: Drill): string {
    if ("day" in drill) return formatBucket(drill.day, this._lang, true);
    if ("month" in drill) return formatBucket(drill.month, this._lang, true);
    if ("service" in drill) return serviceName(drill.service);
    if ("room" in drill) return drill.room;
    if ("weekday" in drill) {
      const hour = (h: number) => `${String(h % 24).padStart(2, "0")}:00`;
      return `${weekdayNames(this._lang, "long")[drill.weekday] ?? ""}, ${hour(drill.hour)}–${hour(drill.hour + 1)}`;
    }
    const top = this.insights?.top;
    if ("artist_id" in drill) {
      const artists = [...(top?.artists ?? []), ...(this.insights?.discovery?.new_artists ?? []), ...(this.insights?.comebacks ?? [])];
      return artists.find((a) => a.artist_id === drill.artist_id)?.artist ?? "Plays";
    }
    if ("track_id" in drill) {
      const t = top?.tracks.find((x) => x.track_id === drill.track_id);
      return t ? `${t.artist} – ${t.title}` : "Plays";
    }
    const a = top?.albums.find((x) => x.album_id === drill.album_id);
    return a ? `${a.album} (${a.artist})` : "Plays";
  }

  closePlays(): void {
    this._sheetSeq++;
    const dialog = this.renderRoot.querySelector("dialog");
    if (dialog?.open) dialog.close();
    this._sheet = null;
  }

  // ---------------------------------------------------------------- pickers

  private _onPeriod(ev: Event): void {
    const period = (ev.target as HTMLSelectElement).value as PeriodName;
    this._period = period;
    if (period === "custom" && (!this._start || !this._end)) {
      const today = todayIn(this._timeZone);
      this._end = today;
      this._start = addDays(today, -29);
    }
    void this._fetch();
  }

  private _onRoom(ev: Event): void {
    this._room = (ev.target as HTMLSelectElement).value;
    void this._fetch();
  }

  private _onService(ev: Event): void {
    this._service = (ev.target as HTMLSelectElement).value;
    void this._fetch();
  }

  private _onDate(which: "start" | "end", ev: Event): void {
    const value = (ev.target as HTMLInputElement).value;
    if (which === "start") this._start = value;
    else this._end = value;
    void this._fetch();
  }

  private _toggleMenu(): void {
    this.dispatchEvent(new CustomEvent("hass-toggle-menu", { bubbles: true, composed: true }));
  }

  // ---------------------------------------------------------------- rendering

  protected override render(): TemplateResult {
    return html`
      <header class="toolbar">
        ${this.narrow
          ? html`<button class="icon-button menu" aria-label="Open the sidebar" title="Menu" @click=${this._toggleMenu}>
              ${icon(ICON_MENU)}
            </button>`
          : nothing}
        <h1>Listening Insights</h1>
      </header>
      <main class="content">
        ${this._options ? this._renderFilters() : nothing}
        ${this._renderBody()}
      </main>
      ${this._sheet ? this._renderSheet(this._sheet) : nothing}
    `;
  }

  private _renderFilters(): TemplateResult {
    const options = this._options!;
    const periods = options.periods?.length ? PERIODS.filter((p) => options.periods.includes(p)) : PERIODS;
    const today = todayIn(this._timeZone);
    const firstDay =
      options.first_played != null ? todayIn(this._timeZone, new Date(options.first_played * 1000)) : undefined;
    const invalid = this._period === "custom" && this._start && this._end && this._start > this._end;
    const period = this.insights?.period;
    return html`
      <div class="filters" role="group" aria-label="Filters">
        <label class="field">
          <span>Period</span>
          <select data-testid="period-select" .value=${this._period} @change=${this._onPeriod}>
            ${periods.map(
              (p) => html`<option value=${p} ?selected=${p === this._period}>${PERIOD_LABELS[p] ?? p}</option>`,
            )}
          </select>
        </label>
        ${this._period === "custom"
          ? html`
              <label class="field">
                <span>From</span>
                <input
                  type="date"
                  data-testid="custom-start"
                  .value=${this._start}
                  min=${firstDay ?? nothing}
                  max=${this._end || today}
                  required
                  @change=${(ev: Event) => this._onDate("start", ev)}
                />
              </label>
              <label class="field">
                <span>To</span>
                <input
                  type="date"
                  data-testid="custom-end"
                  .value=${this._end}
                  min=${this._start || firstDay || nothing}
                  max=${today}
                  required
                  @change=${(ev: Event) => this._onDate("end", ev)}
                />
              </label>
            `
          : nothing}
        <label class="field">
          <span>Room</span>
          <select data-testid="room-select" .value=${this._room} @change=${this._onRoom}>
            <option value="" ?selected=${this._room === ""}>All rooms</option>
            ${options.rooms.map((r) => html`<option value=${r} ?selected=${r === this._room}>${r}</option>`)}
          </select>
        </label>
        <label class="field">
          <span>Service</span>
          <select data-testid="service-select" .value=${this._service} @change=${this._onService}>
            <option value="" ?selected=${this._service === ""}>All services</option>
            ${options.services.map(
              (s) => html`<option value=${s} ?selected=${s === this._service}>${serviceName(s)}</option>`,
            )}
          </select>
        </label>
        ${period && !invalid ? html`<div class="range" aria-live="polite">${this._rangeText(period)}</div>` : nothing}
        ${invalid ? html`<div class="invalid" role="alert">The start date must not be after the end date.</div>` : nothing}
      </div>
    `;
  }

  private _rangeText(period: Insights["period"]): string {
    const first = formatDay(period.first_day, this._lang);
    return period.first_day === period.last_day ? first : `${first} – ${formatDay(period.last_day, this._lang)}`;
  }

  private _renderBody(): TemplateResult {
    if (this._error && !this._loading) {
      return html`<div class="state error" data-testid="state-error" role="alert">
        ${icon(ICON_ERROR)}
        <div class="title">Couldn't load your listening insights</div>
        <div class="message">${this._error}</div>
        <button class="button" @click=${() => (this._options ? this._fetch() : this._loadOptions())}>Retry</button>
      </div>`;
    }
    const data = this.insights;
    if (!data) {
      if (this._loading || !this._options) return this._renderSkeleton();
      return html``;
    }
    const progress = this._loading
      ? html`<div class="progress" data-testid="state-loading" role="progressbar" aria-label="Loading"></div>`
      : nothing;
    if ((data.summary?.plays ?? 0) === 0) {
      return html`${progress}
        <div class="state" data-testid="state-empty">
          ${icon(ICON_EMPTY)}
          <div class="title">No plays in this period</div>
          <div>Try a longer period, or another room or service.</div>
        </div>`;
    }
    return html`${progress}
      <div class="grid ${this._loading ? "stale" : ""}" aria-busy=${this._loading ? "true" : "false"}>
        ${this._renderSummary(data)} ${this._renderTop(data)} ${this._renderCalendar(data)}
        ${this._renderHeatmap(data)} ${this._renderBreakdown(data)} ${this._renderDiscovery(data)}
        <div class="stack">${this._renderStreaks(data)} ${this._renderComebacks(data)}</div>
        ${this._renderGenres(data)} ${this._renderOnThisDay(data)}
      </div>`;
  }

  private _renderSkeleton(): TemplateResult {
    const card = html`<div class="card skeleton" aria-hidden="true">
      <div class="bar" style="width: 40%"></div>
      <div class="bar block"></div>
    </div>`;
    return html`<div data-testid="state-loading" role="progressbar" aria-label="Loading your listening insights">
      <div class="grid">${card}${card}${card}${card}${card}${card}</div>
    </div>`;
  }

  private _card(
    name: string,
    title: string,
    body: TemplateResult | typeof nothing,
    extra: { cls?: string; hint?: string; header?: TemplateResult } = {},
  ): TemplateResult {
    return html`<section class="card ${extra.cls ?? ""}" data-testid="card-${name}" aria-label=${title}>
      <div class="card-header">
        <h2>${title}</h2>
        ${extra.header ?? (extra.hint ? html`<span class="hint">${extra.hint}</span>` : nothing)}
      </div>
      ${body}
    </section>`;
  }

  private _chart(name: ChartName, label: string): TemplateResult {
    return html`<div class="chart ${name}" data-chart=${name} role="img" aria-label=${label}></div>`;
  }

  private _renderSummary(data: Insights): TemplateResult {
    const s = data.summary ?? { plays: 0, heard: 0, active_days: 0 };
    const lang = this._lang;
    const perDay = s.active_days ? formatDuration(s.heard / s.active_days) : null;
    // The leaders of the other views, when the response has them.
    const favourites: [string, string][] = [];
    const artist = data.top?.artists[0];
    const room = data.breakdown?.rooms[0];
    const service = data.breakdown?.services[0];
    if (artist) favourites.push(["Top artist", artist.artist]);
    if (room) favourites.push(["Top room", room.room]);
    if (service) favourites.push(["Top service", serviceName(service.service)]);
    return this._card(
      "summary",
      "Summary",
      html`<div class="stats">
          <div class="stat">
            <span class="value" data-testid="summary-plays" data-value=${s.plays}>${formatNumber(s.plays, lang)}</span>
            <span class="label">Plays</span>
          </div>
          <div class="stat">
            <span
              class="value ${formatDuration(s.heard).length > 7 ? "long" : ""}"
              data-testid="summary-heard"
              data-value=${Math.round(s.heard)}
              >${formatDuration(s.heard)}</span
            >
            <span class="label">Listening time</span>
          </div>
          <div class="stat">
            <span class="value" data-testid="summary-active-days" data-value=${s.active_days}
              >${formatNumber(s.active_days, lang)}</span
            >
            <span class="label">Active days</span>
          </div>
        </div>
        ${perDay
          ? html`<div class="footnote">
              About ${perDay} and ${formatNumber(Math.round(s.plays / s.active_days), lang)} plays a listening day.
            </div>`
          : nothing}
        ${favourites.length
          ? html`<dl class="favourites">
              ${favourites.map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`)}
            </dl>`
          : nothing}`,
    );
  }

  private _renderTop(data: Insights): TemplateResult {
    const tabs: [TopTab, string][] = [
      ["artists", "Artists"],
      ["tracks", "Tracks"],
      ["albums", "Albums"],
    ];
    const list = data.top?.[this._topTab] ?? [];
    const header = html`<div class="tabs" role="tablist" aria-label="Top list">
      ${tabs.map(
        ([tab, label]) =>
          html`<button
            role="tab"
            data-testid="top-tab-${tab}"
            aria-selected=${this._topTab === tab ? "true" : "false"}
            @click=${() => {
              this._topTab = tab;
              this._chartsDirty = true;
            }}
          >
            ${label}
          </button>`,
      )}
    </div>`;
    return this._card(
      "top",
      "Top",
      list.length
        ? this._chart("top", `Top ${this._topTab} by plays`)
        : html`<p class="muted">Nothing to rank in this period.</p>`,
      { header },
    );
  }

  private _renderCalendar(data: Insights): TemplateResult {
    const monthly = data.period.granularity === "month";
    return this._card(
      "calendar",
      monthly ? "Plays per month" : "Plays per day",
      this._chart("calendar", monthly ? "Plays and listening hours per month" : "Plays and listening hours per day"),
      { cls: "wide", hint: "Bars: plays · line: hours" },
    );
  }

  private _renderHeatmap(data: Insights): TemplateResult {
    const cells = data.heatmap ?? [];
    const busiest = cells.reduce<(typeof cells)[number] | null>((best, c) => (!best || c.plays > best.plays ? c : best), null);
    const theme = this._ensureTheme();
    const day = busiest ? (weekdayNames(this._lang, "long")[busiest.weekday] ?? "") : "";
    return this._card(
      "heatmap",
      "When you listen",
      html`${this._chart("heatmap", "Plays by weekday and hour")}
        <div class="heat-foot">
          <span>${busiest ? html`Busiest hour: ${day} ${String(busiest.hour).padStart(2, "0")}:00 (${formatNumber(busiest.plays, this._lang)} plays)` : nothing}</span>
          <span class="ramp" aria-hidden="true"
            >Fewer <i style="background: linear-gradient(90deg, ${theme.heatLow}, ${theme.heatHigh})"></i> More</span
          >
        </div>`,
      { cls: "span2", hint: "Plays by weekday and hour" },
    );
  }

  private _renderBreakdown(data: Insights): TemplateResult {
    const empty = !data.breakdown?.services.length && !data.breakdown?.rooms.length;
    return this._card(
      "breakdown",
      "Services and rooms",
      empty
        ? html`<p class="muted">No plays to break down.</p>`
        : html`<div class="pie-titles" aria-hidden="true"><span>Services</span><span>Rooms</span></div>
            ${this._chart("breakdown", "Plays by service and room")}
            <div class="legends">
              ${this._legend(
                "Services",
                (data.breakdown?.services ?? []).map((x) => ({
                  name: serviceName(x.service),
                  plays: x.plays,
                  target: { drill: { service: x.service }, title: serviceName(x.service) },
                })),
              )}
              ${this._legend(
                "Rooms",
                (data.breakdown?.rooms ?? []).map((x) => ({
                  name: x.room,
                  plays: x.plays,
                  target: { drill: { room: x.room }, title: x.room },
                })),
              )}
            </div>`,
    );
  }

  /** A donut's legend: its slices in the chart's colours, each a button that opens the slice's plays. */
  private _legend(label: string, items: { name: string; plays: number; target: DrillTarget }[]): TemplateResult {
    const palette = this._ensureTheme().palette;
    const total = items.reduce((sum, x) => sum + x.plays, 0) || 1;
    return html`<ul class="legend" aria-label=${label}>
      ${items.map(
        (x, i) => html`<li>
          <button class="link" data-testid="legend-item" @click=${() => this._loadPlays(x.target)}>
            <span class="dot" style="background: ${palette[i % palette.length]}"></span>
            <span class="name">${x.name}</span>
            <span class="pct">${formatPercent(x.plays / total, this._lang)}</span>
          </button>
        </li>`,
      )}
    </ul>`;
  }

  private _renderDiscovery(data: Insights): TemplateResult {
    const d = data.discovery;
    const lang = this._lang;
    if (!d) return this._card("discovery", "Discovery", html`<p class="muted">No discovery data.</p>`);
    const score = d.score == null ? "–" : formatPercent(d.score, lang, d.score > 0 && d.score < 0.1 ? 1 : 0);
    return this._card(
      "discovery",
      "Discovery",
      html`<div class="stats">
          <div class="stat">
            <span class="value accent-value" data-testid="discovery-score" data-value=${d.score ?? ""}>${score}</span>
            <span class="label">Plays of new artists</span>
          </div>
          <div class="stat">
            <span class="value" data-testid="discovery-new-artists" data-value=${d.new_artist_count}
              >${formatNumber(d.new_artist_count, lang)}</span
            >
            <span class="label">New artists</span>
          </div>
          <div class="stat">
            <span class="value" data-testid="discovery-new-tracks" data-value=${d.new_track_count}
              >${formatNumber(d.new_track_count, lang)}</span
            >
            <span class="label">New tracks</span>
          </div>
        </div>
        ${d.new_artists.length
          ? html`<div class="chips" aria-label="New artists">
              ${d.new_artists.map(
                (a) =>
                  html`<button
                    class="chip"
                    data-testid="new-artist"
                    title="First played ${formatTime(a.first_played, lang, this._timeZone)} · ${a.plays} plays"
                    @click=${() => this._loadPlays({ drill: { artist_id: a.artist_id }, title: a.artist })}
                  >
                    ${a.artist}
                  </button>`,
              )}
            </div>`
          : html`<p class="muted">No new artists in this period.</p>`}
        ${d.over_time.length ? this._chart("discovery", "New artists over time") : nothing}`,
    );
  }

  private _renderGenres(data: Insights): TemplateResult {
    const g = data.genres;
    const lang = this._lang;
    if (!g || !g.available) {
      return this._card("genres", "Genres", html`<div class="notice" data-testid="genres-unavailable">${GENRES_MISSING}</div>`);
    }
    return this._card(
      "genres",
      "Genres",
      html`<div class="stats" style="grid-template-columns: repeat(2, minmax(0, 1fr))">
          <div class="stat">
            <span class="value accent-value" data-testid="genres-diversity" data-value=${g.normalized}
              >${formatPercent(g.normalized, lang)}</span
            >
            <span class="label">Diversity (normalized)</span>
          </div>
          <div class="stat">
            <span class="value" data-testid="genres-entropy" data-value=${g.entropy}
              >${formatNumber(Math.round(g.entropy * 100) / 100, lang)}</span
            >
            <span class="label">Entropy (bits)</span>
          </div>
        </div>
        ${g.genres.length ? this._chart("genres", "Plays by genre") : html`<p class="muted">No genres in this period.</p>`}`,
    );
  }

  private _renderStreaks(data: Insights): TemplateResult {
    const s = data.streaks;
    const lang = this._lang;
    const days = (n: number) => (n === 1 ? "day" : "days");
    if (!s) return this._card("streaks", "Streaks", html`<p class="muted">No streak data.</p>`);
    const range =
      s.longest_start && s.longest_end
        ? s.longest_start === s.longest_end
          ? formatDay(s.longest_start, lang)
          : `${formatDay(s.longest_start, lang)} – ${formatDay(s.longest_end, lang)}`
        : "";
    return this._card(
      "streaks",
      "Streaks",
      html`<div class="stats" style="grid-template-columns: repeat(2, minmax(0, 1fr))">
        <div class="stat">
          <span class="value accent-value" data-testid="streak-current" data-value=${s.current}
            >${formatNumber(s.current, lang)} ${days(s.current)}</span
          >
          <span class="label">Current streak</span>
        </div>
        <div class="stat">
          <span class="value" data-testid="streak-longest" data-value=${s.longest}
            >${formatNumber(s.longest, lang)} ${days(s.longest)}</span
          >
          <span class="label">Longest streak${range ? html`<br />${range}` : nothing}</span>
        </div>
      </div>`,
      { hint: "Days in a row with a play" },
    );
  }

  private _renderOnThisDay(data: Insights): TemplateResult {
    const all = data.on_this_day ?? [];
    const years = this._allYears ? all : all.slice(0, ON_THIS_DAY_SHOWN);
    const lang = this._lang;
    const today = todayIn(this._timeZone);
    return this._card(
      "on-this-day",
      "On this day",
      years.length
        ? html`${years.map(
            (y) => html`<div class="year">
              <div class="year-head">${y.year} <span>${formatNumber(y.plays, lang)} ${y.plays === 1 ? "play" : "plays"}</span></div>
              <ol>
                ${y.top.map((t) => html`<li>${t.artist} – ${t.title}${t.plays > 1 ? html` <span>×${t.plays}</span>` : nothing}</li>`)}
              </ol>
            </div>`,
          )}
          ${all.length > ON_THIS_DAY_SHOWN
            ? html`<button class="button more" data-testid="on-this-day-more" @click=${() => (this._allYears = !this._allYears)}>
                ${this._allYears ? "Show fewer years" : `Show all ${all.length} years`}
              </button>`
            : nothing}`
        : html`<p class="muted">Nothing played on this day in earlier years.</p>`,
      { hint: formatBucket(today, lang).replace(/\s\d{4}$/, "") },
    );
  }

  private _renderComebacks(data: Insights): TemplateResult {
    const list = data.comebacks ?? [];
    const lang = this._lang;
    return this._card(
      "comebacks",
      "Old favourites back",
      list.length
        ? html`<ul class="list">
            ${list.map(
              (c) => html`<li>
                <button
                  class="link"
                  data-testid="comeback"
                  @click=${() => this._loadPlays({ drill: { artist_id: c.artist_id }, title: c.artist })}
                >
                  <span class="main">
                    <div class="line1">${c.artist}</div>
                    <div class="line2">back after ${formatNumber(c.gap_days, lang)} days away</div>
                  </span>
                  <span class="badge" title="Plays in this period">${formatNumber(c.plays, lang)}</span>
                </button>
              </li>`,
            )}
          </ul>`
        : html`<p class="muted">No artists came back after six months away.</p>`,
      { hint: "Back after 180+ days" },
    );
  }

  private _renderSheet(sheet: SheetState): TemplateResult {
    const lang = this._lang;
    const tz = this._timeZone;
    const q = sheet.query;
    const scope = [
      q.period === "custom" && q.start && q.end
        ? `${formatDay(q.start, lang)} – ${formatDay(q.end, lang)}`
        : PERIOD_LABELS[q.period],
      ...(q.rooms ?? []),
      ...(q.services ?? []).map(serviceName),
    ].join(" · ");
    return html`<dialog
      data-testid="plays-sheet"
      tabindex="-1"
      aria-labelledby="sheet-title"
      @close=${() => {
        this._sheetSeq++;
        this._sheet = null;
      }}
      @click=${(ev: MouseEvent) => {
        if (ev.target === ev.currentTarget) this.closePlays();
      }}
    >
      <div class="sheet-head">
        <div class="titles">
          <h2 id="sheet-title">${sheet.target.title}</h2>
          <div class="sub">${scope}</div>
        </div>
        <button class="icon-button" data-testid="plays-close" aria-label="Close" title="Close" @click=${this.closePlays}>
          ${icon(ICON_CLOSE)}
        </button>
      </div>
      <div class="sheet-body">
        ${sheet.error
          ? html`<div class="state error" data-testid="plays-error" role="alert">
              ${icon(ICON_ERROR)}
              <div class="message">${sheet.error}</div>
            </div>`
          : nothing}
        ${sheet.loading && !sheet.plays.length
          ? html`<div class="center" data-testid="plays-loading"><div class="spinner"></div></div>`
          : nothing}
        ${!sheet.loading && !sheet.error && !sheet.plays.length ? html`<p class="muted">No plays.</p>` : nothing}
        ${sheet.plays.length
          ? html`<ol class="list" aria-label="Plays, newest first">
              ${sheet.plays.map(
                (p) => html`<li class="play" data-testid="plays-row">
                  <span class="what"><span class="artist">${p.artist}</span> – ${p.title}</span>
                  <time datetime=${new Date(p.started_at * 1000).toISOString()}>${formatTime(p.started_at, lang, tz)}</time>
                  <span class="where">${p.room} · ${serviceName(p.service)}${p.heard ? ` · ${formatDuration(p.heard)}` : ""}</span>
                </li>`,
              )}
            </ol>`
          : nothing}
        ${sheet.plays.length
          ? html`<div class="sheet-foot">
              <span>${sheet.truncated ? `The latest ${sheet.plays.length} plays` : `${sheet.plays.length} ${sheet.plays.length === 1 ? "play" : "plays"}`}</span>
              ${sheet.truncated && sheet.limit < PLAYS_LIMIT_MAX
                ? html`<button
                    class="button"
                    ?disabled=${sheet.loading}
                    @click=${() => this._loadPlays(sheet.target, PLAYS_LIMIT_MAX)}
                  >
                    Show up to ${PLAYS_LIMIT_MAX}
                  </button>`
                : nothing}
            </div>`
          : nothing}
      </div>
    </dialog>`;
  }

  // ---------------------------------------------------------------- charts and readiness

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const dialog = this.renderRoot.querySelector("dialog");
    if (dialog && !dialog.open) {
      dialog.showModal();
      dialog.focus(); // the sheet itself, not its close button: Escape closes it, Tab reaches the button
    }

    if (this._loading) return;
    if (this._chartsDirty || changed.has("narrow")) this._renderCharts();
    const settled = Boolean(this._error || this.insights || (this._options && !this._query()));
    if (settled && this.getAttribute("data-ready") !== "true") {
      this.setAttribute("data-ready", "true");
      if (!this._marked && this.insights && !this._error) {
        this._marked = true;
        performance.mark("spinstack-ready");
      }
      this.dispatchEvent(new CustomEvent("spinstack-ready", { bubbles: false, composed: false }));
    }
  }

  /** The theme's colours, read once per theme (charts and the breakdown legend share them). */
  private _ensureTheme(): ChartTheme {
    if (!this._theme) this._theme = readTheme(this.renderRoot, Boolean(this.hass?.themes?.darkMode));
    return this._theme;
  }

  /** Creates charts on first use (lazily, only for cards on screen with data) and sets every option afresh. */
  private _renderCharts(): void {
    this._chartsDirty = false;
    drawing = true;
    const data = this.insights;
    const containers = new Map<ChartName, HTMLElement>();
    this.renderRoot.querySelectorAll<HTMLElement>(".chart[data-chart]").forEach((el) => {
      containers.set(el.dataset.chart as ChartName, el);
    });
    // Charts whose card is gone (empty period, error, no genre data) are disposed.
    for (const [name, chart] of Object.entries(this.charts) as [ChartName, ECharts][]) {
      if (containers.get(name) !== chart.getDom()) {
        chart.dispose();
        delete this.charts[name];
        delete this._drills[name];
      }
    }
    if (!data || !containers.size) return;
    const ctx = { theme: this._ensureTheme(), lang: this._lang, narrow: this.narrow, today: todayIn(this._timeZone) };
    const builders: Record<ChartName, () => ChartSpec | null> = {
      top: () => topChart(data, this._topTab, ctx),
      calendar: () => calendarChart(data, ctx),
      heatmap: () => heatmapChart(data, ctx),
      breakdown: () => breakdownChart(data, ctx),
      discovery: () => discoveryChart(data, ctx),
      genres: () => genresChart(data, ctx),
    };
    for (const [name, el] of containers) {
      const spec = builders[name]();
      if (!spec) continue;
      let chart = this.charts[name];
      if (!chart) {
        chart = init(el, null, { renderer: "canvas" });
        chart.on("click", (params) => {
          const target = this._drills[name]?.(params.seriesIndex ?? 0, params.dataIndex);
          if (target) void this._loadPlays(target);
        });
        this.charts[name] = chart;
        this._resizeObserver?.observe(el);
      }
      this._drills[name] = spec.drillAt;
      chart.setOption(spec.option, { notMerge: true, lazyUpdate: false });
    }
  }
}

if (!customElements.get("spinstack-panel")) customElements.define("spinstack-panel", SpinStackPanel);

declare global {
  interface HTMLElementTagNameMap {
    "spinstack-panel": SpinStackPanel;
  }
}
