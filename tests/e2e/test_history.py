"""History in and out through Home Assistant: spinstack.import_history (progress entity, notification, broken rows,
cancel, resume after a cancel and after a restart, allowed paths only) and spinstack.export (a round trip)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import csv
from datetime import UTC, datetime
from pathlib import Path
import time
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.spinstack import importer as importer_module
from custom_components.spinstack.const import DOMAIN
from custom_components.spinstack.engine import Play
from custom_components.spinstack.history import Imported, read
from custom_components.spinstack.store import Store, store as store_module
from emulator import Household
from tests.emulator.helpers import wait_for

from .conftest import make_entry, setup_entry
from .test_play import entity_id, state_of, subscribed

START = 1_700_000_000
HEADER = ("uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid")


def lastfm_rows(count: int, first: int = 0) -> list[tuple[str, ...]]:
    """``count`` scrobbles of distinct tracks, ten minutes apart, newest first (as Last.fm lists them)."""
    rows: list[tuple[str, ...]] = []
    for index in range(first, first + count):
        uts = START + 600 * index
        when = datetime.fromtimestamp(uts, UTC).strftime("%d %b %Y, %H:%M")
        rows.append((str(uts), when, f"Artist {index % 7}", "", f"Album {index % 5}", "", f"Song {index}", ""))
    rows.reverse()
    return rows


def write_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def imports(hass: HomeAssistant, config_dir: Path) -> Path:
    """A folder Home Assistant allows (allowlist_external_dirs)."""
    folder = config_dir / "imports"
    folder.mkdir()
    hass.config.allowlist_external_dirs = {str(folder)}
    return folder


async def loaded(hass: HomeAssistant, household: Household) -> Any:
    """SpinStack set up and subscribed (nothing left in flight when the test ends)."""
    entry = make_entry(household)
    await setup_entry(hass, entry)
    await subscribed(entry.runtime_data.coordinator)
    return entry


async def finished(hass: HomeAssistant, entry: Any) -> dict[str, Any]:
    importer = entry.runtime_data.coordinator.importer
    await wait_for(lambda: not importer.running, within=30)
    await hass.async_block_till_done()
    return dict(importer.progress.as_dict())


async def test_a_lastfm_csv_is_imported_with_progress_and_a_notification(
    hass: HomeAssistant, household: Household, imports: Path
) -> None:
    entry = await loaded(hass, household)
    store: Store = entry.runtime_data.store
    rows = lastfm_rows(50)
    # Two broken rows, and one scrobble twice (two scrobblers, 12 s apart): one play.
    rows.insert(3, ("not a time", "", "Artist", "", "", "", "Song", ""))
    rows.insert(7, (str(START), "", "", "", "", "", "Song without artist", ""))
    rows.append((str(START + 12), "", "Artist 0", "", "Album 0", "", "Song 0", ""))
    path = write_csv(imports / "lastfm.csv", rows)

    answer: Any = await hass.services.async_call(
        DOMAIN, "import_history", {"path": str(path)}, blocking=True, return_response=True
    )
    assert answer is not None
    assert answer["import"]["state"] == "running"
    assert answer["import"]["format"] == "lastfm_csv"
    progress = await finished(hass, entry)
    assert progress["state"] == "done"
    assert progress["imported"] == 50
    assert progress["rejected"] == 2
    assert progress["already_stored"] == 1
    assert await store.scalar("SELECT count(*) FROM plays") == 50
    assert await store.rows("SELECT DISTINCT origin FROM contexts") == [("lastfm",)]

    sensor = state_of(hass, entity_id(hass, "sensor", f"{household.household_id}_import_progress"))
    assert float(sensor.state) == 100.0
    assert sensor.attributes["imported"] == 50
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    message = notifications[f"{DOMAIN}_import_{entry.entry_id}"]["message"]
    assert "new plays stored: 50" in message
    assert "lastfm.csv, line 5" in message  # the header is line 1

    # The same file again: nothing doubles.
    await hass.services.async_call(DOMAIN, "import_history", {"path": str(path)}, blocking=True)
    progress = await finished(hass, entry)
    assert progress["imported"] == 0
    assert progress["already_stored"] == 51
    assert await store.scalar("SELECT count(*) FROM plays") == 50


async def test_only_allowed_paths_and_readable_files(hass: HomeAssistant, household: Household, imports: Path) -> None:
    entry = await loaded(hass, household)
    outside = write_csv(imports.parent / "secret.csv", lastfm_rows(3))
    for given in (str(outside), str(imports / ".." / "secret.csv"), "secret.csv", "/etc/passwd"):
        with pytest.raises(ServiceValidationError) as caught:
            await hass.services.async_call(DOMAIN, "import_history", {"path": given}, blocking=True)
        assert caught.value.translation_key == "path_not_allowed", given
    # A link inside the allowed folder that points out of it.
    (imports / "link.csv").symlink_to(outside)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "import_history", {"path": str(imports / "link.csv")}, blocking=True)
    assert caught.value.translation_key == "path_not_allowed"
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "export", {"path": str(outside)}, blocking=True)
    assert caught.value.translation_key == "path_not_allowed"
    (imports / "notes.txt").write_text("nothing to see\n")
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "import_history", {"path": str(imports / "notes.txt")}, blocking=True)
    assert caught.value.translation_key == "import_format"
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "import_history", {"path": str(imports / "none.csv")}, blocking=True)
    assert caught.value.translation_key == "import_file_missing"
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "import_history", {}, blocking=True)
    assert caught.value.translation_key == "import_source_missing"
    assert not entry.runtime_data.coordinator.importer.running


@pytest.fixture
def slow_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """Transactions of 8 plays, and a file read slowly enough to be interrupted part way."""
    monkeypatch.setattr(store_module, "_BULK_CHUNK", 8)
    real_read = read

    def slow_read(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for entry in real_read(*args, **kwargs):
            time.sleep(0.005)  # the reading thread's, not the event loop's
            yield entry

    monkeypatch.setattr(importer_module, "read", slow_read)


async def wait_for_imported(hass: HomeAssistant, entry: Any, at_least: int) -> None:
    importer = entry.runtime_data.coordinator.importer
    await wait_for(lambda: importer.progress.imported >= at_least, within=30)


@pytest.mark.usefixtures("slow_import")
async def test_a_cancelled_import_resumes_where_it_stopped(
    hass: HomeAssistant, household: Household, imports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = await loaded(hass, household)
    store: Store = entry.runtime_data.store
    path = write_csv(imports / "lastfm.csv", lastfm_rows(400))
    gate = asyncio.Event()
    real_import = store.import_plays

    async def gated(*args: Any, **kwargs: Any) -> int:
        on_commit = kwargs["on_commit"]

        async def held(read_now: int, inserted: int) -> None:
            await on_commit(read_now, inserted)
            if read_now >= 24:
                await gate.wait()

        kwargs["on_commit"] = held
        return await real_import(*args, **kwargs)

    monkeypatch.setattr(store, "import_plays", gated)
    await hass.services.async_call(DOMAIN, "import_history", {"path": str(path)}, blocking=True)
    await wait_for_imported(hass, entry, 24)
    answer: Any = await hass.services.async_call(
        DOMAIN, "import_history", {"cancel": True}, blocking=True, return_response=True
    )
    assert answer is not None
    assert answer["import"]["state"] == "cancelled"
    stored = await store.scalar("SELECT count(*) FROM plays")
    assert 24 <= stored < 400
    saved = await store.get_state(importer_module.JOB_KEY)
    assert saved["state"] == "cancelled"
    assert saved["done"] == stored

    gate.set()
    await hass.services.async_call(DOMAIN, "import_history", {"path": str(path)}, blocking=True)
    progress = await finished(hass, entry)
    assert progress["state"] == "done"
    # Resumed from its checkpoint (less an overlap, recognised as stored): none doubled, none missing.
    assert progress["imported"] == 400
    assert await store.scalar("SELECT count(*) FROM plays") == 400
    assert await store.get_state(importer_module.JOB_KEY) is None


@pytest.mark.usefixtures("slow_import")
async def test_an_import_interrupted_by_a_restart_resumes_by_itself(
    hass: HomeAssistant, household: Household, imports: Path
) -> None:
    entry = await loaded(hass, household)
    path = write_csv(imports / "lastfm.csv", lastfm_rows(300))
    await hass.services.async_call(DOMAIN, "import_history", {"path": str(path)}, blocking=True)
    await wait_for_imported(hass, entry, 16)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # Home Assistant starts again: the import carries on from its checkpoint.
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await subscribed(entry.runtime_data.coordinator)
    progress = await finished(hass, entry)
    assert progress["state"] == "done"
    assert await entry.runtime_data.store.scalar("SELECT count(*) FROM plays") == 300


async def test_an_export_imports_back_into_an_empty_store_unchanged(
    hass: HomeAssistant, household: Household, imports: Path, tmp_path: Path
) -> None:
    entry = await loaded(hass, household)
    store: Store = entry.runtime_data.store
    plays = [
        Play(
            started_at=START + 600 * index,
            artist=("Sigur Rós", 'Artist "quoted", with commas', "Björk\nnewline")[index % 3],
            title=f"Song {index}",
            album=None if index % 4 == 0 else f"Album {index % 3}",
            album_artist="Various Artists" if index % 5 == 0 else None,
            duration=float(200 + index),
            heard=float(100 + index),
            service=("spotify", "tunein", "local_library")[index % 3],
            kind=("on_demand", "radio", "on_demand")[index % 3],
            speaker=f"RINCON_{index % 2}",
            room=(None, "Kitchen")[index % 2],
        )
        for index in range(60)
    ]
    await store.add_plays(plays[:40], origin="live")
    await store.add_plays(plays[40:], origin="lastfm")
    original = [(record.play, record.origin) for record in store.read_plays()]
    for fmt, name in (("csv", "export.csv"), ("jsonl", "export.jsonl")):
        answer: Any = await hass.services.async_call(
            DOMAIN, "export", {"path": str(imports / name), "format": fmt}, blocking=True, return_response=True
        )
        assert answer is not None
        assert answer["plays"] == 60
        fresh = await Store.open(tmp_path / f"fresh-{fmt}.db", hass.config.time_zone)
        try:
            entries = [entry for entry in read(imports / name) if isinstance(entry, Imported)]
            assert await fresh.import_plays([(entry.play, entry.origin) for entry in entries], tolerance=30) == 60
            again = [(record.play, record.origin) for record in fresh.read_plays()]
        finally:
            await fresh.close()
        assert sorted(again, key=repr) == sorted(original, key=repr), fmt
