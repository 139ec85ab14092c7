"""The music the fake services know: a small, deterministic catalogue shared by all four, and a generator of as
many distinct synthetic tracks as a backfill test needs.

Every identifier is plausible but invented (MusicBrainz ids are name-based UUIDs, ISRCs follow the ISRC format,
Deezer and Discogs ids are integers of the usual size), except the Sonos-side ids that the speaker emulator's
scenario and tests already use (Spotify ``0VjIjW4GlUZAMYd2vXMi3b``, Deezer ``3135556``, Apple Music ``1440857781``,
...), so that a track an emulated speaker plays is one the fakes know.

The curated catalogue (`Catalogue.default()`, 30 tracks) holds, besides ordinary tracks:

- ``under-pressure``: two artists ("Queen & David Bowie"); ``get-lucky``: a featured artist ("Daft Punk feat.
  Pharrell Williams");
- ``crazy-in-love``: Sonos reports "Beyonce feat. Jay-Z" / "Crazy In Love (feat. Jay-Z)" while MusicBrainz knows
  "Crazy in Love" by "Beyoncé feat. JAY\u2010Z" (with a U+2010 hyphen) and Deezer "Crazy In Love (feat. Jay-Z)" by
  "Beyoncé"; ``hoppipolla``: Sonos reports "SIGUR ROS" / "Hoppipolla", the services "Sigur Rós" / "Hoppípolla";
- ``kitchen-demo``: only MusicBrainz knows it (no ISRC, no genres); ``shower-song``: nobody knows it;
- ``bohemian-rhapsody``: a local file whose ISRC Deezer holds twice (the album, and a compilation with the same
  ISRC and a lower rank); ``/track/isrc:`` answers the compilation's copy, as the real API may;
- ``says``: MusicBrainz holds the recording without its ISRC and without genres; ``juice``: no Discogs release;
- ``sexy-boy`` and ``1901``: Discogs spells the artists "AIR" and "Phoenix (2)";
- share links differ per track: not every platform has every track.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
import hashlib
from typing import Any
import uuid

from .text import tokens

# The public web pages the services put in their answers (share links, release pages). The fakes never contact
# them; they are data, like the pages' ids. The services' API hosts appear nowhere: the fakes are addressed by
# their base URL.
WEB: Mapping[str, str] = {
    "deezer": "https://www.deezer.com/track/{id}",
    "deezer_artist": "https://www.deezer.com/artist/{id}",
    "deezer_album": "https://www.deezer.com/album/{id}",
    "spotify": "https://open.spotify.com/track/{id}",
    "appleMusic": "https://geo.music.apple.com/us/album/_/{album}?i={id}&mt=1&app=music",
    "itunes": "https://geo.music.apple.com/us/album/_/{album}?i={id}&mt=1&app=itunes",
    "tidal": "https://listen.tidal.com/track/{id}",
    "youtube": "https://www.youtube.com/watch?v={id}",
    "youtubeMusic": "https://music.youtube.com/watch?v={id}",
    "amazonMusic": "https://music.amazon.com/tracks/{id}",
    "songlink": "https://song.link/{letter}/{id}",
    "discogs_release": "https://www.discogs.com/release/{id}-{slug}",
    "discogs_artist": "https://www.discogs.com/artist/{id}-{slug}",
}

# The namespace of every MusicBrainz-style id in the catalogue (uuid5 of "kind:key").
NAMESPACE = uuid.UUID("5d4b0f5e-8a51-4c3e-9a57-2f1d5c0b7e21")

COUNTRIES: Mapping[str, str] = {
    "CA": "Canada",
    "DE": "Germany",
    "FR": "France",
    "GB": "United Kingdom",
    "IS": "Iceland",
    "NL": "Netherlands",
    "NO": "Norway",
    "SE": "Sweden",
    "US": "United States",
    "XE": "Europe",
    "XW": "[Worldwide]",
}


def make_mbid(kind: str, key: str) -> str:
    """A MusicBrainz-style id (a valid UUID) for the `kind` of entity `key`, the same on every run."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _digest(kind: str, key: str) -> bytes:
    return hashlib.sha256(f"{kind}:{key}".encode()).digest()


def make_number(kind: str, key: str, low: int, high: int) -> int:
    """A deterministic integer in ``[low, high)`` for the `kind` of entity `key`."""
    return low + int.from_bytes(_digest(kind, key)[:8]) % (high - low)


def make_token(kind: str, key: str, length: int, alphabet: str) -> str:
    """A deterministic string of `length` characters of `alphabet`."""
    digest = _digest(kind, key)
    while len(digest) < length:
        digest += hashlib.sha256(digest).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
YOUTUBE_ALPHABET = BASE62 + "-_"


@dataclass(frozen=True)
class Vote:
    """A MusicBrainz genre or tag with its vote count."""

    name: str
    count: int

    @property
    def genre_id(self) -> str:
        """The genre's MusicBrainz id."""
        return make_mbid("genre", self.name)


def votes(text: str) -> tuple[Vote, ...]:
    """``"synth-pop 5, new wave 3"`` -> votes, the count after the last space of each item."""
    found: list[Vote] = []
    for item in text.split(","):
        if item.strip():
            name, _, count = item.strip().rpartition(" ")
            found.append(Vote(name, int(count)))
    return tuple(found)


@dataclass(frozen=True)
class Artist:
    """An artist, with what MusicBrainz, Deezer and Discogs know of it (an id of None: that service does not)."""

    key: str
    name: str
    sort_name: str
    type: str = "Group"  # MusicBrainz: Person, Group, Orchestra, Choir, Character, Other
    country: str | None = None  # ISO 3166-1 alpha-2
    begin: str | None = None
    end: str | None = None
    gender: str | None = None
    disambiguation: str = ""
    genres: tuple[Vote, ...] = ()  # MusicBrainz genres (its tags include them)
    other_tags: tuple[Vote, ...] = ()  # MusicBrainz tags that are not genres
    mbid: str | None = None
    deezer_id: int | None = None
    discogs_id: int | None = None
    discogs_name: str | None = None  # Discogs' spelling, when it differs ("Phoenix (2)")

    @property
    def tags(self) -> tuple[Vote, ...]:
        """Every MusicBrainz tag (genres included), by name."""
        return tuple(sorted((*self.genres, *self.other_tags), key=lambda vote: vote.name))

    @property
    def area(self) -> str | None:
        """The name of the artist's country."""
        return COUNTRIES.get(self.country) if self.country else None

    @property
    def on_discogs(self) -> str:
        """The artist's name as Discogs spells it."""
        return self.discogs_name or self.name


@dataclass(frozen=True)
class Credit:
    """One artist of an artist credit, and the phrase joining it to the next (``" feat. "``, ``" & "``)."""

    artist: Artist
    joinphrase: str = ""
    name: str | None = None  # the name credited, when not the artist's own

    @property
    def credited(self) -> str:
        """The name as credited."""
        return self.name or self.artist.name


