// ECharts, tree-shaken: only the charts and components the panel draws, on the canvas renderer. Each builder turns
// one view of the insights response into an option and says which drill a click on a bar, cell or slice means.
// Series data are plain numbers (or [x, y, value] for the heatmap, {name, value} for pies) in the order of the
// axis categories, so a test can compare `getOption()` with the numbers it seeded.
import { init, use, type ComposeOption, type ECharts } from "echarts/core";
import { BarChart, HeatmapChart, LineChart, PieChart } from "echarts/charts";
import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption, PieSeriesOption } from "echarts/charts";
import { GridComponent, TooltipComponent, VisualMapContinuousComponent } from "echarts/components";
import type { GridComponentOption, TooltipComponentOption, VisualMapComponentOption } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import type { Drill, Granularity, Insights } from "./api.js";
import { bucketsBetween, formatBucket, formatDuration, formatNumber, serviceName, weekdayNames } from "./format.js";
import type { ChartTheme } from "./theme.js";

use([BarChart, LineChart, PieChart, HeatmapChart, GridComponent, TooltipComponent, VisualMapContinuousComponent, CanvasRenderer]);

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | PieSeriesOption
  | HeatmapSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | VisualMapComponentOption
>;

export type { ECharts };
export { init };

export interface DrillTarget {
  drill: Drill;
  title: string;
}

export interface ChartSpec {
  option: ChartOption;
  /** The drill behind a click on (seriesIndex, dataIndex), or null when that item has no plays. */
  drillAt?: (seriesIndex: number, dataIndex: number) => DrillTarget | null;
}

export type TopTab = "artists" | "tracks" | "albums";

