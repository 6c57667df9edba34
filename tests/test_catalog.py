"""The data catalog (superscale.catalog): every file of book/data in one entry, one loader, honest names."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from superscale import catalog
from superscale.training import PROTOCOLS

DATA = Path(__file__).resolve().parents[1] / "book" / "data"
PAPER = PROTOCOLS["paper-small"].to_dict()
PAPER_LARGE = PROTOCOLS["paper-large"].to_dict()  # the n = 10240 model: its own schedule and learning rate
KEYS = ("batch", "steps", "peak_lr", "warmup_frac", "floor", "schedule")


@pytest.fixture(autouse=True)
def _repository_data(monkeypatch):
    """Read the committed files (not a download or another checkout's copy)."""
    monkeypatch.setenv("SUPERSCALE_DATA", str(DATA))
    monkeypatch.setenv("SUPERSCALE_OFFLINE", "1")


def file_protocol(path: Path) -> dict | None:
    """The training protocol a data file records (None for a table)."""
    if path.suffix == ".nc":
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return json.loads(ds.attrs["protocol"])
    if path.suffix == ".npz":
        with np.load(path) as z:
            return json.loads(str(z["meta"]))["protocol"]
    return None


def is_paper_protocol(pr: dict) -> bool:
    return any(all(pr.get(k) == ref[k] for k in KEYS) for ref in (PAPER, PAPER_LARGE))


def test_every_entry_names_files_that_exist():
    for d in catalog.CATALOG.values():
        assert d.files, d.name
        for f in d.files:
            assert (DATA / f).is_file(), f"{d.name}: {f} is not in book/data"


def test_every_data_file_belongs_to_exactly_one_entry():
    owners = Counter(f for d in catalog.CATALOG.values() for f in d.files)
    assert [f for f, k in owners.items() if k > 1] == []
    on_disk = {p.name for p in DATA.iterdir() if p.is_file() and p.name != "README.md"}
    assert on_disk - set(owners) == set(), "files in book/data that no catalog entry names"
    assert set(owners) - on_disk == set()


@pytest.mark.parametrize("name", sorted(catalog.CATALOG))
def test_protocol_of_every_file_matches_its_entry(name):
    """`paper` entries hold the paper's protocol, `short` ones a shorter one; a protocol written as
    "batch B × S steps" is the files' batch and steps."""
    entry = catalog.get(name)
    for f in entry.files:
        pr = file_protocol(DATA / f)
        if entry.protocol == "paper":
            assert is_paper_protocol(pr), f"{f} is in a paper entry but was trained with {pr}"
        elif entry.kind not in ("table", "tables"):
            assert not is_paper_protocol(pr), (
                f"{f} carries the paper's protocol but its entry says {entry.protocol!r}"
            )
        if entry.protocol == "short":
            assert pr["batch"] * pr["steps"] < PAPER["batch"] * PAPER["steps"], f
        m = re.fullmatch(r"batch (\d+) × ([\d ]+) steps", entry.protocol)
        if m:
            assert (pr["batch"], pr["steps"]) == (int(m[1]), int(m[2].replace(" ", ""))), f


@pytest.mark.parametrize("name", sorted(catalog.CATALOG))
def test_load_every_entry(name):
    entry = catalog.get(name)
    data = catalog.load(name)
    if entry.kind == "sweep":
        assert isinstance(data, xr.Dataset) and data.attrs["dataset"] == name
        assert data.attrs["loaded_from"] == " + ".join(entry.files)
        assert int(data["completed"].sum()) > 0
        if entry.cut:  # cut to the values trained at every (γ, m)
            assert bool(data["completed"].all()), name
        assert catalog.uses_paper_protocol(data) == (entry.protocol == "paper")
    elif entry.kind == "weights":
        assert data and all(d["W"].shape == (1000, d["m"]) for d in data)
    elif entry.kind == "tables":  # one DataFrame a file, by file stem
        assert set(data) == {f.rsplit(".", 1)[0] for f in entry.files}
        assert all(isinstance(t, pd.DataFrame) and len(t) > 0 for t in data.values())
    else:
        assert isinstance(data, pd.DataFrame) and len(data) > 0


def test_paper_small_is_the_whole_grid_at_the_paper_protocol():
    ds = catalog.load("paper-small")
    assert (ds.sizes["alpha"], ds.sizes["gamma"], ds.sizes["m"]) == (17, 10, 6)
    assert int(ds["completed"].sum()) == 1020


def test_a_missing_name_is_a_key_error_naming_the_catalog():
    with pytest.raises(KeyError, match=r"no data set 'paper-smal'; the catalog has \[.*'paper-small'"):
        catalog.load("paper-smal")


def test_a_file_claiming_the_paper_protocol_that_does_not_carry_it_is_refused(tmp_path, monkeypatch):
    src = DATA / "paper-strong-seed1.nc"
    with xr.open_dataset(src, engine="h5netcdf") as ds:
        fake = ds.load()
    pr = json.loads(fake.attrs["protocol"])
    pr.update(batch=128, steps=4000)
    fake.attrs["protocol"] = json.dumps(pr)
    fake.to_netcdf(tmp_path / src.name, engine="h5netcdf")
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    with pytest.raises(ValueError, match=r"paper-strong-seed1\.nc does not carry the paper's protocol"):
        catalog.load("paper-strong-seed1")
    # the unmodified copy loads
    shutil.copyfile(src, tmp_path / src.name)
    assert catalog.load("paper-strong-seed1").attrs["dataset"] == "paper-strong-seed1"


def test_the_data_readme_lists_the_catalog():
    """book/data/README.md's table of data sets has one row per catalog entry, with the same files."""
    text = (DATA / "README.md").read_text()
    section = text.split("## Data sets (the catalog)", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = tuple(re.findall(r"`([^`]+)`", cells[1]))
    assert rows == {name: d.files for name, d in catalog.CATALOG.items()}
