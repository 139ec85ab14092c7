// A fake `hass` for the dev harness: `callWS` answers the three commands of API.md from a deterministic, made-up
// listening history (two and a half years of plays in four rooms from four services), computed the way the
// backend is meant to. Not bundled into the panel.
//
// URL knobs (index.html passes location.search): delay=ms (default 350), error=options|insights|plays,
// empty=1 (no plays at all), genres=0 (no genre data), seed=n.

const TZ = "Europe/Paris";
const DAY = 86400;

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ARTISTS = [
  ["Daft Punk", "Electronic"], ["Radiohead", "Alternative"], ["Fleetwood Mac", "Rock"], ["Kendrick Lamar", "Hip-hop"],
  ["Björk", "Electronic"], ["Miles Davis", "Jazz"], ["Phoebe Bridgers", "Indie"], ["Khruangbin", "Funk"],
  ["Nina Simone", "Jazz"], ["Tame Impala", "Psychedelic"], ["Stromae", "Pop"], ["Air", "Electronic"],
  ["Beyoncé", "Pop"], ["The Beatles", "Rock"], ["Massive Attack", "Trip-hop"], ["Charlotte Gainsbourg", "Pop"],
  ["Bon Iver", "Indie"], ["Frank Ocean", "R&B"], ["Nils Frahm", "Classical"], ["Gorillaz", "Alternative"],
  ["Christine and the Queens", "Pop"], ["Bonobo", "Electronic"], ["Aretha Franklin", "Soul"], ["Arctic Monkeys", "Rock"],
  ["Sault", "Soul"], ["Angèle", "Pop"], ["Floating Points", "Electronic"], ["Little Simz", "Hip-hop"],
  ["Caroline Polachek", "Pop"], ["Khalid & Friends <live>", "R&B"], ["Snarky Puppy", "Jazz"], ["Fred again..", "Electronic"],
  ["Big Thief", "Indie"], ["Rosalía", "Pop"], ["Erik Satie", "Classical"], ["Yussef Dayes", "Jazz"],
  ["boygenius", "Indie"], ["Overmono", "Electronic"], ["Mk.gee", "Alternative"], ["Jorja Smith", "R&B"],
];
const WORDS = ["Night", "Blue", "Drive", "Gold", "Echo", "River", "Glass", "Summer", "Signal", "Paper", "Ghost",
  "Honey", "Static", "Orbit", "Velvet", "Harbour", "Neon", "Silence", "Motion", "Bloom", "Fever", "Horizon"];
const ROOMS = ["Kitchen", "Living Room", "Office", "Bedroom"];
const SERVICES = ["spotify", "apple_music", "library", "tunein"];

const partsFmt = new Intl.DateTimeFormat("en-CA", {
  timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23", weekday: "short",
});
const WD = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
function localParts(epoch) {
  const p = Object.fromEntries(partsFmt.formatToParts(new Date(epoch * 1000)).map((x) => [x.type, x.value]));
  return { day: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), weekday: WD[p.weekday] };
}
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
const utcMs = (day) => Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10));
const addDays = (day, n) => iso(utcMs(day) + n * DAY * 1000);
const daysBetween = (a, b) => Math.round((utcMs(b) - utcMs(a)) / (DAY * 1000));

function buildLibrary(rand) {
  const artists = ARTISTS.map(([name, genre], i) => ({ artist_id: i + 1, artist: name, genre }));
  const tracks = [];
  const albums = [];
  for (const a of artists) {
    const albumCount = 1 + Math.floor(rand() * 2);
    for (let k = 0; k < albumCount; k++) {
      const album = { album_id: albums.length + 1, album: `${WORDS[(a.artist_id * 3 + k * 5) % WORDS.length]} ${k ? "Sessions" : "Tapes"}`, artist: a.artist };
      albums.push(album);
      const n = 4 + Math.floor(rand() * 5);
      for (let t = 0; t < n; t++) {
        const w1 = WORDS[Math.floor(rand() * WORDS.length)];
        const w2 = WORDS[Math.floor(rand() * WORDS.length)];
        tracks.push({
          track_id: tracks.length + 1, title: rand() < 0.5 ? `${w1} ${w2}` : `The ${w1}`, artist: a.artist,
          artist_id: a.artist_id, album_id: album.album_id, album: album.album, length: 150 + Math.floor(rand() * 200),
        });
      }
    }
  }
  return { artists, tracks, albums };
}

