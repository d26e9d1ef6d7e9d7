"""The incremental render: files keyed by fingerprints in the manifest, unchanged ones taken from disk.

Every test compares against a cold render (`render_files`, no manifest) of the same spec: an incremental render
must be byte for byte the same, rebuild only what changed, and still see a hand edit or a deleted file.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings, strategies as st

from vaultgen import writer
from vaultgen.emit.fingerprint import stamp
from vaultgen.pipeline import render, render_files, render_outputs
from vaultgen.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests/fixtures/dv_spec"

# (file, old text, new text): small spec edits, each changing the output of some files and not others
EDITS = [
    ("vault.yml", "attributes: [name, city, country_code]", "attributes: [city, name, country_code]"),
    ("vault.yml", "description: Who ordered, who sold and who ships an order.", "description: Who ordered an order."),
    ("vault.yml", "attributes: [quantity, unit_price]", "attributes: [unit_price, quantity]"),
    ("vault.yml", "entities:\n", "entities:\n  # a comment: every entity below moves one line down\n"),
    ("source.yml", "{name: name, type: varchar(40)}", "{name: name, type: varchar(60), description: The customer's name}"),
    ("source.yml", "{name: rating, type: integer}", "{name: rating, type: bigint}"),
    ("project.yml", "description: Every Data Vault 2.0 construct", "description: Each Data Vault 2.0 construct"),
    ("project.yml", "  virtual_end_dating: true\n", ""),
]


def _tree(out: Path) -> dict[str, str]:
    return {path.relative_to(out).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(out.rglob("*")) if path.is_file() and path.name != writer.MANIFEST}


def _edited(spec_dir: Path, edits: list[tuple[str, str, str]]) -> None:
    for name, old, new in edits:
        path = spec_dir / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


_BASE: list[Path] = []  # the fixture spec rendered once, copied by every test


def _rendered(tmp_path: Path) -> tuple[Path, Path]:
    spec_dir, out = tmp_path / "spec", tmp_path / "out"
    shutil.copytree(FIXTURE, spec_dir)
    if not _BASE:
        base = tmp_path / "base"
        render(spec_dir, base)
        _BASE.append(base)
    shutil.copytree(_BASE[0], out)
    return spec_dir, out


def test_a_second_render_builds_nothing_and_matches_a_cold_one(tmp_path):
    spec_dir, out = _rendered(tmp_path)
    assert _tree(out) == render_files(load_spec(spec_dir))
    previous = writer.Previous(out, stamp())
    files, _ = render_outputs(load_spec(spec_dir), previous)
    assert set(previous.verified) == set(files)  # every file was taken from disk, none built
    assert render(spec_dir, out, check=True).changed is False


def test_one_changed_attribute_rebuilds_only_the_files_it_affects(tmp_path):
    spec_dir, out = _rendered(tmp_path)
    before = _tree(out)
    _edited(spec_dir, [EDITS[0]])  # a satellite of hub customer: its attributes in another order (another hashdiff)
    cold = render_files(load_spec(spec_dir))
    changed = {name for name in cold if before.get(name) != cold[name]}
    assert "duckdb/models/raw_vault/satellites/sat_customer_details.sql" in changed

    previous = writer.Previous(out, stamp())
    files, entries = render_outputs(load_spec(spec_dir), previous)
    assert files == cold
    rebuilt = set(files) - set(previous.verified)
    assert changed <= rebuilt  # what differs was built ...
    models = {name for name in files if "/models/" in name and name.endswith(".sql")}
    assert len(rebuilt & models) < len(models) / 2  # ... and most models were not
    assert "duckdb/models/raw_vault/hubs/hub_order.sql" not in rebuilt  # nothing of the order hub reads the customer satellite

    report = writer.write(out, files, entries, previous)
    assert set(report.written) == changed and report.refreshed  # the manifest: new hashes and fingerprints
    assert _tree(out) == cold
    assert render(spec_dir, out, check=True).changed is False


def test_a_hand_edited_or_deleted_file_is_reported_and_restored(tmp_path):
    spec_dir, out = _rendered(tmp_path)
    edited, deleted = "duckdb/models/raw_vault/hubs/hub_customer.sql", "duckdb/models/sources.yml"
    (out / edited).write_text((out / edited).read_text(encoding="utf-8") + "-- by hand\n", encoding="utf-8")
    (out / deleted).unlink()
    report = render(spec_dir, out, check=True, unified=True)
    assert report.changed and set(report.written) == {edited, deleted}
    assert "-- by hand" in report.patch
    render(spec_dir, out)
    assert _tree(out) == render_files(load_spec(spec_dir))
    assert render(spec_dir, out, check=True).changed is False


def test_a_manifest_of_an_earlier_version_is_read_and_refreshed(tmp_path):
    spec_dir, out = _rendered(tmp_path)
    names = list(writer.Previous(out, stamp()).entries)
    (out / writer.MANIFEST).write_text("# files written by `vaultgen render`\n" + "".join(f"{n}\n" for n in names), encoding="utf-8")
    assert render(spec_dir, out, check=True).changed is False  # same files: no difference, only no fingerprints yet
    report = render(spec_dir, out)
    assert report.refreshed and not report.written
    assert all(entry.sha and entry.fingerprint for entry in writer.Previous(out, stamp()).entries.values())


def test_generated_yaml_has_no_anchors_or_aliases():
    files = render_files(load_spec(FIXTURE))
    for name, text in files.items():
        if name.endswith(".yml"):
            events = list(yaml.parse(text))
            assert not any(getattr(event, "anchor", None) for event in events), name
            assert not any(isinstance(event, yaml.AliasEvent) for event in events), name


@seed(12)
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(range(len(EDITS))), min_size=1, max_size=3, unique=True))
def test_property_an_incremental_render_equals_a_cold_one(tmp_path_factory, picked):
    tmp_path = tmp_path_factory.mktemp("incremental")
    spec_dir, out = _rendered(tmp_path)
    _edited(spec_dir, [EDITS[index] for index in sorted(picked)])
    render(spec_dir, out)
    assert _tree(out) == render_files(load_spec(spec_dir))
    assert render(spec_dir, out, check=True).changed is False


def test_fingerprints_of_another_vaultgen_are_not_trusted(tmp_path):
    spec_dir, out = _rendered(tmp_path)
    manifest = out / writer.MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(stamp(), "vaultgen 0.0.1 source 0 fingerprints 1"), encoding="utf-8")
    previous = writer.Previous(out, stamp())
    render_outputs(load_spec(spec_dir), previous)
    assert not previous.verified  # everything was built again
    assert render(spec_dir, out, check=True).changed is False  # only the stamp differs: no difference
    assert render(spec_dir, out).refreshed
    assert stamp() in manifest.read_text(encoding="utf-8")


# -- the stat cache: unchanged files are not read again, and every change is still seen -------------------------

HUB = "duckdb/models/raw_vault/hubs/hub_customer.sql"


def _cached(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A rendered fixture whose stat cache vouches for every file (no racy window: the test does not wait a second)."""
    monkeypatch.setattr(writer, "RACY_NS", 0)
    spec_dir, out = _rendered(tmp_path)
    assert render(spec_dir, out, check=True).changed is False  # hashes every file and records its stat
    return spec_dir, out