def credit_phrase(parts: Iterable[Credit]) -> str:
    """``"Queen & David Bowie"``: every credited name followed by its join phrase."""
    return "".join(credit.credited + credit.joinphrase for credit in parts)


@dataclass(frozen=True)
class DiscogsRelease:
    """What Discogs knows of an album: one release (a pressing) of it."""

    id: int
    title: str
    year: int
    country: str  # Discogs' country name ("UK", "Europe", "US")
    genres: tuple[str, ...]
    styles: tuple[str, ...]
    label: str
    catno: str
    format: str = "CD"
    descriptions: tuple[str, ...] = ("Album",)
    master_id: int | None = None

    @property
    def label_id(self) -> int:
        """The label's Discogs id."""
        return make_number("discogs-label", self.label, 1_000, 900_000)

    @property
    def cover_path(self) -> str:
        """The path of the release's cover under a fake's ``/images/``."""
        return f"/images/discogs/R-{self.id}-primary.jpg"


@dataclass(frozen=True)
class Album:
    """An album (a MusicBrainz release and its release group, a Deezer album, a Discogs release)."""

    key: str
    title: str
    credits: tuple[Credit, ...]
    date: str  # YYYY-MM-DD (or YYYY)
    country: str = "XE"  # the MusicBrainz release country (ISO, XE Europe, XW worldwide)
    primary_type: str = "Album"
    secondary_types: tuple[str, ...] = ()
    label: str = ""
    track_count: int = 10
    mbid: str | None = None
    release_group_mbid: str | None = None
    deezer_id: int | None = None
    discogs: DiscogsRelease | None = None

    @property
    def artist_credit(self) -> str:
        """The album's artist credit as one string."""
        return credit_phrase(self.credits)

    @property
    def year(self) -> int:
        """The year of the first release."""
        return int(self.date[:4])

    @property
    def deezer_md5(self) -> str:
        """The md5 of the album's cover as Deezer names its images."""
        return make_token("deezer-cover", self.key, 32, "0123456789abcdef")

    @property
    def upc(self) -> str:
        """The album's barcode."""
        return str(make_number("upc", self.key, 10**11, 10**12))


@dataclass(frozen=True)
class DeezerCopy:
    """Another Deezer track with the same ISRC (the recording again, on a compilation)."""

    id: int
    album_title: str
    album_id: int
    rank: int


@dataclass(frozen=True)
class Link:
    """A track on one platform, as Odesli reports it."""

    platform: str  # the key in linksByPlatform: spotify, appleMusic, itunes, deezer, tidal, youtube, ...
    provider: str  # apiProvider: spotify, itunes, deezer, tidal, youtube, amazon
    entity_unique_id: str  # "SPOTIFY_SONG::0VjIjW4GlUZAMYd2vXMi3b"
    id: str
    url: str
    native_app_uri_desktop: str | None = None


@dataclass(frozen=True)
class Track:
    """A track: how a Sonos speaker reports it, and what each service knows of it.

    An id of None means that service does not know the track: `mbid` (MusicBrainz), `deezer_id` (Deezer),
    ``album.discogs`` (Discogs); Odesli knows the tracks that have at least one platform id and `odesli` set.
    """

    key: str
    title: str
    credits: tuple[Credit, ...]
    album: Album
    duration: int  # seconds, as the services know it
    position: int = 1
    isrc: str | None = None
    mbid: str | None = None
    mb_isrcs: tuple[str, ...] | None = None  # the ISRCs MusicBrainz holds (None: the track's own, if any)
    disambiguation: str = ""
    first_release_date: str | None = None  # None: the album's date
    genres: tuple[Vote, ...] = ()  # MusicBrainz genres of the recording
    other_tags: tuple[Vote, ...] = ()
    deezer_id: int | None = None
    deezer_title: str | None = None  # Deezer's title, when it differs ("Crazy In Love (feat. Jay-Z)")
    deezer_title_version: str = ""
    deezer_copies: tuple[DeezerCopy, ...] = ()
    explicit: bool = False
    spotify_id: str | None = None
    apple_id: str | None = None
    tidal_id: str | None = None
    youtube_id: str | None = None
    amazon_id: str | None = None
    odesli: bool = True
    sonos_artist: str | None = None  # what a Sonos speaker reports, when it differs from the artist credit
    sonos_title: str | None = None
    sonos_album: str | None = None

    # -- names ------------------------------------------------------------------------------------------------------
    @property
    def artist_credit(self) -> str:
        """The artist credit as one string (``"Daft Punk feat. Pharrell Williams"``)."""
        return credit_phrase(self.credits)

    @property
    def artists(self) -> tuple[Artist, ...]:
        """Every credited artist, in credit order."""
        return tuple(credit.artist for credit in self.credits)

    @property
    def main_artist(self) -> Artist:
        """The first credited artist (Deezer's ``artist``)."""
        return self.credits[0].artist

    @property
    def reported_artist(self) -> str:
        """The artist as a Sonos speaker reports it."""
        return self.sonos_artist or self.artist_credit

    @property
    def reported_title(self) -> str:
        """The title as a Sonos speaker reports it."""
        return self.sonos_title or self.title

    @property
    def reported_album(self) -> str:
        """The album as a Sonos speaker reports it."""
        return self.sonos_album or self.album.title

    @property
    def length_ms(self) -> int:
        """The duration in milliseconds (MusicBrainz' ``length``)."""
        return self.duration * 1000

    @property
    def release_date(self) -> str:
        """The first release date (MusicBrainz' ``first-release-date``)."""
        return self.first_release_date or self.album.date

    @property
    def musicbrainz_isrcs(self) -> tuple[str, ...]:
        """The ISRCs MusicBrainz holds for the recording."""
        if self.mb_isrcs is not None:
            return self.mb_isrcs
        return (self.isrc,) if self.isrc else ()

    @property
    def tags(self) -> tuple[Vote, ...]:
        """Every MusicBrainz tag of the recording (genres included), by name."""
        return tuple(sorted((*self.genres, *self.other_tags), key=lambda vote: vote.name))

    # -- Deezer -----------------------------------------------------------------------------------------------------
    @property
    def deezer_title_short(self) -> str:
        """Deezer's ``title_short``: its title without the version."""
        return self.deezer_title or self.title

    @property
    def on_deezer(self) -> str:
        """Deezer's ``title``: the short title and the version (``"Get Lucky (feat. Pharrell Williams)"``)."""
        return f"{self.deezer_title_short} {self.deezer_title_version}".strip()

    @property
    def deezer_rank(self) -> int:
        """Deezer's popularity rank."""
        return make_number("deezer-rank", self.key, 100_000, 999_999)

    @property
    def bpm(self) -> float:
        """Deezer's tempo."""
        return make_number("bpm", self.key, 700, 1800) / 10

    @property
    def gain(self) -> float:
        """Deezer's replay gain (dB)."""
        return -make_number("gain", self.key, 60, 160) / 10

    # -- who knows it -----------------------------------------------------------------------------------------------
    @cached_property
    def known_by(self) -> frozenset[str]:
        """The fake services that know the track."""
        known = set()
        if self.mbid:
            known.add("musicbrainz")
        if self.deezer_id:
            known.add("deezer")
        if self.album.discogs:
            known.add("discogs")
        if self.links:
            known.add("odesli")
        return frozenset(known)

    @cached_property
    def links(self) -> tuple[Link, ...]:
        """The track on every platform Odesli knows (empty: Odesli does not know the track)."""
        if not self.odesli:
            return ()
        found: list[Link] = []
        if self.spotify_id:
            found.append(
                Link(
                    "spotify",
                    "spotify",
                    f"SPOTIFY_SONG::{self.spotify_id}",
                    self.spotify_id,
                    WEB["spotify"].format(id=self.spotify_id),
                    f"spotify:track:{self.spotify_id}",
                )
            )
        if self.apple_id:
            album = make_number("apple-album", self.album.key, 1_400_000_000, 1_800_000_000)
            found.extend(
                Link(
                    platform,
                    "itunes",
                    f"ITUNES_SONG::{self.apple_id}",
                    self.apple_id,
                    WEB[platform].format(album=album, id=self.apple_id),
                )
                for platform in ("appleMusic", "itunes")
            )
        if self.deezer_id:
            found.append(
                Link(
                    "deezer",
                    "deezer",
                    f"DEEZER_SONG::{self.deezer_id}",
                    str(self.deezer_id),
                    WEB["deezer"].format(id=self.deezer_id),
                )
            )
        if self.tidal_id:
            found.append(
                Link(
                    "tidal",
                    "tidal",
                    f"TIDAL_SONG::{self.tidal_id}",
                    self.tidal_id,
                    WEB["tidal"].format(id=self.tidal_id),
                )
            )
        if self.youtube_id:
            found.extend(
                Link(
                    platform,
                    "youtube",
                    f"YOUTUBE_VIDEO::{self.youtube_id}",
                    self.youtube_id,
                    WEB[platform].format(id=self.youtube_id),
                )
                for platform in ("youtube", "youtubeMusic")
            )
        if self.amazon_id:
            found.append(
                Link(
                    "amazonMusic",
                    "amazon",
                    f"AMAZON_SONG::{self.amazon_id}",
                    self.amazon_id,
                    WEB["amazonMusic"].format(id=self.amazon_id),
                )
            )
        return tuple(found)

    def link(self, platform: str) -> Link | None:
        """The track on `platform` (a linksByPlatform key), if Odesli knows it there."""
        return next((link for link in self.links if link.platform == platform), None)

    # -- search -----------------------------------------------------------------------------------------------------
    @cached_property
    def title_words(self) -> tuple[str, ...]:
        """The folded words of the title."""
        return tokens(self.title)

    @cached_property
    def deezer_title_words(self) -> tuple[str, ...]:
        """The folded words of Deezer's title."""
        return tokens(self.on_deezer)

    @cached_property
    def credit_words(self) -> tuple[str, ...]:
        """The folded words of the artist credit."""
        return tokens(self.artist_credit)

    @cached_property
    def album_words(self) -> tuple[str, ...]:
        """The folded words of the album title."""
        return tokens(self.album.title)


