// The websocket contract of API.md, as types. Nothing here runs: it only describes what `hass.callWS` returns.

export type PeriodName = "today" | "week" | "month" | "year" | "all" | "custom";
export type Granularity = "day" | "month";
export type ViewName =
  | "summary"
  | "top"
  | "calendar"
  | "heatmap"
  | "breakdown"
  | "discovery"
  | "genres"
  | "streaks"
  | "on_this_day"
  | "comebacks";

export interface InsightsOptions {
  entry_id: string;
  title: string;
  timezone: string;
  first_played: number | null;
  last_played: number | null;
  rooms: string[];
  services: string[];
  periods: PeriodName[];
}

/** What one `spinstack/insights` request asks for, beside `type` (also reused for `spinstack/insights/plays`). */
export interface InsightsQuery {
  entry_id?: string;
  period: PeriodName;
  start?: string;
  end?: string;
  rooms?: string[];
  services?: string[];
}

export interface Period {
  name: PeriodName;
  start: number;
  end: number;
  first_day: string;
  last_day: string;
  granularity: Granularity;
}

export interface Counted {
  plays: number;
  heard: number;
}

export interface TopArtist extends Counted {
  artist_id: number;
  artist: string;
}
export interface TopTrack extends Counted {
  track_id: number;
  artist: string;
  title: string;
}
export interface TopAlbum extends Counted {
  album_id: number;
  album: string;
  artist: string;
}

export interface CalendarBucket extends Counted {
  bucket: string;
}
export interface HeatmapCell extends Counted {
  weekday: number;
  hour: number;
}

export interface Discovery {
  score: number | null;
  new_artist_count: number;
  new_track_count: number;
  new_artists: { artist_id: number; artist: string; first_played: number; plays: number }[];
  over_time: { bucket: string; new_artists: number }[];
}

export type Genres =
  | { available: false; reason?: string }
  | { available: true; entropy: number; normalized: number; genres: { genre: string; plays: number }[] };

export interface Streaks {
  current: number;
  longest: number;
  longest_start: string | null;
  longest_end: string | null;
}

export interface OnThisDay {
  year: number;
  plays: number;
  top: { artist: string; title: string; plays: number }[];
}

export interface Comeback {
  artist_id: number;
  artist: string;
  plays: number;
  gap_days: number;
}

export interface Insights {
  period: Period;
  filters: { rooms: string[]; services: string[] };
  summary?: { plays: number; heard: number; active_days: number };
  top?: { artists: TopArtist[]; tracks: TopTrack[]; albums: TopAlbum[] };
  calendar?: CalendarBucket[];
  heatmap?: HeatmapCell[];
  breakdown?: { services: (Counted & { service: string })[]; rooms: (Counted & { room: string })[] };
  discovery?: Discovery;
  genres?: Genres;
  streaks?: Streaks;
  on_this_day?: OnThisDay[];
  comebacks?: Comeback[];
}

export type Drill =
  | { day: string }
  | { month: string }
  | { weekday: number; hour: number }
  | { artist_id: number }
  | { track_id: number }
  | { album_id: number }
  | { service: string }
  | { room: string };

export interface Play {
  started_at: number;
  artist: string;
  title: string;
  album: string | null;
  service: string;
  room: string;
  heard: number;
}

export interface PlaysResponse {
  plays: Play[];
  truncated: boolean;
}

/** The part of Home Assistant's `hass` object the panel uses. */
export interface HomeAssistant {
  callWS<T>(message: { type: string; [key: string]: unknown }): Promise<T>;
  themes?: { darkMode?: boolean; theme?: string };
  language?: string;
  locale?: { language?: string };
  config?: { time_zone?: string };
}

export interface PanelInfo {
  config?: { entry_id?: string } | null;
  title?: string | null;
}
