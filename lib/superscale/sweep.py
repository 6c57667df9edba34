"""Named sweeps of toy models: run (resumable, shardable), merge into one netCDF file, load (chapters 2-5).

Command line (``python -m superscale.sweep --help``)::

    python -m superscale.sweep list
    python -m superscale.sweep run book-small --out runs/book-small [--shard 0/4] [--threads 1]
    python -m superscale.sweep status book-small --out runs/book-small
    python -m superscale.sweep merge book-small --out runs/book-small --to book/data/short-small.nc
    python -m superscale.sweep combine part1.nc part2.nc --to whole.nc
    python -m superscale.sweep large run --widths 8,16,32 --steps 6000 --out runs/large-cpu   # chapter 4
    python -m superscale.sweep weights --alphas 0 1 --to book/data/strong-weights.npz         # chapter 5

A grid is split into *units*: all models that share one data distribution and seed (every width
and every γ at one α, E or distribution). A unit is trained in one batched loop and written
atomically (temporary file + rename) to ``OUT/units/``; a killed run loses only the units in
flight and a rerun skips finished units. ``--shard i/N`` (or ``SLURM_ARRAY_TASK_ID`` with
``SLURM_ARRAY_TASK_COUNT``) runs every N-th unit. ``merge`` computes the measurements of
:mod:`superscale.model` and writes one self-describing xarray/netCDF file.

Two more training jobs share this command line: ``large`` trains the large model on one CPU core,
one model a unit (:func:`large_cpu_grid`, the data set ``short-large``), and ``weights`` trains a few
models and saves their full weight matrices (:mod:`superscale.weights`, the data set ``strong-weights``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from .data import feature_frequencies
from .fileio import atomic_write
from .grids import BOOK_ALPHA_ORDER, BOOK_PROTOCOL, GRIDS, Grid, get_grid, large_cpu_grid  # noqa: F401

NORM_BINS = np.linspace(0.0, 2.0, 101)

__all__ = [
    "Grid",
    "GRIDS",
    "get_grid",
    "large_cpu_grid",
    "run_grid",
    "grid_status",
    "merge_grid",
    "combine_files",
    "load_sweep",
    "main",
]

# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _check_out(grid: Grid, out: Path, create: bool) -> None:
    man = out / "sweep.json"
    settings = grid.settings()
    if man.exists():
        old = json.loads(man.read_text())
        if old.get("settings") != settings:
            diff = sorted(
                k
                for k in set(settings) | set(old.get("settings", {}))
                if settings.get(k) != old.get("settings", {}).get(k)
            )
            raise ValueError(
                f"output directory {str(out)!r} holds results of grid {old.get('grid')!r} with different settings "
                f"(differing: {', '.join(diff)}); use another --out or the same grid and protocol"
            )
    elif create:
        data = json.dumps({"grid": grid.name, "settings": settings}, indent=1).encode()
        atomic_write(man, lambda f: f.write(data))
    elif not out.exists():
        raise ValueError(f"output directory {str(out)!r} does not exist; run the grid first")


def _unit_path(out: Path, uid: str) -> Path:
    return out / "units" / f"{uid}.npz"


def _checkpoint_path(out: Path, uid: str) -> Path:
    return out / "units" / f"{uid}.ckpt.npz"


def checkpoint_progress(path: str | Path) -> dict | None:
    """Steps done and training seconds of a unit's checkpoint (the sweeps), or None when there is none."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError):
        return None
    return {"step": int(meta["step"]), "seconds": round(float(meta["seconds"]), 1)}


def _claim(path: Path) -> bool:
    """Claim a unit for this process (``UNIT.claim`` holds host and pid); False if a live process
    on this host holds it. Claims of dead processes or other hosts' stale claims are taken over only
    when their process is gone (same host); other hosts' claims are respected."""
    claim = path.with_suffix(".claim")
    me = f"{os.uname().nodename} {os.getpid()}"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            host, pid = claim.read_text().split()
        except (OSError, ValueError):
            host, pid = "", "0"
        if host == os.uname().nodename:
            try:
                os.kill(int(pid), 0)
                return False  # alive
            except ProcessLookupError:
                pass  # stale: the process died
            except PermissionError:
                return False
        else:
            return False
        claim.write_text(me)
        return True
    with os.fdopen(fd, "w") as f:
        f.write(me)
    return True


