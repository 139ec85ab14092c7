// Formatting and calendar arithmetic. Days are "YYYY-MM-DD" strings in the integration's time zone; arithmetic on
// them goes through UTC dates so no daylight-saving change can shift a day.
import type { Granularity } from "./api.js";

const DAY_MS = 86_400_000;

/** Today's date ("YYYY-MM-DD") in a time zone; the browser's zone when it is unknown. */
export function todayIn(timeZone: string | undefined, now: Date = new Date()): string {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
  } catch {
    return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
  }
}

function utc(day: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1));
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return iso(new Date(utc(day).getTime() + days * DAY_MS));
}

/** Every bucket from `first` to `last` inclusive ("YYYY-MM-DD" days or "YYYY-MM" months), capped for safety. */
export function bucketsBetween(first: string, last: string, granularity: Granularity, cap = 4000): string[] {
  const out: string[] = [];
  if (granularity === "day") {
    const end = utc(last).getTime();
    for (let t = utc(first).getTime(); t <= end && out.length < cap; t += DAY_MS) out.push(iso(new Date(t)));
  } else {
    let [y, m] = first.split("-").map(Number) as [number, number];
    const [ly, lm] = last.split("-").map(Number) as [number, number];
    while ((y < ly || (y === ly && m <= lm)) && out.length < cap) {
      out.push(`${y}-${String(m).padStart(2, "0")}`);
      m += 1;
      if (m > 12) {
        m = 1;
        y += 1;
      }
    }
  }
  return out;
}

/** Seconds as "12h 5m", "45m" or "0m". */
export function formatDuration(seconds: number): string {
  const minutes = Math.round(Math.max(0, seconds) / 60);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h}h ${m}m` : `${m}m`;
}

export function formatNumber(value: number, lang: string): string {
  try {
    return new Intl.NumberFormat(lang).format(value);
  } catch {
    return String(value);
  }
}

export function formatPercent(value: number, lang: string, digits = 0): string {
  try {
    return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: digits }).format(value);
  } catch {
    return `${Math.round(value * 100)}%`;
  }
}

/** A calendar bucket for an axis or a title: "3 Nov" / "Nov 2026", with the year when asked. */
export function formatBucket(bucket: string, lang: string, long = false): string {
  const isMonth = bucket.length === 7;
  const date = utc(isMonth ? `${bucket}-01` : bucket);
  const options: Intl.DateTimeFormatOptions = isMonth
    ? { timeZone: "UTC", month: long ? "long" : "short", year: "numeric" }
    : long
      ? { timeZone: "UTC", weekday: "long", day: "numeric", month: "long", year: "numeric" }
      : { timeZone: "UTC", day: "numeric", month: "short" };
  try {
    return new Intl.DateTimeFormat(lang, options).format(date);
  } catch {
    return bucket;
  }
}

export function formatDay(day: string | null, lang: string): string {
  if (!day) return "–";
  try {
    return new Intl.DateTimeFormat(lang, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" }).format(
      utc(day),
    );
  } catch {
    return day;
  }
}

/** An epoch in the integration's time zone, e.g. "Tue 3 Nov, 14:05". */
export function formatTime(epoch: number, lang: string, timeZone: string | undefined): string {
  const options: Intl.DateTimeFormatOptions = {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  };
  try {
    return new Intl.DateTimeFormat(lang, options).format(new Date(epoch * 1000));
  } catch {
    return new Date(epoch * 1000).toISOString().slice(0, 16).replace("T", " ");
  }
}

/** Short weekday names Monday first (Monday = 0, as the API counts). 2024-01-01 was a Monday. */
export function weekdayNames(lang: string, style: "short" | "long" = "short"): string[] {
  return Array.from({ length: 7 }, (_, i) => {
    try {
      return new Intl.DateTimeFormat(lang, { timeZone: "UTC", weekday: style }).format(new Date(Date.UTC(2024, 0, 1 + i)));
    } catch {
      return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i] ?? "";
    }
  });
}

const SERVICE_NAMES: Record<string, string> = {
  spotify: "Spotify",
  apple_music: "Apple Music",
  amazon_music: "Amazon Music",
  deezer: "Deezer",
  tidal: "TIDAL",
  youtube_music: "YouTube Music",
  soundcloud: "SoundCloud",
  qobuz: "Qobuz",
  tunein: "TuneIn",
  sonos_radio: "Sonos Radio",
  radio: "Radio",
  library: "Music library",
  local: "Music library",
  plex: "Plex",
  airplay: "AirPlay",
  line_in: "Line-in",
  tv: "TV",
};

/** A service id ("apple_music") as people write it ("Apple Music"). */
export function serviceName(service: string): string {
  const known = SERVICE_NAMES[service.toLowerCase()];
  if (known) return known;
  return service
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}