/** Every play from 30 months ago to now, newest last. */
function buildPlays(seed, now) {
  const rand = mulberry32(seed);
  const lib = buildLibrary(rand);
  const plays = [];
  const start = now - 900 * DAY;
  // Artists join the rotation over time (discovery); a few leave for months and come back (comebacks).
  const debut = lib.artists.map((a, i) => (i < 12 ? -Infinity : start + Math.floor(((i - 12) / 27) * 898 * DAY)));
  const away = new Map([[2, [now - 420 * DAY, now - 10 * DAY]], [6, [now - 300 * DAY, now - 4 * DAY]], [14, [now - 260 * DAY, now - 20 * DAY]]]);
  const hourWeights = [0.3, 0.1, 0, 0, 0, 0, 0.4, 2.2, 2.6, 1.4, 1, 1.1, 1.6, 1.2, 0.9, 0.9, 1.1, 1.6, 2.4, 2.8, 2.6, 2.2, 1.6, 0.9];
  const pick = (weights) => {
    let r = rand() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < weights.length; i++) if ((r -= weights[i]) <= 0) return i;
    return weights.length - 1;
  };
  for (let t = Math.floor(start / DAY) * DAY; t <= now; t += DAY) {
    const wd = localParts(t).weekday;
    if (rand() < 0.12 && t < now - DAY) continue; // a quiet day (never today)
    const sessions = 1 + Math.floor(rand() * (wd >= 5 ? 4 : 3));
    for (let s = 0; s < sessions; s++) {
      const hour = pick(hourWeights);
      let at = Math.floor(t / DAY) * DAY + hour * 3600 + Math.floor(rand() * 3000) - 3600;
      const room = ROOMS[pick(hour < 10 ? [5, 1, 1, 2] : hour < 18 ? [1, 1, 5, 0.3] : [2, 5, 0.5, 1])];
      const service = SERVICES[pick([6, 3, 2, 1])];
      const length = 2 + Math.floor(rand() * 9);
      for (let k = 0; k < length && at < now; k++) {
        let ai;
        const fresh = debut.map((d, i) => [d, i]).filter(([d]) => d <= at && d > at - 90 * DAY);
        if (fresh.length && rand() < 0.15) ai = fresh[Math.floor(rand() * fresh.length)][1];
        else do {
          ai = Math.min(lib.artists.length - 1, Math.floor(Math.pow(rand(), 1.7) * lib.artists.length));
        } while (debut[ai] > at || (away.has(ai) && at > away.get(ai)[0] && at < away.get(ai)[1]));
        const options = lib.tracks.filter((tr) => tr.artist_id === ai + 1);
        const track = options[Math.floor(Math.pow(rand(), 1.5) * options.length)];
        const heard = service === "tunein" ? 180 + Math.floor(rand() * 600) : Math.floor(track.length * (0.6 + 0.4 * rand()));
        plays.push({ started_at: at, ...localParts(at), track, room, service, heard });
        at += heard + 5;
      }
    }
  }
  plays.sort((a, b) => a.started_at - b.started_at);
  return { lib, plays };
}

function periodOf(msg, today) {
  const name = msg.period ?? "all";
  let first;
  let last;
  if (name === "today") first = last = today;
  else if (name === "week") {
    const wd = (new Date(utcMs(today)).getUTCDay() + 6) % 7;
    first = addDays(today, -wd);
    last = addDays(first, 6);
  } else if (name === "month") {
    first = `${today.slice(0, 7)}-01`;
    const d = new Date(utcMs(first));
    d.setUTCMonth(d.getUTCMonth() + 1);
    last = iso(d.getTime() - DAY * 1000);
  } else if (name === "year") {
    first = `${today.slice(0, 4)}-01-01`;
    last = `${today.slice(0, 4)}-12-31`;
  } else if (name === "custom") {
    if (!msg.start || !msg.end) throw { code: "invalid_format", message: "A custom period needs start and end" };
    if (msg.start > msg.end) throw { code: "invalid_format", message: "start must not be after end" };
    first = msg.start;
    last = msg.end;
  } else if (name === "all") {
    first = null;
    last = today;
  } else throw { code: "invalid_format", message: `Unknown period ${name}` };
  return { name, first, last };
}