class Catalogue:
    """The tracks the fakes know, with the indexes their handlers look them up by."""

    def __init__(self, tracks: Iterable[Track]) -> None:
        self.tracks: tuple[Track, ...] = tuple(tracks)
        self._by_key: dict[str, Track] = {}
        self._by_deezer: dict[int, tuple[Track, DeezerCopy | None]] = {}
        self._by_isrc: dict[str, list[Track]] = {}
        self._by_mbid: dict[str, Track] = {}
        self._artists: dict[str, Artist] = {}
        self._artists_by_mbid: dict[str, Artist] = {}
        self._discogs: dict[int, tuple[Album, list[Track]]] = {}
        self._albums: dict[str, Album] = {}
        self._known: dict[str, list[Track]] = {}
        for track in self.tracks:
            if track.key in self._by_key:
                raise ValueError(f"two tracks have the key {track.key!r}")
            self._by_key[track.key] = track
            self._albums.setdefault(track.album.key, track.album)
            if track.deezer_id:
                for deezer_id, copy in ((track.deezer_id, None), *((copy.id, copy) for copy in track.deezer_copies)):
                    if deezer_id in self._by_deezer:
                        raise ValueError(f"two tracks have the Deezer id {deezer_id}")
                    self._by_deezer[deezer_id] = (track, copy)
            if track.isrc:
                self._by_isrc.setdefault(track.isrc.upper(), []).append(track)
            if track.mbid:
                self._by_mbid[track.mbid] = track
            for credit in (*track.credits, *track.album.credits):
                artist = credit.artist
                self._artists.setdefault(artist.key, artist)
                if artist.mbid:
                    self._artists_by_mbid.setdefault(artist.mbid, artist)
            if track.album.discogs:
                held = self._discogs.setdefault(track.album.discogs.id, (track.album, []))
                if held[0].key != track.album.key:
                    raise ValueError(f"two albums have the Discogs release {track.album.discogs.id}")
                held[1].append(track)

    # -- construction -------------------------------------------------------------------------------------------
    @classmethod
    def default(cls) -> Catalogue:
        """The curated catalogue (30 tracks, the special cases included)."""
        return _default()

    @classmethod
    def synthetic(cls, count: int, *, start: int = 0) -> Catalogue:
        """`count` distinct synthetic tracks (ten per artist and album), every service knowing every one."""
        return cls(synthetic_tracks(count, start=start))

    def __add__(self, other: Catalogue) -> Catalogue:
        return Catalogue((*self.tracks, *other.tracks))

    def __len__(self) -> int:
        return len(self.tracks)

    def __iter__(self) -> Iterator[Track]:
        return iter(self.tracks)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    # -- look-ups -------------------------------------------------------------------------------------------------
    def track(self, key: str) -> Track:
        """The track with `key` (KeyError when there is none)."""
        return self._by_key[key]

    def by_deezer_id(self, deezer_id: int) -> tuple[Track, DeezerCopy | None] | None:
        """The track with Deezer id `deezer_id`, and the copy it is when the id is a compilation's copy."""
        return self._by_deezer.get(deezer_id)

    def by_isrc(self, isrc: str) -> list[Track]:
        """The tracks with `isrc` (any case)."""
        return list(self._by_isrc.get(isrc.upper(), ()))

    def by_mbid(self, mbid: str) -> Track | None:
        """The track whose MusicBrainz recording id is `mbid`."""
        return self._by_mbid.get(mbid)

    def artist(self, key: str) -> Artist:
        """The artist with `key`."""
        return self._artists[key]

    def artist_by_mbid(self, mbid: str) -> Artist | None:
        """The artist whose MusicBrainz id is `mbid`."""
        return self._artists_by_mbid.get(mbid)

    @property
    def artists(self) -> tuple[Artist, ...]:
        """Every artist credited on a track or an album."""
        return tuple(self._artists.values())

    @property
    def albums(self) -> tuple[Album, ...]:
        """Every album."""
        return tuple(self._albums.values())

    def discogs_release(self, release_id: int) -> tuple[Album, list[Track]] | None:
        """The album whose Discogs release is `release_id`, and its tracks."""
        return self._discogs.get(release_id)

    def discogs_releases(self) -> list[tuple[Album, list[Track]]]:
        """Every album Discogs knows, with its tracks."""
        return list(self._discogs.values())

    def known_by(self, service: str) -> list[Track]:
        """The tracks `service` (deezer, musicbrainz, discogs, odesli) knows."""
        if service not in self._known:
            self._known[service] = [track for track in self.tracks if service in track.known_by]
        return list(self._known[service])