def _taken_unread(spec_dir: Path, out: Path) -> set[str]:
    previous = writer.Previous(out, stamp(), cache=writer.StatCache.load(out))
    render_outputs(load_spec(spec_dir), previous)
    return {name for name, text in previous.verified.items() if isinstance(text, writer.OnDisk)}


def test_the_stat_cache_lives_beside_the_output_and_spares_reading_unchanged_files(tmp_path, monkeypatch):
    spec_dir, out = _cached(tmp_path, monkeypatch)
    cache = tmp_path / writer.CACHE_DIR / "out.stat"
    assert cache.is_file() and not any(out.rglob("*.stat")) and not (out / writer.CACHE_DIR).exists()
    files = set(writer.Previous(out, stamp()).entries)
    assert _taken_unread(spec_dir, out) == files  # none read
    written = cache.read_bytes()
    report = render(spec_dir, out, check=True)
    assert report.changed is False and set(report.unchanged) == files | {writer.MANIFEST}
    assert cache.read_bytes() == written  # nothing new to keep: the same cache
    render(spec_dir, out)
    assert _tree(out) == render_files(load_spec(spec_dir))


@pytest.mark.parametrize("change", ["same size", "same size and mtime", "touch", "delete", "replace"])
def test_the_stat_cache_still_sees_every_change(tmp_path, monkeypatch, change):
    spec_dir, out = _cached(tmp_path, monkeypatch)
    path = out / HUB
    original = path.read_bytes()
    before = path.stat()
    if change.startswith("same size"):
        edited = original.replace(b"hub customer", b"HUB CUSTOMER", 1)
        assert edited != original and len(edited) == len(original)
        path.write_bytes(edited)
        if change == "same size and mtime":  # only the ctime (which no one can set) tells
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif change == "touch":
        os.utime(path, ns=(before.st_atime_ns + 5_000_000_000, before.st_mtime_ns + 5_000_000_000))
    elif change == "delete":
        path.unlink()
    else:  # the same content in a new file (an editor's save): another inode
        path.unlink()
        path.write_bytes(original)
    files = set(writer.Previous(out, stamp()).entries)
    assert _taken_unread(spec_dir, out) == files - {HUB}  # the changed file was read (or found missing), the others not
    report = render(spec_dir, out, check=True)
    if change in ("touch", "replace"):
        assert report.changed is False  # the content is as rendered: no difference
    else:
        assert report.written == [HUB]
    render(spec_dir, out)
    assert _tree(out) == render_files(load_spec(spec_dir))
    assert render(spec_dir, out, check=True).changed is False