interface Ctx {
  theme: ChartTheme;
  lang: string;
  /** Phone width: fewer axis labels, smaller margins. */
  narrow: boolean;
  /** Today ("YYYY-MM-DD") where the plays are counted: later buckets have no data yet (null, not 0). */
  today: string;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

function plural(n: number, one: string, many: string, lang: string): string {
  return `${formatNumber(n, lang)} ${n === 1 ? one : many}`;
}

/** The tooltip's body: a bold heading and lines under it. */
function tip(heading: string, ...lines: string[]): string {
  return [`<b>${escapeHtml(heading)}</b>`, ...lines.map((l) => escapeHtml(l))].join("<br>");
}

function base({ theme }: Ctx): ChartOption {
  return {
    backgroundColor: "transparent",
    animation: !theme.reducedMotion,
    animationDuration: 350,
    animationDurationUpdate: 250,
    color: theme.palette,
    textStyle: { fontFamily: theme.font, color: theme.secondary },
    tooltip: {
      confine: true,
      backgroundColor: theme.card,
      borderColor: theme.divider,
      borderWidth: 1,
      padding: [6, 10],
      textStyle: { color: theme.text, fontFamily: theme.font, fontSize: 13 },
      extraCssText: `box-shadow: 0 2px 8px rgba(0,0,0,${theme.dark ? 0.5 : 0.15}); border-radius: 8px;`,
    },
  };
}

function categoryAxis(ctx: Ctx, data: string[], extra: Record<string, unknown> = {}) {
  return {
    type: "category" as const,
    data,
    axisLine: { lineStyle: { color: ctx.theme.divider } },
    axisTick: { show: false },
    axisLabel: { color: ctx.theme.secondary, fontFamily: ctx.theme.font },
    ...extra,
  };
}

function valueAxis(ctx: Ctx, extra: Record<string, unknown> = {}) {
  return {
    type: "value" as const,
    minInterval: 1,
    axisLabel: { color: ctx.theme.secondary, fontFamily: ctx.theme.font },
    splitLine: { lineStyle: { color: ctx.theme.divider, type: "dashed" as const } },
    ...extra,
  };
}

function bucketDrill(bucket: string, granularity: Granularity, lang: string): DrillTarget {
  return granularity === "day"
    ? { drill: { day: bucket }, title: formatBucket(bucket, lang, true) }
    : { drill: { month: bucket }, title: formatBucket(bucket, lang, true) };
}

/** Plays per day or month (bars) and the listening-time trend in hours (line), over every bucket of the period. */
export function calendarChart(data: Insights, ctx: Ctx): ChartSpec {
  const { period } = data;
  const first = period.granularity === "day" ? period.first_day : period.first_day.slice(0, 7);
  const last = period.granularity === "day" ? period.last_day : period.last_day.slice(0, 7);
  const byBucket = new Map((data.calendar ?? []).map((b) => [b.bucket, b]));
  const buckets = bucketsBetween(first, last, period.granularity);
  for (const b of byBucket.keys()) if (!buckets.includes(b)) buckets.push(b);
  buckets.sort();
  const future = (b: string) => b > ctx.today.slice(0, b.length) && !byBucket.has(b);
  const plays = buckets.map((b) => (future(b) ? null : (byBucket.get(b)?.plays ?? 0)));
  const hours = buckets.map((b) => (future(b) ? null : Math.round(((byBucket.get(b)?.heard ?? 0) / 3600) * 100) / 100));
  const { theme, lang } = ctx;
  const few = buckets.length <= (ctx.narrow ? 16 : 45);
  return {
    option: {
      ...base(ctx),
      grid: { left: 8, right: 8, top: 28, bottom: 4, containLabel: true },
      tooltip: {
        ...base(ctx).tooltip,
        trigger: "axis",
        axisPointer: { type: "shadow", shadowStyle: { color: theme.divider, opacity: 0.5 } },
        formatter: (params: unknown) => {
          const first = (params as { dataIndex: number }[])[0];
          const i = first?.dataIndex ?? 0;
          const bucket = buckets[i] ?? "";
          return tip(
            formatBucket(bucket, lang, true),
            plural(plays[i] ?? 0, "play", "plays", lang),
            `${formatDuration((byBucket.get(bucket)?.heard ?? 0))} listened`,
          );
        },
      },
      xAxis: categoryAxis(ctx, buckets, {
        axisLabel: {
          color: theme.secondary,
          fontFamily: theme.font,
          hideOverlap: true,
          formatter: (value: string) => formatBucket(value, lang),
        },
      }),
      yAxis: [
        valueAxis(ctx, { name: "Plays", nameTextStyle: { color: theme.secondary, align: "left" } }),
        valueAxis(ctx, {
          name: "Hours",
          minInterval: 0,
          nameTextStyle: { color: theme.secondary, align: "right" },
          splitLine: { show: false },
          axisLabel: { color: theme.secondary, formatter: (v: number) => `${Math.round(v * 10) / 10}h` },
        }),
      ],
      series: [
        {
          name: "Plays",
          type: "bar",
          data: plays,
          barMaxWidth: 28,
          itemStyle: { color: theme.primary, borderRadius: [3, 3, 0, 0] },
          emphasis: { itemStyle: { color: theme.accent } },
          cursor: "pointer",
        },
        {
          name: "Hours",
          type: "line",
          yAxisIndex: 1,
          data: hours,
          smooth: 0.3,
          showSymbol: few,
          symbolSize: 5,
          lineStyle: { width: 2, color: theme.accent },
          itemStyle: { color: theme.accent },
          silent: true,
          z: 3,
        },
      ],
    },
    drillAt: (_series, index) => {
      const bucket = buckets[index];
      if (bucket === undefined || !plays[index]) return null;
      return bucketDrill(bucket, period.granularity, lang);
    },
  };
}

/** Plays by hour (0-23, across) and weekday (Monday on top), every one of the 168 cells. */
export function heatmapChart(data: Insights, ctx: Ctx): ChartSpec {
  const { theme, lang } = ctx;
  const cells = new Map((data.heatmap ?? []).map((c) => [`${c.weekday}:${c.hour}`, c]));
  const values: [number, number, number][] = [];
  for (let weekday = 0; weekday < 7; weekday++)
    for (let hour = 0; hour < 24; hour++) values.push([hour, weekday, cells.get(`${weekday}:${hour}`)?.plays ?? 0]);
  const max = Math.max(1, ...values.map((v) => v[2]));
  const days = weekdayNames(lang);
  const longDays = weekdayNames(lang, "long");
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
  const span = (h: number) => `${hours[h]}:00–${String((h + 1) % 24).padStart(2, "0")}:00`;
  return {
    option: {
      ...base(ctx),
      grid: { left: 4, right: 4, top: 6, bottom: 4, containLabel: true },
      tooltip: {
        ...base(ctx).tooltip,
        formatter: (params: unknown) => {
          const [hour, weekday, plays] = (params as { data: [number, number, number] }).data;
          const cell = cells.get(`${weekday}:${hour}`);
          return tip(
            `${longDays[weekday]} ${span(hour)}`,
            plural(plays, "play", "plays", lang),
            `${formatDuration(cell?.heard ?? 0)} listened`,
          );
        },
      },
      xAxis: categoryAxis(ctx, hours, {
        axisLine: { show: false },
        splitArea: { show: false },
        axisLabel: { color: theme.secondary, fontFamily: theme.font, interval: ctx.narrow ? 5 : 2 },
      }),
      yAxis: categoryAxis(ctx, days, { inverse: true, axisLine: { show: false } }),
      visualMap: {
        show: false,
        type: "continuous",
        min: 1,
        max,
        dimension: 2,
        inRange: { color: [theme.heatLow, theme.heatHigh] },
        outOfRange: { color: [theme.heatEmpty] },
      },
      series: [
        {
          name: "Plays",
          type: "heatmap",
          data: values,
          itemStyle: { borderColor: theme.card, borderWidth: ctx.narrow ? 1 : 2, borderRadius: 3 },
          emphasis: { itemStyle: { borderColor: theme.accent, borderWidth: 2 } },
          cursor: "pointer",
        },
      ],
    },
    drillAt: (_series, index) => {
      const cell = values[index];
      if (!cell || !cell[2]) return null;
      return { drill: { weekday: cell[1], hour: cell[0] }, title: `${longDays[cell[1]]}s, ${span(cell[0])}` };
    },
  };
}

interface Bar {
  label: string;
  sub?: string;
  plays: number;
  heard?: number;
  target?: DrillTarget;
}

/** Horizontal bars, biggest on top. */
function horizontalBars(ctx: Ctx, name: string, bars: Bar[], color: string): ChartSpec {
  const { theme, lang } = ctx;
  const labelWidth = ctx.narrow ? 110 : 150;
  return {
    option: {
      ...base(ctx),
      grid: { left: 4, right: 36, top: 4, bottom: 4, containLabel: true },
      tooltip: {
        ...base(ctx).tooltip,
        formatter: (params: unknown) => {
          const bar = bars[(params as { dataIndex: number }).dataIndex];
          if (!bar) return "";
          const lines = [plural(bar.plays, "play", "plays", lang)];
          if (bar.heard !== undefined) lines.push(`${formatDuration(bar.heard)} listened`);
          return tip(bar.label, ...(bar.sub ? [bar.sub] : []), ...lines);
        },
      },
      xAxis: valueAxis(ctx, { show: false }),
      yAxis: categoryAxis(ctx, bars.map((b) => b.label), {
        inverse: true,
        axisLine: { show: false },
        axisLabel: {
          color: theme.text,
          fontFamily: theme.font,
          width: labelWidth,
          overflow: "truncate",
          interval: 0,
        },
      }),
      series: [
        {
          name,
          type: "bar",
          data: bars.map((b) => b.plays),
          barMaxWidth: 18,
          itemStyle: { color, borderRadius: [0, 4, 4, 0] },
          emphasis: { itemStyle: { color: theme.accent } },
          label: { show: true, position: "right", color: theme.secondary, fontFamily: theme.font },
          cursor: bars.some((b) => b.target) ? "pointer" : "default",
        },
      ],
    },
    drillAt: (_series, index) => bars[index]?.target ?? null,
  };
}

export function topChart(data: Insights, tab: TopTab, ctx: Ctx): ChartSpec {
  const top = data.top ?? { artists: [], tracks: [], albums: [] };
  const bars: Bar[] =
    tab === "artists"
      ? top.artists.map((a) => ({
          label: a.artist,
          plays: a.plays,
          heard: a.heard,
          target: { drill: { artist_id: a.artist_id }, title: a.artist },
        }))
      : tab === "tracks"
        ? top.tracks.map((t) => ({
            label: t.title,
            sub: t.artist,
            plays: t.plays,
            heard: t.heard,
            target: { drill: { track_id: t.track_id }, title: `${t.artist} – ${t.title}` },
          }))
        : top.albums.map((a) => ({
            label: a.album,
            sub: a.artist,
            plays: a.plays,
            heard: a.heard,
            target: { drill: { album_id: a.album_id }, title: `${a.album} (${a.artist})` },
          }));
  const name = tab === "artists" ? "Top artists" : tab === "tracks" ? "Top tracks" : "Top albums";
  return horizontalBars(ctx, name, bars, ctx.theme.primary);
}

export function genresChart(data: Insights, ctx: Ctx): ChartSpec | null {
  const genres = data.genres;
  if (!genres || !genres.available) return null;
  const bars = genres.genres.slice(0, 12).map((g) => ({ label: g.genre, plays: g.plays }));
  return horizontalBars(ctx, "Genres", bars, ctx.theme.accent);
}

/** Two donuts: services (series 0) and rooms (series 1). */
export function breakdownChart(data: Insights, ctx: Ctx): ChartSpec {
  const { theme, lang, narrow } = ctx;
  const services = data.breakdown?.services ?? [];
  const rooms = data.breakdown?.rooms ?? [];
  const totals = [services, rooms].map((list) => list.reduce((sum, x) => sum + x.plays, 0));
  const heardOf = [services.map((s) => s.heard), rooms.map((r) => r.heard)];
  // Each slice's colour is set, so both donuts start the palette afresh and match the legends under them.
  const slice = (name: string, value: number, i: number) => ({
    name,
    value,
    itemStyle: { color: theme.palette[i % theme.palette.length] },
  });
  const donut = (center: string, data: ReturnType<typeof slice>[], name: string): PieSeriesOption => ({
    name,
    type: "pie",
    center: [center, "50%"],
    radius: ["42%", "68%"],
    avoidLabelOverlap: true,
    minAngle: 3,
    padAngle: 1,
    itemStyle: { borderColor: theme.card, borderWidth: 2, borderRadius: 4 },
    label: { show: false },
    emphasis: {
      scale: true,
      scaleSize: 4,
      label: {
        show: true,
        position: "center",
        formatter: "{b}\n{d}%",
        color: theme.text,
        fontFamily: theme.font,
        fontSize: narrow ? 12 : 13,
        fontWeight: "bold",
      },
    },
    data,
    cursor: "pointer",
  });
  return {
    option: {
      ...base(ctx),
      tooltip: {
        ...base(ctx).tooltip,
        formatter: (params: unknown) => {
          const p = params as { seriesIndex: number; dataIndex: number; name: string; value: number };
          const share = totals[p.seriesIndex] ? Math.round((p.value / (totals[p.seriesIndex] ?? 1)) * 100) : 0;
          return tip(
            p.name,
            `${plural(p.value, "play", "plays", lang)} (${share}%)`,
            `${formatDuration(heardOf[p.seriesIndex]?.[p.dataIndex] ?? 0)} listened`,
          );
        },
      },
      series: [
        donut("25%", services.map((s, i) => slice(serviceName(s.service), s.plays, i)), "Services"),
        donut("75%", rooms.map((r, i) => slice(r.room, r.plays, i)), "Rooms"),
      ],
    },
    drillAt: (series, index) => {
      if (series === 0) {
        const s = services[index];
        return s ? { drill: { service: s.service }, title: serviceName(s.service) } : null;
      }
      const r = rooms[index];
      return r ? { drill: { room: r.room }, title: r.room } : null;
    },
  };
}

/** New artists per bucket of the period. */
export function discoveryChart(data: Insights, ctx: Ctx): ChartSpec {
  const { period } = data;
  const { theme, lang } = ctx;
  const first = period.granularity === "day" ? period.first_day : period.first_day.slice(0, 7);
  const last = period.granularity === "day" ? period.last_day : period.last_day.slice(0, 7);
  const counts = new Map((data.discovery?.over_time ?? []).map((b) => [b.bucket, b.new_artists]));
  const buckets = bucketsBetween(first, last, period.granularity);
  for (const b of counts.keys()) if (!buckets.includes(b)) buckets.push(b);
  buckets.sort();
  const values = buckets.map((b) => (b > ctx.today.slice(0, b.length) && !counts.has(b) ? null : (counts.get(b) ?? 0)));
  return {
    option: {
      ...base(ctx),
      grid: { left: 4, right: 8, top: 10, bottom: 4, containLabel: true },
      tooltip: {
        ...base(ctx).tooltip,
        trigger: "axis",
        axisPointer: { type: "shadow", shadowStyle: { color: theme.divider, opacity: 0.5 } },
        formatter: (params: unknown) => {
          const i = (params as { dataIndex: number }[])[0]?.dataIndex ?? 0;
          return tip(formatBucket(buckets[i] ?? "", lang, true), plural(values[i] ?? 0, "new artist", "new artists", lang));
        },
      },
      xAxis: categoryAxis(ctx, buckets, {
        axisLabel: {
          color: theme.secondary,
          fontFamily: theme.font,
          hideOverlap: true,
          formatter: (value: string) => formatBucket(value, lang),
        },
      }),
      yAxis: valueAxis(ctx, { splitNumber: 2 }),
      series: [
        {
          name: "New artists",
          type: "bar",
          data: values,
          barMaxWidth: 20,
          itemStyle: { color: theme.accent, borderRadius: [3, 3, 0, 0] },
        },
      ],
    },
  };
}

export { escapeHtml };