# ---------------------------------------------------------------------------------------------------------------
# Building blocks of the curated catalogue


def artist(
    key: str,
    name: str,
    sort_name: str | None = None,
    *,
    type: str = "Group",  # noqa: A002 - MusicBrainz' own field name
    country: str | None = None,
    begin: str | None = None,
    end: str | None = None,
    gender: str | None = None,
    genres: str = "",
    tags: str = "",
    disambiguation: str = "",
    musicbrainz: bool = True,
    deezer: bool = True,
    discogs: bool = True,
    discogs_name: str | None = None,
    deezer_id: int | None = None,
    discogs_id: int | None = None,
) -> Artist:
    """An artist with deterministic ids at every service that knows it."""
    return Artist(
        key=key,
        name=name,
        sort_name=sort_name or name,
        type=type,
        country=country,
        begin=begin,
        end=end,
        gender=gender if gender is not None else ("male" if type == "Person" else None),
        disambiguation=disambiguation,
        genres=votes(genres),
        other_tags=votes(tags),
        mbid=make_mbid("artist", key) if musicbrainz else None,
        deezer_id=(deezer_id or make_number("deezer-artist", key, 1_000, 15_000_000)) if deezer else None,
        discogs_id=(discogs_id or make_number("discogs-artist", key, 1_000, 9_000_000)) if discogs else None,
        discogs_name=discogs_name,
    )


def credited(*parts: Artist | str) -> tuple[Credit, ...]:
    """``credited(queen, " & ", bowie)``: artists and the phrases joining them."""
    found: list[Credit] = []
    for part in parts:
        if isinstance(part, Artist):
            found.append(Credit(part))
        else:
            found[-1] = Credit(found[-1].artist, part, found[-1].name)
    return tuple(found)


def album(
    key: str,
    title: str,
    by: tuple[Credit, ...],
    date: str,
    *,
    country: str = "XE",
    primary_type: str = "Album",
    secondary_types: tuple[str, ...] = (),
    label: str = "",
    track_count: int = 10,
    discogs: DiscogsRelease | None = None,
    musicbrainz: bool = True,
    deezer: bool | int = True,
) -> Album:
    """An album with deterministic ids at every service that knows it."""
    return Album(
        key=key,
        title=title,
        credits=by,
        date=date,
        country=country,
        primary_type=primary_type,
        secondary_types=secondary_types,
        label=label,
        track_count=track_count,
        mbid=make_mbid("release", key) if musicbrainz else None,
        release_group_mbid=make_mbid("release-group", key) if musicbrainz else None,
        deezer_id=_deezer_id(deezer, "deezer-album", key, 100_000, 700_000_000),
        discogs=discogs,
    )


def discogs(
    key: str,
    title: str,
    year: int,
    country: str,
    genres: str,
    styles: str,
    label: str,
    catno: str,
    *,
    format: str = "CD",  # noqa: A002 - Discogs' own field name
    descriptions: tuple[str, ...] = ("Album",),
    release_id: int | None = None,
) -> DiscogsRelease:
    """A Discogs release with deterministic release and master ids; `genres` and `styles` are comma-separated."""
    return DiscogsRelease(
        id=release_id or make_number("discogs-release", key, 100_000, 30_000_000),
        title=title,
        year=year,
        country=country,
        genres=tuple(item.strip() for item in genres.split(",") if item.strip()),
        styles=tuple(item.strip() for item in styles.split(",") if item.strip()),
        label=label,
        catno=catno,
        format=format,
        descriptions=descriptions,
        master_id=make_number("discogs-master", key, 1_000, 3_500_000),
    )


def _deezer_id(deezer: bool | int, kind: str, key: str, low: int, high: int) -> int | None:
    """True: a made id; False: none (Deezer does not know it); an int: that id."""
    if deezer is True:
        return make_number(kind, key, low, high)
    if deezer is False:
        return None
    return int(deezer)


def track(
    key: str,
    title: str,
    by: tuple[Credit, ...],
    on: Album,
    duration: int,
    isrc: str | None,
    *,
    genres: str = "",
    tags: str = "",
    musicbrainz: bool = True,
    deezer: bool | int = True,
    platforms: str = "spotify apple tidal youtube amazon",
    spotify_id: str | None = None,
    apple_id: str | None = None,
    tidal_id: str | None = None,
    **details: Any,
) -> Track:
    """A track with deterministic ids: `deezer` True (an id is made), an id, or False; `platforms` lists where
    Odesli finds it (spotify apple tidal youtube amazon; Deezer whenever Deezer knows the track); `details` are
    further `Track` fields."""
    wanted = set(platforms.split())
    deezer_id = _deezer_id(deezer, "deezer-track", key, 1_000_000, 3_000_000_000)
    if "apple" in wanted and apple_id is None:
        apple_id = str(make_number("apple", key, 1_400_000_000, 1_800_000_000))
    return Track(
        key=key,
        title=title,
        credits=by,
        album=on,
        duration=duration,
        isrc=isrc,
        mbid=make_mbid("recording", key) if musicbrainz else None,
        genres=votes(genres),
        other_tags=votes(tags),
        deezer_id=deezer_id,
        spotify_id=spotify_id or (make_token("spotify", key, 22, BASE62) if "spotify" in wanted else None),
        apple_id=apple_id,
        tidal_id=tidal_id or (str(make_number("tidal", key, 10_000_000, 400_000_000)) if "tidal" in wanted else None),
        youtube_id=make_token("youtube", key, 11, YOUTUBE_ALPHABET) if "youtube" in wanted else None,
        amazon_id="B0" + make_token("amazon", key, 8, BASE62[:36]) if "amazon" in wanted else None,
        **details,
    )