def parse_shard(shard: str | None) -> tuple[int, int]:
    """``"i/N"`` → (i, N) with 0 <= i < N; None → from SLURM_ARRAY_TASK_ID/COUNT, else (0, 1)."""
    if shard is None:
        tid = os.environ.get("SLURM_ARRAY_TASK_ID")
        if tid is None:
            return 0, 1
        cnt = os.environ.get("SLURM_ARRAY_TASK_COUNT")
        if cnt is None:
            raise ValueError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard i/N")
        shard = f"{int(tid) - int(os.environ.get('SLURM_ARRAY_TASK_MIN', 0))}/{cnt}"
    try:
        i_s, n_s = shard.split("/")
        i, n = int(i_s), int(n_s)
    except ValueError:
        raise ValueError(f"shard must look like i/N with integers 0 <= i < N, got {shard!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"shard must look like i/N with integers 0 <= i < N, got {shard!r}")
    return i, n


# --------------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------------


def run_grid(
    grid: Grid,
    out: str | Path,
    shard: tuple[int, int] = (0, 1),
    device: str = "cpu",
    progress: bool = True,
    max_units: int | None = None,
    max_mem_gb: float = 2.0,
    only: list[int] | None = None,
    checkpoint_every: float = 300.0,
) -> list[str]:
    """Train the grid's unfinished units of this shard; returns the unit ids trained (the sweeps).

    Validates the grid and the output directory before any work. While a unit trains, its whole
    training state is saved every ``checkpoint_every`` seconds to ``OUT/units/UNIT.ckpt.npz``; a run
    stopped at any point and started again continues from there (bitwise the same result), so at most
    ``checkpoint_every`` seconds of work are lost. The checkpoint is removed once the unit is stored.
    """
    import torch

    from . import __version__
    from .training import train_models

    grid.validate()
    out = Path(out)
    _check_out(grid, out, create=True)
    units = grid.units()
    if only is not None:
        bad = [k for k in only if not 0 <= k < len(units)]
        if bad:
            raise ValueError(f"units must be indices in 0..{len(units) - 1} of the run order, got {bad}")
        units = [units[k] for k in only]
    todo = [(uid, specs) for k, (uid, specs) in enumerate(units) if k % shard[1] == shard[0]]
    done = []
    for uid, specs in todo:
        path = _unit_path(out, uid)
        if path.exists():
            continue
        if max_units is not None and len(done) >= max_units:
            break
        if not _claim(path):
            continue  # another live process on this machine is training it
        ckpt = _checkpoint_path(out, uid)
        res = train_models(
            specs,
            grid.n,
            grid.protocol,
            device=device,
            progress=progress,
            max_mem_gb=max_mem_gb,
            desc=f"{grid.name} {uid}",
            checkpoint=ckpt,
            checkpoint_every=checkpoint_every,
        )
        secs = float(sum(r.seconds for r in res))  # training and evaluation, over every resumed piece
        arrays = {
            "m": np.array([r.spec.m for r in res]),
            "gamma": np.array([r.spec.gamma for r in res]),
            "final_loss": np.array([r.final_loss for r in res]),
            "final_loss_se": np.array([r.final_loss_se for r in res]),
            "b": np.stack([r.b for r in res]).astype(np.float32),
            "curve_steps": res[0].curve_steps,
            "curve_loss": np.stack([r.curve_loss for r in res]).astype(np.float32),
            "final_nnz_frac": np.array([r.extra.get("final_nnz_frac", np.nan) for r in res]),
            "seconds": np.array(secs),
            "meta": np.array(
                json.dumps(
                    {
                        "unit": uid,
                        "kind": specs[0].kind,
                        "alpha": specs[0].alpha,
                        "E": specs[0].E,
                        "scale": specs[0].scale,
                        "seed": specs[0].seed,
                        "version": __version__,
                        "torch": torch.__version__,
                        "threads": torch.get_num_threads(),
                        "device": device,
                        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    }
                )
            ),
        }
        for j, r in enumerate(res):
            arrays[f"W_{j}"] = r.W.astype(np.float32)

        def write(f, arrays=arrays):
            np.savez(f, **arrays)

        atomic_write(path, write)
        ckpt.unlink(missing_ok=True)
        path.with_suffix(".claim").unlink(missing_ok=True)
        done.append(uid)
        if progress:
            print(f"[{time.strftime('%H:%M:%S')}] {grid.name}: unit {uid} done in {secs:.0f} s", flush=True)
    return done


def grid_status(grid: Grid, out: str | Path) -> dict:
    """Finished and missing units of a grid in an output directory (the sweeps); ``in_progress`` gives,
    for each unit with a checkpoint, the steps done (of ``steps``) and its training seconds so far."""
    out = Path(out)
    _check_out(grid, out, create=False)
    units = [uid for uid, _ in grid.units()]
    fin = [u for u in units if _unit_path(out, u).exists()]
    secs = 0.0
    for u in fin:
        with np.load(_unit_path(out, u)) as z:
            secs += float(z["seconds"])
    missing = [u for u in units if u not in fin]
    running = {}
    for u in missing:
        prog = checkpoint_progress(_checkpoint_path(out, u))
        if prog is not None:
            running[u] = {**prog, "steps": grid.protocol.steps}
    return {
        "grid": grid.name,
        "finished": fin,
        "missing": missing,
        "in_progress": running,
        "seconds": secs,
    }


# --------------------------------------------------------------------------------------------
# Merge
# --------------------------------------------------------------------------------------------


def _axes(grid: Grid) -> list[tuple[str, list]]:
    axes = [
        ("seed", list(grid.seeds)),
        ("kind", list(grid.kinds)),
        ("alpha", list(grid.alphas)),
        ("E", list(grid.Es)),
    ]
    return axes


def merge_grid(
    grid: Grid,
    out: str | Path,
    to: str | Path,
    allow_partial: bool = False,
    command: str | None = None,
    drop_missing: bool = True,
) -> Path:
    """Merge finished units into one netCDF file (engine h5netcdf), written atomically (the sweeps).

    Dimensions: the varying ones of (seed, kind, alpha, E), then gamma and m; plus ``feature``
    (rank 1..n), ``step`` (thinned loss curve) and ``bin`` (row-norm histogram). Singleton axes
    become scalar coordinates. With ``allow_partial``, values of the lead axes with no finished unit
    are dropped (``drop_missing``, default) and the remaining gaps are NaN with ``completed`` False.
    """
    import torch
    import xarray as xr

    from . import __version__
    from .model import measure, norm_histogram

    grid.validate()
    out = Path(out)
    _check_out(grid, out, create=False)
    st = grid_status(grid, out)
    if st["missing"] and not allow_partial:
        raise ValueError(
            f"{len(st['missing'])} of {len(grid.units())} units are missing in {str(out)!r} "
            f"(e.g. {st['missing'][0]}); finish the run or pass --allow-partial"
        )
    if not st["finished"]:
        raise ValueError(f"no finished units in {str(out)!r}")
    n = grid.n
    axes = _axes(grid)
    # sorted coordinate values for the file; run order may differ
    axes = [(name, sorted(vals) if name != "kind" else list(vals)) for name, vals in axes]
    lead_shape = [len(v) for _, v in axes]
    G, M = len(grid.gammas), len(grid.widths)
    gam_sorted = sorted(grid.gammas)
    wid_sorted = sorted(grid.widths)
    shape = lead_shape + [G, M]
    scalars = [
        "final_loss",
        "final_loss_se",
        "phi_half",
        "phi_one",
        "n_gt1",
        "overlap_mean_all",
        "overlap_var_all",
        "overlap_mean_gt1",
        "overlap_var_gt1",
        "ambiguity",
        "final_nnz_frac",
        "train_seconds",
    ]
    S = {k: np.full(shape, np.nan) for k in scalars}
    completed = np.zeros(shape, dtype=bool)
    norms = np.full(shape + [n], np.nan, dtype=np.float16)
    hist = np.zeros(shape + [len(NORM_BINS) - 1], dtype=np.int32)
    bias = np.full(shape + [n], np.nan, dtype=np.float16)
    curve_steps = None
    curve = None
    p_arr = np.full(lead_shape + [n], np.nan)
    total_secs = 0.0
    finished_times = []
    for uid, specs in grid.units():
        sp0 = specs[0]
        lead = tuple(vals.index(getattr(sp0, name)) for name, vals in axes)
        p_arr[lead] = feature_frequencies(sp0.kind, n, sp0.E, sp0.alpha, sp0.scale)
        path = _unit_path(out, uid)
        if not path.exists():
            continue
        cpath = path.with_suffix(".meas.json")  # measurements are cached per unit (they take ~0.3 s a model)
        cache = None
        if cpath.exists() and cpath.stat().st_mtime >= path.stat().st_mtime:
            cache = json.loads(cpath.read_text())
        new_cache: list[dict] = []
        with np.load(path) as z:
            meta = json.loads(str(z["meta"]))
            finished_times.append(meta.get("finished_utc", ""))
            secs = float(z["seconds"])
            total_secs += secs
            if curve is None:
                curve_steps = z["curve_steps"]
                curve = np.full(shape + [len(curve_steps)], np.nan, dtype=np.float32)
            for j in range(len(z["m"])):
                gi = gam_sorted.index(float(z["gamma"][j]))
                mi = wid_sorted.index(int(z["m"][j]))
                idx = lead + (gi, mi)
                W = z[f"W_{j}"].astype(np.float64)
                meas = cache[j] if cache is not None else measure(W)
                new_cache.append(meas)
                for k, v in meas.items():
                    S[k][idx] = v
                S["final_loss"][idx] = z["final_loss"][j]
                S["final_loss_se"][idx] = z["final_loss_se"][j]
                S["final_nnz_frac"][idx] = z["final_nnz_frac"][j]
                S["train_seconds"][idx] = secs / len(z["m"])
                rn = np.linalg.norm(W, axis=1)
                norms[idx] = rn.astype(np.float16)
                hist[idx] = norm_histogram(W, NORM_BINS)
                bias[idx] = z["b"][j].astype(np.float16)
                curve[idx] = z["curve_loss"][j]
                completed[idx] = True
        if cache is None:
            data = json.dumps(new_cache).encode()
            atomic_write(cpath, lambda f, data=data: f.write(data))
    dims_lead = [name for name, _ in axes]
    dims = dims_lead + ["gamma", "m"]
    units_doc = {
        "final_loss": ("loss (n × MSE, summed over features, mean over samples) on fresh data", ""),
        "final_loss_se": ("standard error of final_loss over the evaluation samples", ""),
        "phi_half": ("fraction of rows with norm > 1/2 (φ_1/2, paper Eq. 3)", ""),
        "phi_one": ("fraction of rows with norm > 1 (φ_1, paper Eq. 9)", ""),
        "n_gt1": ("number of rows with norm > 1", ""),
        "overlap_mean_all": ("mean squared overlap (Ŵ_i·Ŵ_j)², i≠j, all rows", ""),
        "overlap_var_all": ("variance of the squared overlaps, all rows", ""),
        "overlap_mean_gt1": ("mean squared overlap among rows with norm > 1 (NaN if fewer than 2)", ""),
        "overlap_var_gt1": ("variance of the squared overlaps among rows with norm > 1", ""),
        "ambiguity": ("‖W Wᵀ − diag(I_m, 0)‖₂ (paper App. D.5)", ""),
        "final_nnz_frac": ("engine diagnostic: fraction of non-zero dL/dz entries at the end", ""),
        "train_seconds": ("wall-clock seconds of the model's unit divided by its number of models", "s"),
    }
    data_vars = {}
    for k in scalars:
        arr = np.where(completed, np.nan_to_num(S[k]), -1).astype(np.int32) if k == "n_gt1" else S[k]
        data_vars[k] = (dims, arr, {"long_name": units_doc[k][0], "units": units_doc[k][1]})
    data_vars["completed"] = (dims, completed, {"long_name": "True where the model was trained"})
    data_vars["row_norm"] = (dims + ["feature"], norms, {"long_name": "‖W_i‖ per feature rank i (float16)"})
    data_vars["bias"] = (dims + ["feature"], bias, {"long_name": "trained bias b_i (float16)"})
    data_vars["norm_hist"] = (
        dims + ["bin"],
        hist,
        {"long_name": "histogram counts of row norms", "bin_edges": NORM_BINS},
    )
    data_vars["loss_curve"] = (
        dims + ["step"],
        curve,
        {"long_name": "training loss (n × MSE) averaged over the steps of each window ending at `step`"},
    )
    data_vars["p"] = (dims_lead + ["feature"], p_arr, {"long_name": "feature frequencies p_i"})
    coords = {name: (name, np.array(vals)) for name, vals in axes}
    coords.update(
        {
            "gamma": ("gamma", np.array(gam_sorted)),
            "m": ("m", np.array(wid_sorted)),
            "feature": ("feature", np.arange(1, n + 1)),
            "step": ("step", np.asarray(curve_steps)),
            "bin": ("bin", 0.5 * (NORM_BINS[1:] + NORM_BINS[:-1])),
        }
    )
    ds = xr.Dataset(data_vars, coords=coords)
    if st["missing"] and drop_missing:
        # keep only the values of the lead axes (α, E, …) for which at least one unit finished
        for name, _ in axes:
            other = [d for d in ds.completed.dims if d != name]
            ds = ds.isel({name: ds.completed.any(other).values})
    for name, _ in axes:
        if ds.sizes[name] == 1:
            ds = ds.squeeze(name)  # keep as a scalar coordinate
    pr = grid.protocol
    ds.attrs.update(
        {
            "title": f"superscale sweep {grid.name}",
            "grid": grid.name,
            "description": grid.description,
            "protocol_name": pr.name,
            "protocol": json.dumps(pr.to_dict()),
            "settings": json.dumps(grid.settings()),
            "n": n,
            "batch": pr.batch,
            "steps": pr.steps,
            "eval_samples": pr.eval_samples,
            "schedule": (
                f"{pr.schedule}: warm-up {pr.warmup_frac:g} of the steps, cosine to {pr.floor:g} of peak "
                f"{pr.peak_lr:g}"
                if pr.schedule == "small"
                else f"large: warm-up {pr.warmup_frac:g}, W lr 0.02(8/m)^0.25, b lr 2/m, cosine to {pr.floor:g}"
            ),
            "loss_units": "n × mean-squared error (summed over features, mean over samples), as in the paper",
            "units_finished": len(st["finished"]),
            "units_finished_list": ", ".join(st["finished"]),
            "units_total": len(grid.units()),
            "complete": int(not st["missing"]),
            "train_seconds_total": total_secs,
            "last_unit_finished_utc": max(finished_times) if finished_times else "",
            "package_version": __version__,
            "torch_version": str(torch.__version__),
            "command": command or "",
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    return _write_nc(ds, Path(to))


def _write_nc(ds, to: Path) -> Path:
    """Write ``ds`` to ``to`` (engine h5netcdf, compressed) atomically (:func:`superscale.fileio.atomic_write`)."""
    enc = {k: {"zlib": True, "complevel": 4} for k in ds.data_vars}
    return atomic_write(to, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf", encoding=enc), mode=None)


_LEAD_DIMS = ("seed", "kind", "alpha", "E")


def _fill_models(parts: list, paths: list[Path]):
    """Combine merges that share every axis and hold different trained models (``merge --keep-untrained``
    of the same grid in several sessions): each model's values come from the file in which it is
    ``completed``; variables without the model axes (e.g. the frequencies ``p``) must agree where both
    files have them."""
    import numpy as np
    import xarray as xr

    out = parts[0]
    model_dims = out["completed"].dims
    for p, ds in zip(paths[1:], parts[1:]):
        try:
            xr.align(out, ds, join="exact")
        except ValueError as e:
            raise ValueError(f"{str(p)!r} does not share the axes of {str(paths[0])!r}: {e}") from None
        done = ds["completed"].fillna(False).astype(bool)
        both = out["completed"].fillna(False).astype(bool) & done
        if bool(both.any()):
            raise ValueError(
                f"{str(p)!r} and the files before it both hold {int(both.sum())} of the same trained models; "
                "combine files that hold different models"
            )
        new = out.copy()
        for v in ds.data_vars:
            if set(model_dims) <= set(ds[v].dims):
                new[v] = xr.where(done, ds[v], out[v]).astype(out[v].dtype).transpose(*out[v].dims)
            else:
                a, b = np.asarray(out[v].values), np.asarray(ds[v].values)
                known = ~(_isnan(a) | _isnan(b))
                if not np.array_equal(a[known], b[known]):
                    raise ValueError(f"variable {v!r} differs between {str(paths[0])!r} and {str(p)!r}")
                new[v] = out[v].combine_first(ds[v])
        out = new
    return out


def _isnan(a):
    import numpy as np

    return np.isnan(a) if np.issubdtype(a.dtype, np.floating) else np.zeros(a.shape, dtype=bool)


def combine_files(paths, to: str | Path, command: str | None = None) -> Path:
    """Combine merged files of one grid and protocol that hold different units into one file (the sweeps).

    For units trained in pieces whose unit folders are gone (other sessions, machines or clusters):
    ``merge`` each folder, then ``combine`` the files. The files either differ along one lead axis (e.g.
    one file per α), or share every axis and hold different trained models (``merge --keep-untrained``
    in several sessions; each model is taken from the file where it is ``completed``). All inputs must
    carry the same ``settings``
    attribute (grid and protocol) and no unit may be in two of them; the result has the layout of
    :func:`superscale.sweep.merge_grid` (singleton lead axes as scalar coordinates), the union of ``units_finished_list``
    and the summed ``train_seconds_total``. Written atomically; ``to`` may be one of the inputs.
    """
    import xarray as xr

    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise ValueError(f"paths must name at least 2 files to combine, got {len(paths)}")
    parts = []
    for p in paths:
        if not p.exists():
            raise ValueError(f"file to combine {str(p)!r} does not exist")
        with xr.open_dataset(p, engine="h5netcdf") as ds:
            parts.append(ds.load())
    settings = parts[0].attrs.get("settings")
    units: dict[str, str] = {}
    for p, ds in zip(paths, parts):
        if ds.attrs.get("settings") != settings:
            raise ValueError(
                f"{str(p)!r} was made with other settings (grid {ds.attrs.get('grid')!r}, protocol "
                f"{ds.attrs.get('protocol')}) than {str(paths[0])!r} (grid {parts[0].attrs.get('grid')!r}); "
                "only files of one grid and protocol can be combined"
            )
        for u in filter(None, (x.strip() for x in str(ds.attrs.get("units_finished_list", "")).split(","))):
            if u in units:
                raise ValueError(f"unit {u!r} is in both {units[u]!r} and {str(p)!r}; combine disjoint files")
            units[u] = str(p)
    lead = [d for d in _LEAD_DIMS if d in parts[0].coords]
    expanded = []
    for ds in parts:
        ds = ds.copy()
        ds.attrs = {}
        for d in lead:
            if d not in ds.dims:
                ds = ds.expand_dims(d)
        for v in ds.data_vars:  # combine_by_coords needs every variable to carry every lead axis
            missing = [d for d in lead if d not in ds[v].dims]
            if missing:
                ds[v] = ds[v].expand_dims({d: ds[d].values for d in missing})
        expanded.append(ds)
    differ = [
        d
        for d in lead
        if any(set(e[d].values.tolist()) != set(expanded[0][d].values.tolist()) for e in expanded)
    ]
    if len(differ) > 1:
        raise ValueError(
            f"the files must differ along at most one of {lead} (they differ along {differ}); "
            "combine them one axis at a time"
        )
    if differ:
        try:
            out = xr.concat(
                expanded, dim=differ[0], data_vars="all", coords="different", compat="equals", join="exact"
            )
        except ValueError as e:
            raise ValueError(f"the files do not share their other axes: {e}") from None
        out = out.sortby(differ[0])
    else:
        out = _fill_models(expanded, paths)
    out["completed"] = out["completed"].fillna(False).astype(bool)
    for d in lead:
        if out.sizes[d] == 1:
            out = out.squeeze(d)
    try:
        order = [u for u, _ in get_grid(str(parts[0].attrs.get("grid"))).units()]
    except ValueError:
        order = []
    names = sorted(units, key=lambda u: (order.index(u) if u in order else len(order), u))
    total = int(parts[0].attrs.get("units_total", len(names)))
    out.attrs = dict(parts[0].attrs)
    out.attrs.update(
        {
            "units_finished": len(names),
            "units_finished_list": ", ".join(names),
            "complete": int(len(names) >= total),
            "train_seconds_total": float(
                sum(float(ds.attrs.get("train_seconds_total", 0.0)) for ds in parts)
            ),
            "last_unit_finished_utc": max(str(ds.attrs.get("last_unit_finished_utc", "")) for ds in parts),
            "combined_from": "; ".join(
                f"{p.name} ({ds.attrs.get('created_utc', '?')}: {ds.attrs.get('command', '')})"
                for p, ds in zip(paths, parts)
            ),
            "command": command or "",
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    return _write_nc(out, Path(to))


def load_sweep(name: str):
    """Open a merged sweep from ``book/data`` (e.g. ``load_sweep("short-small")``; the chapters use
    :func:`superscale.catalog.load`, which joins a data set's files) as an in-memory
    xarray Dataset (chapters 2-5). Finds the file with :func:`superscale.bookdata.data_path`."""
    import xarray as xr

    from .bookdata import data_path

    fname = name if name.endswith(".nc") else f"{name}.nc"
    with xr.open_dataset(data_path(fname), engine="h5netcdf") as ds:
        return ds.load()


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m superscale.sweep", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list the named grids")
    c = sub.add_parser("combine", help="combine merged files of one grid that hold different units")
    c.add_argument("files", nargs="+", help="merged .nc files of one grid and protocol")
    c.add_argument("--to", required=True, help="the combined .nc file (may be one of the inputs)")
    helps = {
        "run": "train a named grid's unfinished units",
        "status": "list a run's finished and missing units",
        "merge": "merge the finished units into one .nc file",
    }
    for name in ("run", "status", "merge"):
        p = sub.add_parser(name, help=helps[name])
        p.add_argument("grid")
        p.add_argument("--out", help="output directory of the unit files (default runs/GRID)")
        p.add_argument("--steps", type=int, help="override the protocol's number of steps")
        p.add_argument("--batch", type=int, help="override the protocol's batch size")
        if name == "run":
            p.add_argument(
                "--shard", help="i/N: run every N-th unit starting at i (default: SLURM_ARRAY_TASK_ID)"
            )
            p.add_argument("--device", default="cpu")
            p.add_argument("--threads", type=int, help="torch CPU threads")
            p.add_argument("--max-units", type=int, help="stop after this many units")
            p.add_argument("--units", help="comma-separated unit indices (run order, see `status`) to run")
            p.add_argument("--max-mem-gb", type=float, default=2.0)
            p.add_argument(
                "--checkpoint-every",
                type=float,
                default=300.0,
                help="seconds between saves of a unit's training state (default 300)",
            )
            p.add_argument("--quiet", action="store_true")
        if name == "merge":
            p.add_argument("--to", required=True, help="the merged .nc file")
            p.add_argument("--allow-partial", action="store_true")
            p.add_argument(
                "--keep-untrained",
                action="store_true",
                help="with --allow-partial: keep every value of the lead axes (kind, α, E), untrained "
                "models as NaN, instead of dropping the values no finished unit has",
            )
    lg = sub.add_parser(
        "large",
        help="the large model on one CPU core, one model a unit (large_cpu_grid): run, status or merge",
        description="The paper's large model (n = 10240, three frequency laws) reduced for one CPU core "
        "(superscale.sweep.large_cpu_grid): run, status or merge (chapter 4).",
    )
    lg.add_argument("action", choices=["run", "status", "merge"])
    lg.add_argument("--widths", default="8,16,32,64,128", help="comma-separated widths")
    lg.add_argument("--gammas", default="-1,0.1", help="comma-separated γ")
    lg.add_argument("--steps", type=int, default=8000)
    lg.add_argument("--batch", type=int, default=128)
    lg.add_argument("--eval-samples", type=int, default=25600)
    lg.add_argument("--n", type=int, default=10240)
    lg.add_argument("--out", default="runs/large-cpu")
    lg.add_argument("--threads", type=int, default=1)
    lg.add_argument("--to", help="merge: the merged .nc file")
    lg.add_argument("--allow-partial", action="store_true")
    from .weights import DEFAULT_FILE, WIDTHS

    w = sub.add_parser(
        "weights",
        help="train a few strong models and save their weight matrices (chapter 5; superscale.weights)",
        description="Train alphas × gammas × widths toy models (n = 1000) and save W, b in float16 "
        "(superscale.weights.make_weights), or merge weight files (--merge).",
    )
    w.add_argument("--to", default=f"book/data/{DEFAULT_FILE}")
    w.add_argument("--alphas", type=float, nargs="+", default=[0.0, 1.0])
    w.add_argument("--gammas", type=float, nargs="+", default=[-1.0])
    w.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    w.add_argument("--steps", type=int, default=10000, help="training steps")
    w.add_argument("--batch", type=int, default=128, help="batch size")
    w.add_argument("--threads", type=int, default=1)
    w.add_argument("--merge", nargs="+", metavar="FILE", help="merge these weight files into --to instead")
    return ap


def _command(argv: list[str]) -> str:
    """The command line as typed, recorded in merged files."""
    return "python -m superscale.sweep " + " ".join(shlex.quote(a) for a in argv)


def _large(args, argv: list[str]) -> None:
    """``python -m superscale.sweep large {run,status,merge}``: the CPU large-model run (chapter 4)."""
    grid = large_cpu_grid(
        tuple(int(x) for x in args.widths.split(",")),
        tuple(float(x) for x in args.gammas.split(",")),
        args.steps,
        args.batch,
        args.n,
        args.eval_samples,
    )
    if args.action == "run":
        import torch

        torch.set_num_threads(max(1, args.threads))
        t0 = time.time()
        while True:
            did = run_grid(grid, args.out, progress=False, max_units=1)
            if not did:
                break
            st = grid_status(grid, args.out)
            print(
                f"[{time.strftime('%H:%M:%S')}] {did[0]} done; {len(st['finished'])}/{len(grid.units())} "
                f"finished, {time.time() - t0:.0f} s since start",
                flush=True,
            )
    elif args.action == "status":
        st = grid_status(grid, args.out)
        print(
            f"{len(st['finished'])}/{len(grid.units())} models finished, {st['seconds']:.0f} s; "
            f"missing: {st['missing']}"
        )
    else:
        if not args.to:
            raise ValueError("merge needs --to FILE.nc")
        path = merge_grid(grid, args.out, args.to, allow_partial=args.allow_partial, command=_command(argv))
        print(f"wrote {path}")


def _weights(args) -> None:
    """``python -m superscale.sweep weights``: train and save full weight matrices (chapter 5)."""
    from .weights import make_weights, merge_weights

    if args.merge:
        print(f"wrote {merge_weights(args.merge, args.to)}")
        return
    path = make_weights(
        args.to,
        tuple(args.alphas),
        tuple(args.gammas),
        tuple(args.widths),
        steps=args.steps,
        batch=args.batch,
        threads=args.threads,
    )
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m superscale.sweep`` (returns the exit status)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "list":
            for g in GRIDS.values():
                pr = g.protocol
                print(
                    f"{g.name:14s} n={g.n} widths={list(g.widths)} |γ|={len(g.gammas)} |α|={len(g.alphas)} "
                    f"|E|={len(g.Es)} kinds={list(g.kinds)} batch={pr.batch} steps={pr.steps} "
                    f"units={len(g.units())} models={len(g.specs())}"
                )
            return 0
        if args.cmd == "combine":
            print(f"wrote {combine_files(args.files, args.to, command=_command(argv))}")
            return 0
        if args.cmd == "large":
            _large(args, argv)
            return 0
        if args.cmd == "weights":
            _weights(args)
            return 0
        grid = get_grid(args.grid)
        if args.steps is not None and args.steps < 1:
            raise ValueError(f"steps must be an integer >= 1, got {args.steps}")
        if args.batch is not None and args.batch < 1:
            raise ValueError(f"batch must be an integer >= 1, got {args.batch}")
        grid = grid.with_protocol(steps=args.steps, batch=args.batch).validate()
        out = Path(args.out or f"runs/{grid.name}")
        if args.cmd == "run":
            shard = parse_shard(args.shard)
            if args.device != "cpu" and not args.device.startswith("cuda"):
                raise ValueError(f"device must be 'cpu' or 'cuda[:i]', got {args.device!r}")
            if args.threads is not None:
                if args.threads < 1:
                    raise ValueError(f"threads must be an integer >= 1, got {args.threads}")
                import torch

                torch.set_num_threads(args.threads)
            run_grid(
                grid,
                out,
                shard,
                device=args.device,
                progress=not args.quiet,
                max_units=args.max_units,
                only=[int(k) for k in args.units.split(",")] if args.units else None,
                max_mem_gb=args.max_mem_gb,
                checkpoint_every=args.checkpoint_every,
            )
            st = grid_status(grid, out)
            print(f"{grid.name}: {len(st['finished'])}/{len(grid.units())} units finished in {out}")
        elif args.cmd == "status":
            st = grid_status(grid, out)
            print(
                json.dumps(
                    {**st, "n_finished": len(st["finished"]), "n_missing": len(st["missing"])}, indent=1
                )
            )
        elif args.cmd == "merge":
            path = merge_grid(
                grid,
                out,
                args.to,
                allow_partial=args.allow_partial,
                command=_command(argv),
                drop_missing=not args.keep_untrained,
            )
            print(f"wrote {path}")
        return 0
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