@pytest.mark.parametrize("damage", ["missing", "empty", "garbage", "truncated", "other folder", "wrong shapes"])
def test_a_damaged_or_foreign_stat_cache_falls_back_to_hashing(tmp_path, monkeypatch, damage):
    spec_dir, out = _cached(tmp_path, monkeypatch)
    cache = tmp_path / writer.CACHE_DIR / "out.stat"
    data = cache.read_bytes()
    if damage == "missing":
        cache.unlink()
    elif damage == "empty":
        cache.write_bytes(b"")
    elif damage == "garbage":
        cache.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        cache.write_bytes(data[: len(data) // 2])
    elif damage == "other folder":
        other = tmp_path / "other"
        shutil.copytree(out, other)
        assert render(spec_dir, other, check=True).changed is False
        shutil.copy(tmp_path / writer.CACHE_DIR / "other.stat", cache)
    else:  # a readable cache whose entries are not what it should hold
        import marshal

        form, folder, recorded_at, known = marshal.loads(data)
        cache.write_bytes(marshal.dumps((form, folder, recorded_at, {name: ["x", 1] for name in known})))
    edited = (out / HUB).read_bytes().replace(b"hub customer", b"HUB CUSTOMER", 1)
    (out / HUB).write_bytes(edited)
    assert _taken_unread(spec_dir, out) == set()  # every file read and hashed
    assert render(spec_dir, out, check=True).written == [HUB]


def test_a_stat_recorded_within_a_second_of_its_run_is_not_trusted(tmp_path):
    path = tmp_path / "out" / "file.sql"
    path.parent.mkdir()
    path.write_text("select 1\n", encoding="utf-8")
    status = path.stat()
    sha = writer.content_sha(path.read_bytes())
    cache = writer.StatCache(tmp_path / "out", {"file.sql": (writer._stat_key(status), sha)}, recorded_at=time.time_ns())
    assert not cache.vouches("file.sql", status, sha)  # the file changed in the run's second: a later edit may keep its stat
    cache.recorded_at += 2 * writer.RACY_NS
    assert cache.vouches("file.sql", status, sha)
    assert not cache.vouches("file.sql", status, "0" * 64)  # the manifest records another content


def test_the_whole_spec_fingerprint_is_the_files_as_read(tmp_path):
    """The project-level files' fingerprint covers the spec files' paths and bytes (no dump of the spec): an edit
    of a comment rebuilds them, the models stay; a spec changed in code has no files digest and is dumped."""
    spec_dir, out = _rendered(tmp_path)
    spec = load_spec(spec_dir)
    assert spec.files_digest() == load_spec(spec_dir).files_digest() is not None
    assert spec.model_copy().files_digest() == spec.files_digest()
    changed = spec.model_copy(update={"entities": spec.entities[:-1]})
    assert changed.files_digest() is None
    from vaultgen.emit.fingerprint import Fingerprints

    assert Fingerprints(changed).whole("glue") != Fingerprints(spec).whole("glue")
    _edited(spec_dir, [("vault.yml", "entities:\n", "entities:  # a comment, no line moves\n")])
    edited = load_spec(spec_dir)
    assert edited.files_digest() != spec.files_digest()
    assert Fingerprints(edited).whole("glue") != Fingerprints(spec).whole("glue")
    previous = writer.Previous(out, stamp())
    files, _ = render_outputs(edited, previous)
    rebuilt = set(files) - set(previous.verified)
    assert "duckdb/models/sources.yml" in rebuilt and HUB not in rebuilt
    assert files == render_files(edited)