# ---------------------------------------------------------------------------------------------------------------
# The curated catalogue


@cache
def _default() -> Catalogue:
    # fmt: off
    weeknd = artist(
        "the-weeknd", "The Weeknd", "Weeknd, The", type="Person", country="CA", begin="1990-02-16",
        genres="r&b 8, synth-pop 5, pop 4, alternative r&b 6", tags="canadian 3",
    )
    pink_floyd = artist(
        "pink-floyd", "Pink Floyd", country="GB", begin="1965",
        genres="progressive rock 30, psychedelic rock 22, rock 18, art rock 9", tags="british 5, classic rock 12",
    )
    rick_astley = artist(
        "rick-astley", "Rick Astley", "Astley, Rick", type="Person", country="GB", begin="1966-02-06",
        genres="dance-pop 6, synth-pop 4, pop 5", tags="80s 3",
    )
    daft_punk = artist(
        "daft-punk", "Daft Punk", country="FR", begin="1993", end="2021-02-22", deezer_id=27,
        genres="french house 14, house 10, electronic 12, disco 4", tags="french 6",
    )
    queen = artist(
        "queen", "Queen", country="GB", begin="1970", disambiguation="UK rock group",
        genres="rock 25, hard rock 12, glam rock 10, pop rock 6, progressive rock 5", tags="british 8",
    )
    bowie = artist(
        "david-bowie", "David Bowie", "Bowie, David", type="Person", country="GB", begin="1947-01-08",
        end="2016-01-10", genres="rock 20, art rock 12, glam rock 14, pop rock 6", tags="british 4",
    )
    a_ha = artist(
        "a-ha", "a-ha", country="NO", begin="1982", genres="synth-pop 12, new wave 9, pop 5", tags="norwegian 4",
    )
    ed_sheeran = artist(
        "ed-sheeran", "Ed Sheeran", "Sheeran, Ed", type="Person", country="GB", begin="1991-02-17",
        genres="pop 9, singer-songwriter 5, folk pop 3",
    )
    killers = artist(
        "the-killers", "The Killers", "Killers, The", country="US", begin="2001",
        genres="alternative rock 11, indie rock 9, new wave 4, post-punk revival 6", tags="las vegas 2",
    )
    debussy = artist(
        "claude-debussy", "Claude Debussy", "Debussy, Claude", type="Person", country="FR", begin="1862-08-22",
        end="1918-03-25", disambiguation="French composer", genres="classical 10, impressionism 6",
        tags="composer 4, piano 2",
    )
    nils_frahm = artist(
        "nils-frahm", "Nils Frahm", "Frahm, Nils", type="Person", country="DE", begin="1982-09-20",
        genres="modern classical 7, ambient 5, electronic 3", tags="piano 4",
    )
    massive_attack = artist(
        "massive-attack", "Massive Attack", country="GB", begin="1988",
        genres="trip hop 20, electronic 8, downtempo 4", tags="bristol 5",
    )
    robyn = artist(
        "robyn", "Robyn", type="Person", gender="female", country="SE", begin="1979-06-12",
        genres="electropop 8, dance-pop 7, synth-pop 5", tags="swedish 3",
    )
    m83 = artist(
        "m83", "M83", country="FR", begin="2001", genres="dream pop 6, shoegaze 5, synth-pop 7, electronic 8",
    )
    lizzo = artist(
        "lizzo", "Lizzo", type="Person", gender="female", country="US", begin="1988-04-27",
        genres="pop 5, funk 4, hip hop 3, r&b 3",
    )
    air = artist(
        "air", "Air", country="FR", begin="1995", disambiguation="French band", discogs_name="AIR",
        genres="downtempo 8, electronic 9, trip hop 4", tags="french 5",
    )
    phoenix = artist(
        "phoenix", "Phoenix", country="FR", begin="1995", disambiguation="French band", discogs_name="Phoenix (2)",
        genres="indie pop 7, alternative rock 5, synth-pop 3", tags="french 4",
    )
    pharrell = artist(
        "pharrell-williams", "Pharrell Williams", "Williams, Pharrell", type="Person", country="US",
        begin="1973-04-05", genres="hip hop 5, pop 4, r&b 4, funk 2",
    )
    beyonce = artist(
        "beyonce", "Beyoncé", "Beyoncé", type="Person", gender="female", country="US", begin="1981-09-04",
        genres="r&b 15, pop 12, contemporary r&b 6, hip hop 3",
    )
    jay_z = artist(
        "jay-z", "JAY\u2010Z", "JAY\u2010Z", type="Person", country="US", begin="1969-12-04",
        genres="hip hop 18, east coast hip hop 8", tags="rap 6",
    )
    sigur_ros = artist(
        "sigur-ros", "Sigur Rós", country="IS", begin="1994", genres="post-rock 20, ambient 8, dream pop 4",
        tags="icelandic 6",
    )
    radiohead = artist(
        "radiohead", "Radiohead", country="GB", begin="1985",
        genres="alternative rock 28, art rock 14, experimental rock 6", tags="british 7",
    )
    nirvana = artist(
        "nirvana", "Nirvana", country="US", begin="1987", end="1994-04-05", disambiguation="90s US grunge band",
        genres="grunge 30, alternative rock 15, punk rock 5", tags="seattle 4",
    )
    loft_tapes = artist(
        "the-loft-tapes", "The Loft Tapes", "Loft Tapes, The", country="NL", begin="2019",
        tags="lo-fi 1", deezer=False, discogs=False,
    )
    neighbours = artist(
        "lina-and-the-neighbours", "Lina & the Neighbours", musicbrainz=False, deezer=False, discogs=False,
    )

    after_hours = album(
        "after-hours", "After Hours", credited(weeknd), "2020-03-20", country="XW", label="Republic Records",
        track_count=14,
        discogs=discogs("after-hours", "After Hours", 2020, "US", "Electronic, Pop", "Synth-pop, Contemporary R&B",
                        "Republic Records", "B0031816-02"),
    )
    dark_side = album(
        "dark-side", "The Dark Side of the Moon", credited(pink_floyd), "1973-03-01", country="GB", label="Harvest",
        discogs=discogs("dark-side", "The Dark Side Of The Moon", 1973, "UK", "Rock", "Prog Rock, Psychedelic Rock",
                        "Harvest", "SHVL 804", format="Vinyl", descriptions=("LP", "Album")),
    )
    whenever = album(
        "whenever-you-need-somebody", "Whenever You Need Somebody", credited(rick_astley), "1987-11-16", country="GB",
        label="RCA",
        discogs=discogs("whenever-you-need-somebody", "Whenever You Need Somebody", 1987, "UK", "Electronic, Pop",
                        "Synth-pop, Euro-Disco", "RCA", "PL71529", format="Vinyl", descriptions=("LP", "Album")),
    )
    discovery = album(
        "discovery", "Discovery", credited(daft_punk), "2001-03-12", label="Virgin", track_count=14,
        discogs=discogs("discovery", "Discovery", 2001, "Europe", "Electronic", "House, Disco, Synth-pop", "Virgin",
                        "7243 8 49606 2 6"),
    )
    homework = album(
        "homework", "Homework", credited(daft_punk), "1997-01-20", label="Virgin", track_count=16,
        discogs=discogs("homework", "Homework", 1997, "Europe", "Electronic", "House, Techno", "Virgin",
                        "7243 8 42609 2 8"),
    )
    ram = album(
        "random-access-memories", "Random Access Memories", credited(daft_punk), "2013-05-17", country="XW",
        label="Columbia", track_count=13,
        discogs=discogs("random-access-memories", "Random Access Memories", 2013, "Europe",
                        "Electronic, Funk / Soul, Pop", "Disco, Nu-Disco", "Columbia", "88883716862"),
    )
    opera = album(
        "a-night-at-the-opera", "A Night at the Opera", credited(queen), "1975-11-21", country="GB", label="EMI",
        track_count=12,
        discogs=discogs("a-night-at-the-opera", "A Night At The Opera", 1975, "UK", "Rock", "Prog Rock, Glam, Pop Rock",
                        "EMI", "EMTC 103", format="Vinyl", descriptions=("LP", "Album")),
    )
    hot_space = album(
        "hot-space", "Hot Space", credited(queen), "1982-05-21", country="GB", label="EMI", track_count=11,
        discogs=discogs("hot-space", "Hot Space", 1982, "UK", "Rock, Funk / Soul, Pop", "Pop Rock, Funk", "EMI",
                        "EMA 797", format="Vinyl", descriptions=("LP", "Album")),
    )
    hunting = album(
        "hunting-high-and-low", "Hunting High and Low", credited(a_ha), "1985-06-01", label="Warner Bros. Records",
        discogs=discogs("hunting-high-and-low", "Hunting High And Low", 1985, "Europe", "Electronic, Pop", "Synth-pop",
                        "Warner Bros. Records", "925300-1", format="Vinyl", descriptions=("LP", "Album")),
    )
    divide = album(
        "divide", "÷", credited(ed_sheeran), "2017-03-03", country="XW", label="Asylum", track_count=12,
        discogs=discogs("divide", "÷", 2017, "Europe", "Pop", "Pop Rock, Acoustic", "Asylum", "0190295821012"),
    )
    hot_fuss = album(
        "hot-fuss", "Hot Fuss", credited(killers), "2004-06-07", country="GB", label="Lizard King", track_count=11,
        discogs=discogs("hot-fuss", "Hot Fuss", 2004, "UK", "Rock", "Indie Rock, Alternative Rock", "Lizard King",
                        "LIZARD011"),
    )
    bergamasque = album(
        "suite-bergamasque", "Suite bergamasque", credited(debussy), "1998", country="DE",
        label="Deutsche Grammophon", track_count=4,
        discogs=discogs("suite-bergamasque", "Suite Bergamasque", 1998, "Germany", "Classical", "Impressionist",
                        "Deutsche Grammophon", "459 069-2"),
    )
    spaces = album(
        "spaces", "Spaces", credited(nils_frahm), "2013-11-18", country="GB", label="Erased Tapes Records",
        track_count=8,
        discogs=discogs("spaces", "Spaces", 2013, "UK", "Electronic, Classical", "Modern Classical, Ambient",
                        "Erased Tapes Records", "ERATP052"),
    )
    mezzanine = album(
        "mezzanine", "Mezzanine", credited(massive_attack), "1998-04-20", country="GB", label="Virgin", track_count=11,
        discogs=discogs("mezzanine", "Mezzanine", 1998, "UK", "Electronic", "Trip Hop, Downtempo", "Virgin",
                        "WBRCD4"),
    )
    body_talk = album(
        "body-talk-pt-1", "Body Talk Pt. 1", credited(robyn), "2010-06-14", country="SE", label="Konichiwa Records",
        track_count=8,
        discogs=discogs("body-talk-pt-1", "Body Talk Pt. 1", 2010, "Sweden", "Electronic, Pop", "Electro, Synth-pop",
                        "Konichiwa Records", "KOR008"),
    )
    saturdays = album(
        "saturdays-youth", "Saturdays = Youth", credited(m83), "2008-04-14", country="GB", label="Mute",
        track_count=11,
        discogs=discogs("saturdays-youth", "Saturdays = Youth", 2008, "UK", "Electronic, Rock",
                        "Shoegaze, Synth-pop, Dream Pop", "Mute", "CDSTUMM295"),
    )
    hurry_up = album(
        "hurry-up", "Hurry Up, We're Dreaming", credited(m83), "2011-10-18", country="FR", label="Naïve",
        track_count=22,
        discogs=discogs("hurry-up", "Hurry Up, We're Dreaming", 2011, "France", "Electronic, Rock",
                        "Synth-pop, Indie Rock", "Naïve", "NV824411", descriptions=("Album", "Double")),
    )
    cuz_i_love_you = album(
        "cuz-i-love-you", "Cuz I Love You", credited(lizzo), "2019-04-19", country="US", label="Atlantic",
        track_count=11,
    )
    moon_safari = album(
        "moon-safari", "Moon Safari", credited(air), "1998-01-16", country="FR", label="Source",
        discogs=discogs("moon-safari", "Moon Safari", 1998, "France", "Electronic", "Downtempo, Ambient", "Source",
                        "7243 8 44978 2 0"),
    )
    wolfgang = album(
        "wolfgang-amadeus-phoenix", "Wolfgang Amadeus Phoenix", credited(phoenix), "2009-05-25", label="Loyauté",
        discogs=discogs("wolfgang-amadeus-phoenix", "Wolfgang Amadeus Phoenix", 2009, "Europe", "Rock, Pop",
                        "Indie Rock, Indie Pop", "Loyauté", "2687426"),
    )
    dangerously = album(
        "dangerously-in-love", "Dangerously in Love", credited(beyonce), "2003-06-23", label="Columbia",
        track_count=15,
        discogs=discogs("dangerously-in-love", "Dangerously In Love", 2003, "Europe", "Hip Hop, Funk / Soul, Pop",
                        "RnB/Swing, Contemporary R&B", "Columbia", "509395 2"),
    )
    takk = album(
        "takk", "Takk…", credited(sigur_ros), "2005-09-12", country="GB", label="EMI", track_count=11,
        discogs=discogs("takk", "Takk...", 2005, "Europe", "Rock", "Post Rock, Ambient", "EMI", "0946 3 36196 2 8"),
    )
    ok_computer = album(
        "ok-computer", "OK Computer", credited(radiohead), "1997-05-21", country="GB", label="Parlophone",
        track_count=12,
        discogs=discogs("ok-computer", "OK Computer", 1997, "UK", "Electronic, Rock", "Alternative Rock, Art Rock",
                        "Parlophone", "NODATA 02"),
    )
    nevermind = album(
        "nevermind", "Nevermind", credited(nirvana), "1991-09-24", country="US", label="DGC", track_count=13,
        discogs=discogs("nevermind", "Nevermind", 1991, "US", "Rock", "Grunge, Alternative Rock", "DGC",
                        "DGCD-24425"),
    )
    basement = album(
        "basement-sessions", "Basement Sessions", credited(loft_tapes), "2021-02-05", country="NL", track_count=6,
        deezer=False,
    )
    phone = album(
        "phone-recordings", "Phone Recordings", credited(neighbours), "2024", musicbrainz=False, deezer=False,
    )
    greatest_hits = make_number("deezer-album", "queen-greatest-hits", 100_000, 700_000_000)
    greatest_hits_track = make_number("deezer-track", "bohemian-rhapsody-gh", 1_000_000, 3_000_000_000)

    return Catalogue(
        (
            track("blinding-lights", "Blinding Lights", credited(weeknd), after_hours, 200, "USUG11904206",
                  position=9, genres="synth-pop 6, synthwave 3", tags="80s 2",
                  spotify_id="0VjIjW4GlUZAMYd2vXMi3b"),
            track("speak-to-me", "Speak to Me", credited(pink_floyd), dark_side, 90, "GBN9Y1100085",
                  position=1, genres="progressive rock 4", spotify_id="6rqhFgbbKwnb9MLmUQDhG6"),
            track("breathe", "Breathe", credited(pink_floyd), dark_side, 163, "GBN9Y1100086", position=2,
                  genres="progressive rock 6, psychedelic rock 3",
                  apple_id="1440857781"),
            track("time", "Time", credited(pink_floyd), dark_side, 413, "GBN9Y1100087", position=4, deezer=3135553,
                  genres="progressive rock 7, art rock 2"),
            track("never-gonna-give-you-up", "Never Gonna Give You Up", credited(rick_astley), whenever, 213,
                  "GBARL9300135", genres="dance-pop 5, synth-pop 3", tags="meme 4",
                  spotify_id="4uLU6hMCjMI75M1A2tKUQC"),
            track("one-more-time", "One More Time", credited(daft_punk), discovery, 320, "GBDUW0000053", position=1,
                  genres="french house 8, house 4", spotify_id="0DiWol3AO6WpXZgp0goxAV"),
            track("digital-love", "Digital Love", credited(daft_punk), discovery, 301, "GBDUW0000055", position=3,
                  genres="french house 4, synth-pop 2", spotify_id="2VEZx7NWsZ1D0eJ4uv5Fym"),
            track("harder-better-faster-stronger", "Harder, Better, Faster, Stronger", credited(daft_punk), discovery,
                  224, "GBDUW0000059", position=4, deezer=3135556, genres="french house 7, electronic 3"),
            track("around-the-world", "Around the World", credited(daft_punk), homework, 429, "GBDUW9600012",
                  position=7, genres="french house 9, house 5", spotify_id="1pKYYY0dkg23sQQXi0Q5zN"),
            track("get-lucky", "Get Lucky", credited(daft_punk, " feat. ", pharrell), ram, 369, "USQX91300108",
                  position=8, genres="disco 6, funk 4, nu-disco 3",
                  sonos_artist="Daft Punk, Pharrell Williams", deezer_title="Get Lucky",
                  deezer_title_version="(feat. Pharrell Williams)"),
            track("bohemian-rhapsody", "Bohemian Rhapsody", credited(queen), opera, 354, "GBUM71029604", position=11,
                  genres="progressive rock 9, rock 7, opera 2", tags="epic 3", platforms="spotify apple tidal youtube",
                  deezer_copies=(DeezerCopy(greatest_hits_track, "Greatest Hits (Remastered 2011)", greatest_hits,
                                            145_678),)),
            track("under-pressure", "Under Pressure", credited(queen, " & ", bowie), hot_space, 248, "GBUM71029606",
                  position=11, genres="rock 8, pop rock 3", platforms="spotify apple youtube"),
            track("take-on-me", "Take On Me", credited(a_ha), hunting, 225, "GBAHB8500010", position=1,
                  genres="synth-pop 9, new wave 5", apple_id="1452859441"),
            track("shape-of-you", "Shape of You", credited(ed_sheeran), divide, 233, "GBAHS1600463", position=4,
                  genres="pop 7, dancehall 2", spotify_id="7qiZfU4dY1lWllzX7mPBI3", sonos_album="÷ (Divide)"),
            track("mr-brightside", "Mr. Brightside", credited(killers), hot_fuss, 222, "USIR20400274", position=2,
                  genres="alternative rock 8, indie rock 6", spotify_id="3n3Ppam7vgaVa1iaRUc9Lp"),
            track("clair-de-lune", "Clair de lune", credited(debussy), bergamasque, 300, "DEF059800212", position=3,
                  deezer=916424, genres="classical 6, impressionism 4", platforms="spotify apple",
                  sonos_title="Clair de Lune"),
            track("says", "Says", credited(nils_frahm), spaces, 498, "GBCFB1300301", position=2, mb_isrcs=(),
                  platforms="spotify youtube"),
            track("teardrop", "Teardrop", credited(massive_attack), mezzanine, 330, "GBAAA9800033", position=3,
                  genres="trip hop 12, downtempo 3", platforms="spotify apple youtube amazon", apple_id="1440650428"),
            track("dancing-on-my-own", "Dancing On My Own", credited(robyn), body_talk, 280, "SEWKZ1000032",
                  position=3, genres="electropop 6, synth-pop 4", tags="sad banger 2"),
            track("couleurs", "Couleurs", credited(m83), saturdays, 380, "FR0W60800060", position=9,
                  genres="synth-pop 3, electronic 2", platforms="spotify tidal"),
            track("midnight-city", "Midnight City", credited(m83), hurry_up, 243, "FR0W61100011", position=2,
                  genres="synth-pop 9, dream pop 5"),
            track("juice", "Juice", credited(lizzo), cuz_i_love_you, 195, "USAT21900094", position=2,
                  genres="pop 4, funk 3", explicit=True),
            track("sexy-boy", "Sexy Boy", credited(air), moon_safari, 298, "FRZ109700121", position=2,
                  genres="downtempo 5, electronic 3"),
            track("1901", "1901", credited(phoenix), wolfgang, 193, "FR6V80900021", position=2,
                  genres="indie pop 6, synth-pop 2"),
            track("crazy-in-love", "Crazy in Love", credited(beyonce, " feat. ", jay_z), dangerously, 236,
                  "USSM10301955", position=1, genres="r&b 9, pop 6, contemporary r&b 3",
                  deezer_title="Crazy In Love (feat. Jay-Z)", sonos_artist="Beyonce feat. Jay-Z",
                  sonos_title="Crazy In Love (feat. Jay-Z)", sonos_album="Dangerously In Love"),
            track("hoppipolla", "Hoppípolla", credited(sigur_ros), takk, 268, "GBAJC0500043", position=3,
                  genres="post-rock 11, ambient 3", sonos_artist="SIGUR ROS", sonos_title="Hoppipolla",
                  sonos_album="Takk..."),
            track("karma-police", "Karma Police", credited(radiohead), ok_computer, 264, "GBAYE9700382", position=6,
                  genres="alternative rock 10, art rock 4"),
            track("smells-like-teen-spirit", "Smells Like Teen Spirit", credited(nirvana), nevermind, 301,
                  "USGF19942501", position=1, genres="grunge 20, alternative rock 8", explicit=False),
            track("kitchen-demo", "Kitchen Demo No. 3", credited(loft_tapes), basement, 187, None, position=3,
                  deezer=False, platforms="", odesli=False),
            track("shower-song", "Shower Song (Voice Memo)", credited(neighbours), phone, 95, None,
                  musicbrainz=False, deezer=False, platforms="", odesli=False),
        )
    )
    # fmt: on


