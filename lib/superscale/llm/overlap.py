"""Row norms and pairwise overlaps of the rows of an n x m matrix (chapter 6).

For the unembedding W of a language model (one row per token) the paper asks how much the token
directions ŵ_i = W_i/|W_i| overlap. Three ways to get the statistics of c_ij = ŵ_i·ŵ_j, i ≠ j:

* ``"gram"``: exact mean of c² from the m x m Gram matrix G = ŴᵀŴ, since
  Σ_{i≠j} c_ij² = |G|_F² - Σ_i |ŵ_i|⁴. Cost O(n m²), memory O(m²): no n x n matrix.
* ``"blocks"``: exact mean |c|, mean c², variance of c² (and a histogram of c) from all pairs,
  row block against row block, summed in float64. Cost O(n² m), memory O(block²). CPU or GPU.
* ``"pairs"``: the same statistics estimated from a stated number of random pairs, with
  standard errors.

Rows of exactly zero norm have no direction; they are dropped and counted.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

METHODS: tuple[str, ...] = ("gram", "blocks", "pairs", "gram+pairs")
#: An n x m matrix: a numpy array (float16/32/64) or a torch tensor.
Matrix = Any


def random_overlap_moments(m: int) -> dict[str, float]:
    """Overlap moments of two independent uniformly random unit vectors in R^m (chapter 6).

    mean c² = 1/m, Var c² = 2(m-1)/(m²(m+2)), mean |c| = Γ(m/2)/(√π Γ((m+1)/2)).
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2:
        raise ValueError(f"m (width) must be an integer >= 2, got {m!r}")
    from scipy.special import gammaln

    mean_abs = math.exp(gammaln(m / 2) - gammaln((m + 1) / 2)) / math.sqrt(math.pi)
    return {"mean_sq": 1.0 / m, "var_sq": 2.0 * (m - 1) / (m * m * (m + 2)), "mean_abs": mean_abs}


@dataclass(frozen=True)
class RowNormSummary:
    """Summary of the row norms |W_i| (the paper's App. D.7 saves mean, std, min, max)."""

    n: int
    mean: float
    std: float
    min: float
    max: float
    quantiles: dict[str, float]
    n_zero: int
    hist_counts: np.ndarray = field(repr=False)
    hist_edges: np.ndarray = field(repr=False)

    def as_dict(self) -> dict:
        """Scalars only (no histogram), with quantiles flattened to ``norm_q05`` etc."""
        d = {f"norm_{k}": getattr(self, k) for k in ("mean", "std", "min", "max")}
        d.update({f"norm_{k}": v for k, v in self.quantiles.items()})
        d["n_zero_rows"] = self.n_zero
        return d


@dataclass(frozen=True)
class OverlapStats:
    """Statistics of c_ij = ŵ_i·ŵ_j over the pairs i ≠ j of nonzero rows (chapter 6).

    ``mean_sq`` is the paper's "mean squared overlap". ``std_abs`` = √(mean c² - (mean |c|)²) is what
    the paper's code saves as "variance_overlap". ``var_sq`` is the variance of c², to compare with
    the random value 2(m-1)/(m²(m+2)). Fields a method does not compute are NaN; ``*_se`` are
    standard errors (0 for exact values). ``n_pairs`` counts the unordered pairs used.
    """

    n: int
    m: int
    method: str
    mean_sq: float
    mean_sq_se: float = 0.0
    mean_abs: float = math.nan
    mean_abs_se: float = math.nan
    std_abs: float = math.nan
    var_sq: float = math.nan
    var_sq_se: float = math.nan
    max_abs: float = math.nan
    n_pairs: int = 0
    n_dropped: int = 0
    seconds: float = 0.0
    hist_counts: np.ndarray | None = field(default=None, repr=False)
    hist_edges: np.ndarray | None = field(default=None, repr=False)

    @property
    def random_mean_sq(self) -> float:
        """1/m, the mean squared overlap of random directions in the same width."""
        return 1.0 / self.m

    def as_dict(self) -> dict:
        """Scalars only (no histogram)."""
        d = asdict(self)
        d.pop("hist_counts")
        d.pop("hist_edges")
        return d


