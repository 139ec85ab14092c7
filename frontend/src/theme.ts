// Chart colours come from Home Assistant's theme: its CSS variables, resolved to rgb() by the browser through a
// probe element (a theme may use names, hex, hsl(), color-mix() or var() chains; the canvas needs plain colours).

export interface ChartTheme {
  dark: boolean;
  /** The user asked for less motion: charts draw without animation. */
  reducedMotion: boolean;
  font: string;
  text: string;
  secondary: string;
  divider: string;
  card: string;
  primary: string;
  accent: string;
  /** Colours for categories (pie slices), primary and accent first. */
  palette: string[];
  /** Heatmap ramp: a faint tint of the primary colour up to the primary colour, and the colour of empty cells. */
  heatLow: string;
  heatHigh: string;
  heatEmpty: string;
}

// Material colours of Home Assistant's own palette, readable on light and dark cards alike.
const FALLBACK_PALETTE = ["#4caf50", "#9c27b0", "#009688", "#e91e63", "#3f51b5", "#ffc107", "#795548", "#607d8b", "#8bc34a"];

type Rgba = [number, number, number, number];

function parse(color: string): Rgba | null {
  const match = /rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)/.exec(color);
  if (!match) return null;
  const alpha = match[4] === undefined ? 1 : match[4].endsWith("%") ? parseFloat(match[4]) / 100 : parseFloat(match[4]);
  return [Number(match[1]), Number(match[2]), Number(match[3]), alpha];
}

function css([r, g, b, a]: Rgba): string {
  const round = (v: number) => Math.round(v);
  return a >= 1 ? `rgb(${round(r)}, ${round(g)}, ${round(b)})` : `rgba(${round(r)}, ${round(g)}, ${round(b)}, ${a.toFixed(3)})`;
}

/** `a` blended toward `b` by `t` (0..1); transparent colours are laid on `base` first. */
export function mix(a: string, b: string, t: number, base = "rgb(255, 255, 255)"): string {
  const flat = (c: string): Rgba => {
    const rgba = parse(c) ?? [128, 128, 128, 1];
    const under = parse(base) ?? [255, 255, 255, 1];
    const al = rgba[3];
    return [rgba[0] * al + under[0] * (1 - al), rgba[1] * al + under[1] * (1 - al), rgba[2] * al + under[2] * (1 - al), 1];
  };
  const x = flat(a);
  const y = flat(b);
  return css([x[0] + (y[0] - x[0]) * t, x[1] + (y[1] - x[1]) * t, x[2] + (y[2] - x[2]) * t, 1]);
}

/** Reads the theme as seen inside `root` (the panel's shadow root), through a probe element put there briefly. */
export function readTheme(root: Node, dark: boolean): ChartTheme {
  const probe = document.createElement("span");
  probe.style.display = "none";
  root.appendChild(probe);
  const resolve = (value: string): string => {
    probe.style.color = "";
    probe.style.color = value;
    return getComputedStyle(probe).color;
  };
  const defaults = dark
    ? { text: "#e1e1e1", secondary: "#9b9b9b", divider: "rgba(225, 225, 225, 0.12)", card: "#1c1c1c" }
    : { text: "#212121", secondary: "#727272", divider: "rgba(0, 0, 0, 0.12)", card: "#ffffff" };
  const text = resolve(`var(--primary-text-color, ${defaults.text})`);
  const secondary = resolve(`var(--secondary-text-color, ${defaults.secondary})`);
  const card = resolve(`var(--ha-card-background, var(--card-background-color, ${defaults.card}))`);
  const page = resolve(`var(--primary-background-color, ${defaults.card})`);
  const opaqueCard = (parse(card)?.[3] ?? 1) < 0.5 ? page : card;
  const divider = resolve(`var(--divider-color, ${defaults.divider})`);
  const primary = resolve("var(--primary-color, #03a9f4)");
  const accent = resolve("var(--accent-color, #ff9800)");
  const graph: string[] = [];
  const styles = getComputedStyle(probe);
  for (let i = 1; i <= 8; i++) {
    const value = styles.getPropertyValue(`--graph-color-${i}`).trim();
    if (value) graph.push(resolve(value));
  }
  const font = styles.fontFamily || "Roboto, Noto, sans-serif";
  probe.remove();
  const palette = [primary, accent, ...(graph.length >= 4 ? graph : FALLBACK_PALETTE)].filter(
    (c, i, all) => all.indexOf(c) === i,
  );
  return {
    dark,
    reducedMotion: matchMedia("(prefers-reduced-motion: reduce)").matches,
    font,
    text,
    secondary,
    divider,
    card: opaqueCard,
    primary,
    accent,
    palette,
    heatLow: mix(opaqueCard, primary, dark ? 0.3 : 0.2, page),
    heatHigh: primary,
    heatEmpty: mix(opaqueCard, text, dark ? 0.07 : 0.05, page),
  };
}