# ---------------------------------------------------------------------------------------------------------------
# Synthetic tracks, for backfill tests

_ADJECTIVES = (
    "Amber", "Bright", "Cold", "Distant", "Electric", "Faded", "Golden", "Hidden", "Idle", "Jagged", "Kind",
    "Lucid", "Midnight", "Neon", "Open", "Pale", "Quiet", "Restless", "Silver", "Tender", "Urban", "Velvet",
    "Wild", "Young", "Azure", "Broken", "Crimson", "Dusty", "Endless", "Frozen", "Glass", "Hollow", "Iron",
    "Lonely", "Magnetic", "Northern", "Paper", "Rusty", "Secret", "Tidal",
)  # fmt: skip
_NOUNS = (
    "Harbour", "Signal", "Garden", "Engine", "Mirror", "River", "Lantern", "Canyon", "Orbit", "Parade", "Window",
    "Highway", "Echo", "Forest", "Satellite", "Island", "Comet", "Meadow", "Station", "Tower", "Valley", "Wave",
    "Summer", "Winter", "Ocean", "Circuit", "Desert", "Feather", "Harvest", "Horizon", "Machine", "Motel",
    "Planet", "Radio", "Shadow", "Thunder", "Velvet", "Whisper", "Anchor", "Bridge",
)  # fmt: skip
_GENRES = (
    "indie rock", "synth-pop", "house", "jazz", "folk", "hip hop", "ambient", "post-punk", "soul", "techno",
    "dream pop", "country", "metal", "bossa nova", "trip hop", "drum and bass",
)  # fmt: skip
_COUNTRY_CODES = ("GB", "US", "FR", "DE", "SE", "NO", "NL", "CA", "IS")
_DISCOGS_GENRES = ("Rock", "Electronic", "Jazz", "Folk, World, & Country", "Hip Hop", "Funk / Soul", "Pop")
SYNTHETIC_PER_ALBUM = 10