export function createHass({ dark = false, search = "" } = {}) {
  const params = new URLSearchParams(search);
  const delay = Number(params.get("delay") ?? 350);
  const failing = params.get("error");
  const now = Math.floor(Date.now() / 1000);
  const { lib, plays: allPlays } = buildPlays(Number(params.get("seed") ?? 7), now);
  const plays = params.get("empty") === "1" ? [] : allPlays;
  const genresOn = params.get("genres") !== "0";
  const today = localParts(now).day;
  const firstPlayOf = new Map();
  const firstTrackPlay = new Map();
  for (const p of plays) {
    if (!firstPlayOf.has(p.track.artist_id)) firstPlayOf.set(p.track.artist_id, p);
    if (!firstTrackPlay.has(p.track.track_id)) firstTrackPlay.set(p.track.track_id, p);
  }

  function scope(msg) {
    const period = periodOf(msg, today);
    const first = period.first ?? (plays[0]?.day ?? today);
    const last = period.last;
    const rooms = msg.rooms?.length ? new Set(msg.rooms) : null;
    const services = msg.services?.length ? new Set(msg.services) : null;
    const matches = (p) => (!rooms || rooms.has(p.room)) && (!services || services.has(p.service));
    const inPeriod = plays.filter((p) => p.day >= first && p.day <= last && matches(p));
    const granularity = daysBetween(first, last) > 92 ? "month" : "day";
    return { period: { ...period, first, last, granularity }, matches, inPeriod };
  }

  const group = (list, key, make) => {
    const m = new Map();
    for (const p of list) {
      const k = key(p);
      const g = m.get(k) ?? { ...make(p), plays: 0, heard: 0 };
      g.plays += 1;
      g.heard += p.heard;
      m.set(k, g);
    }
    return [...m.values()];
  };
  const byCount = (a, b) => b.plays - a.plays || b.heard - a.heard;
  const bucketOf = (day, g) => (g === "day" ? day : day.slice(0, 7));

  function insights(msg) {
    const { period, matches, inPeriod } = scope(msg);
    const g = period.granularity;
    const days = new Set(inPeriod.map((p) => p.day));
    const newArtists = [...firstPlayOf.values()].filter((p) => p.day >= period.first && p.day <= period.last);
    const newArtistIds = new Set(newArtists.map((p) => p.track.artist_id));
    const newTracks = [...firstTrackPlay.values()].filter((p) => p.day >= period.first && p.day <= period.last);
    const genreCounts = group(inPeriod, (p) => lib.artists[p.track.artist_id - 1].genre, (p) => ({ genre: lib.artists[p.track.artist_id - 1].genre })).sort(byCount);
    const total = inPeriod.length;
    const entropy = -genreCounts.reduce((s, x) => s + (x.plays / total) * Math.log2(x.plays / total), 0) || 0;
    // Streaks over every play (with the filters), up to today.
    const allDays = [...new Set(plays.filter(matches).map((p) => p.day))].sort();
    let longest = 0, longestStart = null, longestEnd = null, run = 0, runStart = null, prev = null;
    for (const d of allDays) {
      run = prev && daysBetween(prev, d) === 1 ? run + 1 : 1;
      if (run === 1) runStart = d;
      if (run > longest) [longest, longestStart, longestEnd] = [run, runStart, d];
      prev = d;
    }
    const lastDay = allDays.at(-1);
    const current = lastDay && daysBetween(lastDay, today) <= 1 ? run : 0;
    // On this day, earlier years.
    const md = today.slice(5);
    const onThisDay = [];
    for (let y = Number(today.slice(0, 4)) - 1; y >= Number((plays[0]?.day ?? today).slice(0, 4)); y--) {
      const those = plays.filter((p) => p.day === `${y}-${md}` && matches(p));
      if (!those.length) continue;
      const top = group(those, (p) => p.track.track_id, (p) => ({ artist: p.track.artist, title: p.track.title })).sort(byCount).slice(0, 3);
      onThisDay.push({ year: y, plays: those.length, top: top.map(({ artist, title, plays }) => ({ artist, title, plays })) });
    }
    // Comebacks: artists of the period whose previous play was 180+ days before their first play in it.
    const comebacks = [];
    for (const a of group(inPeriod, (p) => p.track.artist_id, (p) => ({ artist_id: p.track.artist_id, artist: p.track.artist })).sort(byCount)) {
      const firstIn = inPeriod.find((p) => p.track.artist_id === a.artist_id);
      const before = plays.filter((p) => p.track.artist_id === a.artist_id && p.started_at < firstIn.started_at && matches(p)).at(-1);
      if (before) {
        const gap = daysBetween(before.day, firstIn.day);
        if (gap >= 180) comebacks.push({ artist_id: a.artist_id, artist: a.artist, plays: a.plays, gap_days: gap });
      }
    }
    return {
      period: {
        name: period.name, start: utcMs(period.first) / 1000 - 3600, end: utcMs(addDays(period.last, 1)) / 1000 - 3600,
        first_day: period.first, last_day: period.last, granularity: g,
      },
      filters: { rooms: msg.rooms ?? [], services: msg.services ?? [] },
      summary: { plays: total, heard: inPeriod.reduce((s, p) => s + p.heard, 0), active_days: days.size },
      top: {
        artists: group(inPeriod, (p) => p.track.artist_id, (p) => ({ artist_id: p.track.artist_id, artist: p.track.artist })).sort(byCount).slice(0, 10),
        tracks: group(inPeriod, (p) => p.track.track_id, (p) => ({ track_id: p.track.track_id, artist: p.track.artist, title: p.track.title })).sort(byCount).slice(0, 10),
        albums: group(inPeriod, (p) => p.track.album_id, (p) => ({ album_id: p.track.album_id, album: p.track.album, artist: p.track.artist })).sort(byCount).slice(0, 10),
      },
      calendar: group(inPeriod, (p) => bucketOf(p.day, g), (p) => ({ bucket: bucketOf(p.day, g) })).sort((a, b) => (a.bucket < b.bucket ? -1 : 1)),
      heatmap: group(inPeriod, (p) => p.weekday * 24 + p.hour, (p) => ({ weekday: p.weekday, hour: p.hour })).sort((a, b) => a.weekday - b.weekday || a.hour - b.hour),
      breakdown: {
        services: group(inPeriod, (p) => p.service, (p) => ({ service: p.service })).sort(byCount),
        rooms: group(inPeriod, (p) => p.room, (p) => ({ room: p.room })).sort(byCount),
      },
      discovery: {
        score: total ? inPeriod.filter((p) => newArtistIds.has(p.track.artist_id)).length / total : null,
        new_artist_count: newArtists.length,
        new_track_count: newTracks.length,
        new_artists: newArtists.slice(0, 20).map((p) => ({
          artist_id: p.track.artist_id, artist: p.track.artist, first_played: p.started_at,
          plays: inPeriod.filter((x) => x.track.artist_id === p.track.artist_id).length,
        })),
        over_time: group(newArtists, (p) => bucketOf(p.day, g), (p) => ({ bucket: bucketOf(p.day, g) }))
          .map(({ bucket, plays }) => ({ bucket, new_artists: plays })).sort((a, b) => (a.bucket < b.bucket ? -1 : 1)),
      },
      genres: genresOn && total
        ? { available: true, entropy, normalized: genreCounts.length > 1 ? entropy / Math.log2(genreCounts.length) : 0, genres: genreCounts.map(({ genre, plays }) => ({ genre, plays })) }
        : { available: false, reason: "no_genre_data" },
      streaks: { current, longest, longest_start: longestStart, longest_end: longestEnd },
      on_this_day: onThisDay,
      comebacks,
    };
  }

  function drillMatches(d) {
    if ("day" in d) return (p) => p.day === d.day;
    if ("month" in d) return (p) => p.day.startsWith(d.month);
    if ("weekday" in d) return (p) => p.weekday === d.weekday && p.hour === d.hour;
    if ("artist_id" in d) return (p) => p.track.artist_id === d.artist_id;
    if ("track_id" in d) return (p) => p.track.track_id === d.track_id;
    if ("album_id" in d) return (p) => p.track.album_id === d.album_id;
    if ("service" in d) return (p) => p.service === d.service;
    if ("room" in d) return (p) => p.room === d.room;
    throw { code: "invalid_format", message: "Unknown drill" };
  }

  function playsOf(msg) {
    const { inPeriod } = scope(msg);
    const limit = Math.min(500, msg.limit ?? 100);
    const match = drillMatches(msg.drill ?? {});
    const found = inPeriod.filter(match).reverse();
    return {
      plays: found.slice(0, limit).map((p) => ({
        started_at: p.started_at, artist: p.track.artist, title: p.track.title, album: p.track.album,
        service: p.service, room: p.room, heard: p.heard,
      })),
      truncated: found.length > limit,
    };
  }

  const calls = [];
  const hass = {
    language: "en",
    locale: { language: "en-GB" },
    config: { time_zone: TZ },
    themes: { darkMode: dark, theme: "default" },
    calls,
    callWS(msg) {
      calls.push(msg);
      return new Promise((resolve, reject) => {
        setTimeout(() => {
          try {
            if (msg.type === "spinstack/insights/options") {
              if (failing === "options") throw { code: "not_found", message: "SpinStack is not loaded" };
              resolve({
                entry_id: "01JSPINSTACKDEMO", title: "SpinStack", timezone: TZ,
                first_played: plays[0]?.started_at ?? null, last_played: plays.at(-1)?.started_at ?? null,
                rooms: ROOMS, services: SERVICES, periods: ["today", "week", "month", "year", "all", "custom"],
              });
            } else if (msg.type === "spinstack/insights") {
              if (failing === "insights") throw { code: "home_assistant_error", message: "The plays database is locked (try again)" };
              resolve(insights(msg));
            } else if (msg.type === "spinstack/insights/plays") {
              if (failing === "plays") throw { code: "home_assistant_error", message: "Could not read the plays" };
              resolve(playsOf(msg));
            } else throw { code: "unknown_command", message: "Unknown command." };
          } catch (err) {
            reject(err);
          }
        }, delay);
      });
    },
  };
  return hass;
}
