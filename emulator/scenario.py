"""A scripted day in a household of three rooms, for ``make demo`` (and for tests, on a manual clock).

- Living Room plays a morning queue mixing Spotify, Apple Music, Deezer and the local library;
- Kitchen listens to a TuneIn station whose songs change, with an ad break;
- Bedroom joins the Living Room's group for a while, then leaves; later the Living Room hands the group over;
- the Living Room pauses, seeks, repeats a track (REPEAT_ONE), and ends the day on the TV.

Every wait is on the household's clock, so at ``RealtimeClock(rate=10)`` the day's few hours pass in minutes.
"""

from __future__ import annotations

from collections.abc import Callable
import logging

from .clock import Clock
from .household import Household
from .media import Station, StreamSong, Track

_LOGGER = logging.getLogger(__name__)

ROOMS = ("Living Room", "Kitchen", "Bedroom")

MORNING_QUEUE = (
    Track.spotify("0VjIjW4GlUZAMYd2vXMi3b", "Blinding Lights", "The Weeknd", "After Hours", 200),
    Track.apple_music("1440857781", "Breathe", "Pink Floyd", "The Dark Side of the Moon", 163),
    Track.spotify(
        "4uLU6hMCjMI75M1A2tKUQC", "Never Gonna Give You Up", "Rick Astley", "Whenever You Need Somebody", 213
    ),
    Track.deezer("3135556", "Harder, Better, Faster, Stronger", "Daft Punk", "Discovery", 224),
    Track.local(
        "nas/music/Queen/A Night at the Opera/11 Bohemian Rhapsody.flac",
        "Bohemian Rhapsody",
        "Queen",
        "A Night at the Opera",
        354,
        album_artist="Queen",
        track_number=11,
    ),
    Track.apple_music("1452859441", "Take On Me", "a-ha", "Hunting High and Low", 225),
    Track.spotify("7qiZfU4dY1lWllzX7mPBI3", "Shape of You", "Ed Sheeran", "÷ (Divide)", 233),
    Track.spotify("3n3Ppam7vgaVa1iaRUc9Lp", "Mr. Brightside", "The Killers", "Hot Fuss", 222),
)

EVENING_QUEUE = (
    Track.deezer("916424", "Clair de Lune", "Claude Debussy", "Suite bergamasque", 300),
    Track.local("nas/music/Nils Frahm/Says.flac", "Says", "Nils Frahm", "Spaces", 498),
    Track.apple_music("1440650428", "Teardrop", "Massive Attack", "Mezzanine", 330),
)

STATION = Station.tunein(
    "s24861",
    "DR P3",
    (
        StreamSong.artist_title("Daft Punk", "One More Time", 320),
        StreamSong.artist_title("Robyn", "Dancing On My Own", 280),
        StreamSong.talk("DR P3", 90),
        StreamSong.tagged("Couleurs", "M83", "Saturdays = Youth", 380),
        StreamSong.ad_break(120),
        StreamSong.artist_title("Lizzo", "Juice", 195),
        StreamSong.tagged("Midnight City", "M83", "Hurry Up, We're Dreaming", 243),
    ),
    stream_uri="aac://http://live-icy.dr.dk/A/A05H.mp3",
)


def demo_household(clock: Clock, *, first_ip: str = "127.0.0.2", port: int = 1400) -> Household:
    """The demo's household: Living Room, Kitchen and Bedroom on consecutive loopback addresses."""
    household = Household(clock, first_ip=first_ip, port=port)
    for room in ROOMS:
        household.add_speaker(room)
    household.register(*MORNING_QUEUE, *EVENING_QUEUE, STATION)
    return household


async def demo_day(household: Household, *, report: Callable[[str], None] | None = None) -> None:
    """Play the demo day once on `household` (made by `demo_household`)."""
    clock = household.clock
    living, kitchen, bedroom = (household.by_name(room) for room in ROOMS)
    start = clock.now()

    def say(what: str) -> None:
        elapsed = int(clock.now() - start)
        line = f"[+{elapsed // 3600}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}] {what}"
        _LOGGER.info("%s", line)
        if report is not None:
            report(line)

    say("Living Room: morning mix (Spotify, Apple Music, Deezer, local library)")
    await living.play_queue(
        MORNING_QUEUE,
        container_uri="x-rincon-cpcontainer:1006206cspotify%3aplaylist%3a37i9dQZF1DX0XUsuxWHRQd?sid=9&flags=8300&sn=1",
        container_title="Morning Mix",
    )
    await clock.sleep(60)
    say("Kitchen: TuneIn, DR P3 (songs change, an ad break comes)")
    await kitchen.play_radio(STATION)
    await clock.sleep(300)
    say("Bedroom joins the Living Room")
    await bedroom.join(living)
    await clock.sleep(420)
    say("Living Room pauses for a phone call")
    await living.pause()
    await clock.sleep(150)
    say("Living Room plays on, skipping ahead in the track")
    await living.play()
    await living.seek(30)
    await clock.sleep(300)
    say("Bedroom leaves the group")
    await bedroom.leave()
    await clock.sleep(240)
    say("Living Room repeats the current track (REPEAT_ONE)")
    await living.set_play_mode("REPEAT_ONE")
    await clock.sleep(600)
    await living.set_play_mode("NORMAL")
    say("Bedroom joins again; then the Living Room leaves and hands the group over")
    await bedroom.join(living)
    await clock.sleep(200)
    await living.leave()
    await clock.sleep(400)
    say("Kitchen stops the radio")
    await kitchen.stop()
    await clock.sleep(300)
    say("Bedroom: evening queue; Living Room: TV")
    await bedroom.play_queue(EVENING_QUEUE)
    await living.tv()
    await clock.sleep(EVENING_QUEUE[0].duration + EVENING_QUEUE[1].duration + EVENING_QUEUE[2].duration + 30)
    say("Living Room: TV off")
    await living.stop()
    say("the day is over")