def _torch():
    import torch

    return torch


def _as_tensor(W):
    torch = _torch()
    if isinstance(W, torch.Tensor):
        t = W.detach()
    else:
        a = np.asarray(W)
        if a.dtype not in (np.float16, np.float32, np.float64):
            a = a.astype(np.float64)
        t = torch.from_numpy(np.ascontiguousarray(a))
    if t.ndim != 2:
        raise ValueError(f"W must be a 2-D matrix (n rows x m columns), got shape {tuple(t.shape)}")
    if t.shape[0] < 2 or t.shape[1] < 1:
        raise ValueError(f"W needs at least 2 rows and 1 column, got shape {tuple(t.shape)}")
    if not t.is_floating_point():
        t = t.double()
    return t


def _check_block_rows(block_rows: int) -> int:
    if isinstance(block_rows, bool) or not isinstance(block_rows, (int, np.integer)) or block_rows < 1:
        raise ValueError(f"block_rows must be an integer >= 1, got {block_rows!r}")
    return int(block_rows)


def _dtype(precision: str):
    torch = _torch()
    if precision not in ("float32", "float64"):
        raise ValueError(f"precision must be 'float32' or 'float64', got {precision!r}")
    return torch.float32 if precision == "float32" else torch.float64


def _device(device):
    from ..notebook import pick_device

    return pick_device(device) if device is not None else "cpu"


def row_norms(W: Matrix, block_rows: int = 8192) -> np.ndarray:
    """Euclidean norms of the rows of W in float64, computed block by block (chapter 6)."""
    torch = _torch()
    t = _as_tensor(W)
    block_rows = _check_block_rows(block_rows)
    out = torch.empty(t.shape[0], dtype=torch.float64)
    for a in range(0, t.shape[0], block_rows):
        out[a : a + block_rows] = torch.linalg.vector_norm(t[a : a + block_rows], dim=1, dtype=torch.float64)
    if not torch.isfinite(out).all():
        raise ValueError("W has rows with non-finite entries (NaN or inf)")
    return out.numpy()