def _words(index: int) -> str:
    size = len(_ADJECTIVES)
    words = f"{_ADJECTIVES[index % size]} {_NOUNS[index // size % len(_NOUNS)]}"
    cycle = index // (size * len(_NOUNS))
    return words if cycle == 0 else f"{words} {cycle + 1}"


# Synthetic ids live in ranges of their own, counted up, so that no two synthetic entities (nor a synthetic and a
# curated one) share an id however many are made.
SYNTHETIC_DEEZER_TRACK = 3_100_000_000
SYNTHETIC_DEEZER_ALBUM = 800_000_000
SYNTHETIC_DEEZER_ARTIST = 20_000_000
SYNTHETIC_DISCOGS_RELEASE = 40_000_000
SYNTHETIC_DISCOGS_ARTIST = 12_000_000
SYNTHETIC_APPLE = 1_900_000_000
SYNTHETIC_TIDAL = 500_000_000


def synthetic_tracks(count: int, *, start: int = 0) -> tuple[Track, ...]:
    """`count` distinct synthetic tracks numbered from `start`: ten per artist and album, with every id (Deezer,
    MusicBrainz, Discogs), an ISRC, genres, and share links; titles, names and ids are distinct across numbers."""
    if count < 0 or start < 0:
        raise ValueError("count and start must not be negative")
    made: list[Track] = []
    artists: dict[int, Artist] = {}
    albums: dict[int, Album] = {}
    for number in range(start, start + count):
        group = number // SYNTHETIC_PER_ALBUM
        if group not in artists:
            genre = _GENRES[group % len(_GENRES)]
            artists[group] = artist(
                f"synthetic-artist-{group}",
                f"The {_words(group)}s",
                f"{_words(group)}s, The",
                country=_COUNTRY_CODES[group % len(_COUNTRY_CODES)],
                begin=str(1960 + group % 60),
                genres=f"{genre} {3 + group % 9}, {_GENRES[(group + 5) % len(_GENRES)]} {1 + group % 3}",
                deezer_id=SYNTHETIC_DEEZER_ARTIST + group,
                discogs_id=SYNTHETIC_DISCOGS_ARTIST + group,
            )
            year = 1965 + group % 60
            title = f"{_words(group * 7 + 3)} Sessions {group}"
            label = f"{_NOUNS[group % len(_NOUNS)]} Records"
            albums[group] = album(
                f"synthetic-album-{group}",
                title,
                credited(artists[group]),
                f"{year}-{1 + group % 12:02d}-{1 + group % 28:02d}",
                label=label,
                track_count=SYNTHETIC_PER_ALBUM,
                deezer=SYNTHETIC_DEEZER_ALBUM + group,
                discogs=discogs(
                    f"synthetic-album-{group}",
                    title,
                    year,
                    "Europe",
                    _DISCOGS_GENRES[group % len(_DISCOGS_GENRES)],
                    genre.title(),
                    label,
                    f"SYN {group:05d}",
                    release_id=SYNTHETIC_DISCOGS_RELEASE + group,
                ),
            )
        made.append(
            track(
                f"synthetic-{number}",
                f"{_words(number)} No. {number}",
                albums[group].credits,
                albums[group],
                120 + number % 300,
                f"XSSPN{number // 100_000 % 100:02d}{number % 100_000:05d}",
                position=number % SYNTHETIC_PER_ALBUM + 1,
                genres=f"{_GENRES[group % len(_GENRES)]} {1 + number % 5}",
                deezer=SYNTHETIC_DEEZER_TRACK + number,
                apple_id=str(SYNTHETIC_APPLE + number),
                tidal_id=str(SYNTHETIC_TIDAL + number),
            )
        )
    return tuple(made)
