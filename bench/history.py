"""A realistic listening history, generated: Zipf-distributed artists and tracks, a daily rhythm, several
services and rooms, over many years. Deterministic for a given seed."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
import itertools
import random

from custom_components.spinstack.engine import Play

# Share of plays by local hour of day: quiet nights, a morning bump, evenings the busiest.
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 2, 5, 6, 4, 3, 3, 4, 4, 3, 3, 4, 6, 8, 9, 9, 8, 5, 2]
SERVICES = (
    ("spotify", "on_demand", 50),
    ("apple_music", "on_demand", 12),
    ("local_library", "on_demand", 10),
    ("tunein", "radio", 10),
    ("sonos_radio", "radio", 5),
    ("deezer", "on_demand", 5),
    ("tidal", "on_demand", 4),
    ("amazon_music", "on_demand", 4),
)
ROOMS = (
    ("RINCON_000E58A0000101400", "Living Room", 40),
    ("RINCON_000E58A0000201400", "Kitchen", 25),
    ("RINCON_000E58A0000301400", "Bedroom", 15),
    ("RINCON_000E58A0000401400", "Office", 15),
    ("RINCON_000E58A0000501400", "Bathroom", 5),
)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Artists with their albums and tracks."""

    artists: list[str]
    artist_cum: list[float]
    tracks: list[list[tuple[str, str, int]]]  # per artist: (title, album, duration)
    track_cum: list[list[float]]


def _zipf_cum(count: int, exponent: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, count + 1)))


def catalogue(rng: random.Random, artists: int) -> Catalogue:
    names = [
        f"Artist {index:05d} {rng.choice(('Band', 'Trio', 'Collective', 'Orchestra', ''))}".strip()
        for index in range(artists)
    ]
    tracks: list[list[tuple[str, str, int]]] = []
    cums: list[list[float]] = []
    for index in range(artists):
        # Popular artists have more tracks.
        count = max(3, int(60 / (1 + index / 200)))
        albums = [f"Album {index}-{number}" for number in range(max(1, count // 10))]
        tracks.append([(f"Song {index}-{number}", rng.choice(albums), rng.randint(90, 420)) for number in range(count)])
        cums.append(_zipf_cum(count, 1.0))
    return Catalogue(names, _zipf_cum(artists, 1.07), tracks, cums)


def generate(plays: int, end: float, years: float = 20, seed: int = 2026) -> Iterator[Play]:
    """``plays`` plays spread over ``years`` years up to ``end`` (epoch seconds), oldest first."""
    rng = random.Random(seed)
    cat = catalogue(rng, artists=max(50, min(25_000, plays // 40)))
    span = years * 365.25 * 86400
    start = end - span
    days = max(1, int(span // 86400))
    # Plays per day grow over the years (people listen more as the collection grows) and vary day by day.
    day_weights = [(1 + 2 * day / days) * (0.3 + rng.random()) for day in range(days)]
    day_cum = list(itertools.accumulate(day_weights))
    hour_cum = list(itertools.accumulate(HOUR_WEIGHTS))
    service_cum = list(itertools.accumulate(w for *_, w in SERVICES))
    room_cum = list(itertools.accumulate(w for *_, w in ROOMS))
    chosen_days = sorted(rng.choices(range(days), cum_weights=day_cum, k=plays))
    artist_idx = rng.choices(range(len(cat.artists)), cum_weights=cat.artist_cum, k=plays)
    hours = rng.choices(range(24), cum_weights=hour_cum, k=plays)
    services = rng.choices(SERVICES, cum_weights=service_cum, k=plays)
    rooms = rng.choices(ROOMS, cum_weights=room_cum, k=plays)
    for index, (day, artist) in enumerate(zip(chosen_days, artist_idx, strict=True)):
        started = start + day * 86400 + hours[index] * 3600 + rng.random() * 3600
        track_cum = cat.track_cum[artist]
        pick = bisect.bisect_left(track_cum, rng.random() * track_cum[-1])
        title, album, duration = cat.tracks[artist][min(pick, len(track_cum) - 1)]
        service, kind, _ = services[index]
        speaker, room, _ = rooms[index]
        yield Play(
            started_at=started,
            artist=cat.artists[artist],
            title=title,
            album=album,
            album_artist=None,
            duration=float(duration),
            heard=float(min(duration, 240 + rng.random() * 60)),
            service=service,
            kind=kind,
            speaker=speaker,
            room=room,
        )