def row_norm_summary(W: Matrix, bins: int = 60, block_rows: int = 8192) -> RowNormSummary:
    """Mean, std, min, max, quantiles and a histogram of the row norms |W_i| (chapter 6)."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be an integer >= 1, got {bins!r}")
    r = row_norms(W, block_rows)
    qs = {"q01": 0.01, "q05": 0.05, "median": 0.5, "q95": 0.95, "q99": 0.99}
    counts, edges = np.histogram(r, bins=bins)
    return RowNormSummary(
        n=int(r.size),
        mean=float(r.mean()),
        std=float(r.std()),
        min=float(r.min()),
        max=float(r.max()),
        quantiles={k: float(np.quantile(r, q)) for k, q in qs.items()},
        n_zero=int((r == 0).sum()),
        hist_counts=counts,
        hist_edges=edges,
    )


@dataclass(frozen=True)
class _Prepared:
    t: object  # the rows, as a torch tensor (not copied)
    inv: object  # float64 1/|W_i|, 0 for rows of zero norm
    n_rows: int
    n_eff: int  # rows of nonzero norm
    nonzero: np.ndarray  # their indices


def _prepare(W, block_rows, device="cpu") -> _Prepared:
    """Rows and inverse norms; rows of zero norm get inverse norm 0, so they drop out of every sum
    without copying the matrix. On a GPU with room for it, the matrix is moved there once."""
    torch = _torch()
    t = _as_tensor(W)
    norms = torch.from_numpy(row_norms(t, block_rows))
    keep = norms > 0
    n_eff = int(keep.sum())
    if n_eff < 2:
        raise ValueError("W needs at least 2 rows of nonzero norm")
    inv = torch.where(keep, 1.0 / torch.where(keep, norms, 1.0), 0.0)
    if device != "cpu" and str(t.device) == "cpu":
        free = torch.cuda.mem_get_info()[0] if device == "cuda" else 0
        if t.numel() * t.element_size() * 3 < free:
            t, inv = t.to(device), inv.to(device)
    return _Prepared(t, inv, int(t.shape[0]), n_eff, np.flatnonzero(keep.numpy()))


def _unit_block(t, inv, a, b, device, dtype):
    """Rows a:b of W divided by their norms, as ``dtype`` on ``device``."""
    return t[a:b].to(device=device, dtype=dtype) * inv[a:b, None].to(device=device, dtype=dtype)


def mean_squared_overlap(
    W: Matrix, block_rows: int = 8192, device: str | None = None, precision: str = "float32"
) -> OverlapStats:
    """Exact mean of (ŵ_i·ŵ_j)² over pairs i ≠ j through the m x m Gram matrix (chapter 6).

    Σ_{i≠j} c_ij² = |ŴᵀŴ|_F² - Σ_i |ŵ_i|⁴, accumulated block by block in float64. Cost O(n m²);
    memory beyond W itself: the m x m Gram matrix in float64 (512 MB at m = 8192), one block update
    of the same size and one block of rows (block_rows x m), whatever n is. Zero rows are left out.
    ``precision="float32"`` (default) multiplies in float32 and adds the block Gram matrices in
    float64: about 1e-8 relative error when n >> m (1e-9 to 1e-8 against the exact all-pairs sum in
    the benchmark), at half the cost of ``"float64"``, which is exact to rounding but slow on most GPUs.
    """
    torch = _torch()
    t0 = time.perf_counter()
    block_rows = _check_block_rows(block_rows)
    dtype = _dtype(precision)
    dev = _device(device)
    pr = _prepare(W, block_rows, dev)
    t, inv, n = pr.t, pr.inv, pr.n_eff
    m = t.shape[1]
    G = torch.zeros(m, m, dtype=torch.float64, device=dev)
    diag4 = 0.0
    for a in range(0, pr.n_rows, block_rows):
        X = _unit_block(t, inv, a, a + block_rows, dev, dtype)
        G += (X.T @ X).to(torch.float64)
        diag4 += float(((X * X).sum(dim=1).to(torch.float64) ** 2).sum())
    off = float((G * G).sum()) - diag4
    mean_sq = off / (n * (n - 1))
    return OverlapStats(
        n=n,
        m=m,
        method="gram",
        mean_sq=mean_sq,
        n_pairs=n * (n - 1) // 2,
        n_dropped=pr.n_rows - n,
        seconds=time.perf_counter() - t0,
    )


def overlap_stats_blocks(
    W: Matrix, block_rows: int = 4096, device: str | None = None, precision: str = "float32", bins: int = 0
) -> OverlapStats:
    """Exact mean |c|, mean c², Var c² and max |c| over all pairs i ≠ j, block against block (chapter 6).

    Products in ``precision`` (float32 by default, as fast as the hardware allows), every sum in
    float64. Memory: a few block_rows² temporaries (64 MB each for 4096 rows in float32). With
    ``bins > 0`` also a histogram of c over [-1, 1] with that many bins.
    """
    torch = _torch()
    t0 = time.perf_counter()
    block_rows = _check_block_rows(block_rows)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 0:
        raise ValueError(f"bins must be an integer >= 0, got {bins!r}")
    dtype = _dtype(precision)
    dev = _device(device)
    pr = _prepare(W, block_rows, dev)
    t, inv, n_rows, n = pr.t, pr.inv, pr.n_rows, pr.n_eff
    m = t.shape[1]
    f64 = torch.float64
    s1 = s2 = s4 = 0.0
    cmax = 0.0
    hist = torch.zeros(bins, dtype=f64) if bins else None
    starts = list(range(0, n_rows, block_rows))
    size = min(block_rows, n_rows)
    buf_c = torch.empty(size * size, dtype=dtype, device=dev)  # reused: no page faults per block
    buf_s = torch.empty(size * size, dtype=dtype, device=dev)
    for ia, a in enumerate(starts):
        XI = _unit_block(t, inv, a, a + block_rows, dev, dtype)
        for b in starts[ia:]:
            XJ = XI if b == a else _unit_block(t, inv, b, b + block_rows, dev, dtype)
            bi, bj = XI.shape[0], XJ.shape[0]
            C = torch.mm(XI, XJ.T, out=buf_c[: bi * bj].view(bi, bj))
            w = 1.0
            if b == a:
                C.fill_diagonal_(0.0)
                w = 0.5
            if hist is not None:
                h = torch.histc(C.float(), bins=bins, min=-1.0, max=1.0).to(f64).cpu()
                if b == a:  # remove the zeroed diagonal from the bin holding 0
                    h[bins // 2] -= bi
                hist += w * h
            # Full reductions in torch use cascade summation: float32 sums of 1.6e7 terms are
            # accurate to ~1e-8 relative; the running totals are float64.
            S = torch.mul(C, C, out=buf_s[: bi * bj].view(bi, bj))
            s2 += w * float(S.sum(dtype=f64) if dtype == f64 else S.sum())
            S.square_()
            s4 += w * float(S.sum(dtype=f64) if dtype == f64 else S.sum())
            C.abs_()
            s1 += w * float(C.sum(dtype=f64) if dtype == f64 else C.sum())
            cmax = max(cmax, float(C.max()))
    npairs = n * (n - 1) // 2
    if hist is not None:  # pairs with a zero row were counted at c = 0
        hist[bins // 2] -= n_rows * (n_rows - 1) // 2 - npairs
    mean_abs, mean_sq, mean4 = s1 / npairs, s2 / npairs, s4 / npairs
    return OverlapStats(
        n=n,
        m=m,
        method="blocks",
        mean_sq=mean_sq,
        mean_abs=mean_abs,
        mean_abs_se=0.0,
        std_abs=math.sqrt(max(mean_sq - mean_abs**2, 0.0)),
        var_sq=mean4 - mean_sq**2,
        var_sq_se=0.0,
        max_abs=cmax,
        n_pairs=npairs,
        n_dropped=n_rows - n,
        seconds=time.perf_counter() - t0,
        hist_counts=None if hist is None else hist.numpy(),
        hist_edges=None if hist is None else np.linspace(-1.0, 1.0, bins + 1),
    )


def _sample(pr: _Prepared, n_pairs, seed):
    """Overlaps of random pairs: dot products in the matrix's precision (float32 for float32/16 rows),
    then scaled by the float64 inverse norms."""
    torch = _torch()
    src, inv = pr.t.cpu(), pr.inv.cpu()
    half = src.dtype in (torch.float16, torch.bfloat16)  # widened chunk by chunk
    n, m = pr.n_eff, src.shape[1]
    chunk = max(1, 2**24 // m)  # two gathered chunk x m float32 arrays: 128 MB at most
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=n_pairs)
    j = rng.integers(0, n - 1, size=n_pairs)
    j = j + (j >= i)
    i, j = pr.nonzero[i], pr.nonzero[j]  # positions among the nonzero rows -> row indices
    out = np.empty(n_pairs)
    for a in range(0, n_pairs, chunk):
        ii = torch.from_numpy(i[a : a + chunk])
        jj = torch.from_numpy(j[a : a + chunk])
        xi, xj = src[ii], src[jj]
        if half:
            xi, xj = xi.float(), xj.float()
        dots = torch.einsum("ij,ij->i", xi, xj).double()
        out[a : a + chunk] = (dots * inv[ii] * inv[jj]).numpy()
    return out


def _check_pairs(n_pairs):
    if isinstance(n_pairs, bool) or not isinstance(n_pairs, (int, np.integer)) or n_pairs < 2:
        raise ValueError(f"n_pairs must be an integer >= 2, got {n_pairs!r}")
    return int(n_pairs)


def sample_pair_overlaps(W: Matrix, n_pairs: int, seed: int = 0) -> np.ndarray:
    """Overlaps c_ij of ``n_pairs`` pairs i ≠ j drawn uniformly at random (with replacement) (chapter 6)."""
    n_pairs = _check_pairs(n_pairs)
    return _sample(_prepare(W, 8192), n_pairs, seed)


def overlap_stats_pairs(W: Matrix, n_pairs: int = 1_000_000, seed: int = 0, bins: int = 0) -> OverlapStats:
    """Mean |c|, mean c² and Var c² estimated from ``n_pairs`` random pairs, with standard errors (chapter 6).

    The standard error of a mean is the sample standard deviation over √n_pairs; that of Var c² uses
    the fourth central moment of c² (delta method).
    """
    t0 = time.perf_counter()
    n_pairs = _check_pairs(n_pairs)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 0:
        raise ValueError(f"bins must be an integer >= 0, got {bins!r}")
    pr = _prepare(W, 8192)
    n, m, n_dropped = pr.n_eff, pr.t.shape[1], pr.n_rows - pr.n_eff
    c = _sample(pr, n_pairs, seed)
    k = c.size
    a, s = np.abs(c), c * c
    var_s = float(s.var(ddof=1))
    m4 = float(np.mean((s - s.mean()) ** 4))
    mean_abs, mean_sq = float(a.mean()), float(s.mean())
    counts = edges = None
    if bins:
        counts, edges = np.histogram(c, bins=bins, range=(-1.0, 1.0))
    return OverlapStats(
        n=n,
        m=m,
        method="pairs",
        mean_sq=mean_sq,
        mean_sq_se=math.sqrt(var_s / k),
        mean_abs=mean_abs,
        mean_abs_se=float(a.std(ddof=1)) / math.sqrt(k),
        std_abs=math.sqrt(max(mean_sq - mean_abs**2, 0.0)),
        var_sq=var_s,
        var_sq_se=math.sqrt(max(m4 - var_s**2, 0.0) / k),
        max_abs=float(a.max()),
        n_pairs=k,
        n_dropped=n_dropped,
        seconds=time.perf_counter() - t0,
        hist_counts=counts,
        hist_edges=edges,
    )


def overlap_stats(
    W: Matrix,
    method: str = "gram+pairs",
    n_pairs: int = 1_000_000,
    seed: int = 0,
    block_rows: int = 4096,
    device: str | None = None,
    bins: int = 0,
) -> OverlapStats:
    """Overlap statistics of the rows of W by ``method`` (chapter 6; the ``measure`` command uses it).

    ``"gram+pairs"`` (default): exact mean c² from the Gram matrix, the other statistics from
    ``n_pairs`` random pairs. ``"blocks"``: everything exact (best on a GPU). ``"gram"``: mean c² only.
    ``"pairs"``: everything estimated.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "gram":
        return mean_squared_overlap(W, block_rows=max(block_rows, 8192), device=device)
    if method == "blocks":
        return overlap_stats_blocks(W, block_rows=block_rows, device=device, bins=bins)
    if method == "pairs":
        return overlap_stats_pairs(W, n_pairs=n_pairs, seed=seed, bins=bins)
    t0 = time.perf_counter()
    g = mean_squared_overlap(W, block_rows=max(block_rows, 8192), device=device)
    p = overlap_stats_pairs(W, n_pairs=n_pairs, seed=seed, bins=bins)
    return OverlapStats(
        n=g.n,
        m=g.m,
        method="gram+pairs",
        mean_sq=g.mean_sq,
        mean_sq_se=0.0,
        mean_abs=p.mean_abs,
        mean_abs_se=p.mean_abs_se,
        std_abs=math.sqrt(max(g.mean_sq - p.mean_abs**2, 0.0)),
        var_sq=p.var_sq,
        var_sq_se=p.var_sq_se,
        max_abs=p.max_abs,
        n_pairs=p.n_pairs,
        n_dropped=g.n_dropped,
        seconds=time.perf_counter() - t0,
        hist_counts=p.hist_counts,
        hist_edges=p.hist_edges,
    )
