"""Tests of superscale.llm (chapter 6): registry, one-tensor loader, overlap statistics, fits, CLI."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid

import fsspec
import numpy as np
import pytest
import torch
from safetensors.torch import save as st_save

from superscale.fit import fit_rank_frequency
from superscale.llm import (
    CHECKPOINTS,
    REGISTRY,
    PickleOnlyError,
    cli,
    fit_loss_vs_width,
    fit_size_vs_width,
    get_checkpoint,
    load_chinchilla_table,
    load_tensor,
    locate_tensor,
    mean_squared_overlap,
    overlap_stats,
    overlap_stats_blocks,
    overlap_stats_pairs,
    random_overlap_moments,
    read_tensor,
    row_norm_summary,
    width_exponent,
)
from superscale.llm.loader import is_network_error
from superscale.llm.measure import append_rows

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


# ---------------------------------------------------------------- helpers: checkpoints in Hub layout
def _tensors(dtype, n=37, m=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        "model.embed_tokens.weight": torch.randn(n, m, generator=g).to(dtype),
        "model.layers.0.mlp.weight": torch.randn(64, 64, generator=g).to(dtype),
        "lm_head.weight": torch.randn(n, m, generator=g).to(dtype),
        "model.norm.weight": torch.ones(m).to(dtype),
    }


def write_checkpoint(fs, root, tensors, sharded):
    """Write tensors as a Hub-style checkpoint: model.safetensors, or 2 shards plus the index json."""
    fs.makedirs(root, exist_ok=True)
    fs.pipe(f"{root}/config.json", b"{}")
    if not sharded:
        fs.pipe(f"{root}/model.safetensors", st_save(tensors, metadata={"format": "pt"}))
        return
    names = list(tensors)
    shards = {"model-00001-of-00002.safetensors": names[:2], "model-00002-of-00002.safetensors": names[2:]}
    weight_map = {}
    for fname, keys in shards.items():
        fs.pipe(f"{root}/{fname}", st_save({k: tensors[k] for k in keys}, metadata={"format": "pt"}))
        weight_map.update({k: fname for k in keys})
    fs.pipe(
        f"{root}/model.safetensors.index.json",
        json.dumps({"metadata": {}, "weight_map": weight_map}).encode(),
    )


@pytest.fixture(params=["file", "memory"])
def fs_root(request, tmp_path):
    if request.param == "file":
        return fsspec.filesystem("file"), str(tmp_path / "repo")
    return fsspec.filesystem("memory"), f"/superscale-test-{uuid.uuid4().hex}/repo"


# ---------------------------------------------------------------- registry
def test_registry_has_the_27_checkpoints():
    assert len(CHECKPOINTS) == 27 and len(REGISTRY) == 27
    counts = {f: len(REGISTRY.family(f)) for f in ("OPT", "Qwen2.5", "GPT-2", "Pythia")}
    assert counts == {"OPT": 8, "Qwen2.5": 7, "GPT-2": 4, "Pythia": 8}
    opt350 = get_checkpoint("facebook/opt-350m")
    assert (opt350.overlap_width, opt350.fit_width, opt350.width) == (512, 1024, 1024)
    assert get_checkpoint("GPT2").repo_id == "openai-community/gpt2"
    assert get_checkpoint("pythia-12b").vocab_rows == 50688
    assert all(c.n_params > c.n_params_nonembedding for c in CHECKPOINTS)
    with pytest.raises(KeyError, match="not in the registry"):
        get_checkpoint("llama-7b")
    with pytest.raises(ValueError, match="family"):
        REGISTRY.family("Llama")


# ---------------------------------------------------------------- loader
@pytest.mark.parametrize("sharded", [False, True], ids=["single", "sharded"])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_loader_reads_exact_values(fs_root, dtype, sharded):
    fs, root = fs_root
    tensors = _tensors(DTYPES[dtype])
    write_checkpoint(fs, root, tensors, sharded)
    for name in ("lm_head.weight", "model.embed_tokens.weight"):
        arr, info = load_tensor(root, name, fs=fs)
        assert arr.dtype == np.float32 and arr.shape == (37, 12)
        assert info.dtype == {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}[dtype]
        np.testing.assert_array_equal(arr, tensors[name].float().numpy())
    if sharded:
        assert locate_tensor(root, "lm_head.weight", fs=fs).path.endswith("model-00002-of-00002.safetensors")


def test_loader_reads_only_the_header_and_the_tensor(tmp_path, monkeypatch):
    fs, root = fsspec.filesystem("file"), str(tmp_path / "repo")
    tensors = _tensors(torch.float32, n=200, m=50)
    tensors["model.layers.0.mlp.weight"] = torch.zeros(1000, 1000)  # 4 MB that must not be read
    write_checkpoint(fs, root, tensors, sharded=False)
    reads = []
    orig = fs.cat_file

    def spy(path, start=None, end=None, **kw):
        out = orig(path, start=start, end=end, **kw)
        reads.append(len(out))
        return out

    monkeypatch.setattr(fs, "cat_file", spy)
    arr, info = load_tensor(root, "lm_head.weight", fs=fs)
    assert info.nbytes == 200 * 50 * 4
    assert sum(reads) < info.nbytes + 2000  # tensor bytes + 8-byte length + small JSON header
    np.testing.assert_array_equal(arr, tensors["lm_head.weight"].numpy())


def test_loader_chunked_read_and_alternative_names(tmp_path):
    fs, root = fsspec.filesystem("file"), str(tmp_path / "gpt2")
    w = torch.randn(101, 7).to(torch.bfloat16)
    write_checkpoint(fs, root, {"transformer.wte.weight": w, "h.0.attn.bias": torch.zeros(3)}, sharded=False)
    gpt2 = get_checkpoint("gpt2")
    info = locate_tensor(
        root, gpt2.tensor_names, fs=fs
    )  # stored name differs from the registry's first choice
    assert info.name == "transformer.wte.weight"
    arr = read_tensor(info, fs=fs, chunk_bytes=6)  # odd chunk size: 3 bf16 values per read
    np.testing.assert_array_equal(arr, w.float().numpy())
    with pytest.raises(KeyError, match="candidates"):
        locate_tensor(root, ["lm_head.weight"], fs=fs)


def test_loader_rejects_unsupported_dtypes(tmp_path):
    fs, root = fsspec.filesystem("file"), str(tmp_path / "int8")
    write_checkpoint(fs, root, {"lm_head.weight": torch.ones(4, 3, dtype=torch.int8)}, sharded=False)
    info = locate_tensor(root, "lm_head.weight", fs=fs)
    with pytest.raises(ValueError, match="supported"):
        read_tensor(info, fs=fs)
    write_checkpoint(fs, root + "f", {"lm_head.weight": torch.ones(4, 3)}, sharded=False)
    with pytest.raises(ValueError, match="chunk_bytes"):
        read_tensor(locate_tensor(root + "f", "lm_head.weight", fs=fs), fs=fs, chunk_bytes=0)


def test_loader_refuses_pickle_unless_allowed(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    w = torch.randn(9, 4)
    torch.save({"lm_head.weight": w}, root / "pytorch_model.bin")
    fs = fsspec.filesystem("file")
    with pytest.raises(PickleOnlyError, match="never unpickles"):
        load_tensor(str(root), "lm_head.weight", fs=fs)
    arr, info = load_tensor(str(root), "lm_head.weight", fs=fs, allow_pickle=True)
    assert info.source == "pickle"
    np.testing.assert_array_equal(arr, w.numpy())


def test_loader_rejects_a_corrupt_header(tmp_path):
    root = tmp_path / "bad"
    root.mkdir()
    (root / "model.safetensors").write_bytes((10**12).to_bytes(8, "little") + b"{}")
    with pytest.raises(ValueError, match="header length"):
        load_tensor(str(root), "lm_head.weight", fs=fsspec.filesystem("file"))
    with pytest.raises(FileNotFoundError):
        load_tensor(str(tmp_path / "nothing-here"), "x", fs=fsspec.filesystem("file"))


# ---------------------------------------------------------------- statistics
def test_orthonormal_rows_have_zero_overlap():
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((40, 40)))
    W = 3.0 * q  # norms do not matter
    assert abs(mean_squared_overlap(W, precision="float64").mean_sq) < 1e-14
    assert abs(mean_squared_overlap(W).mean_sq) < 1e-6  # float32 products
    b = overlap_stats_blocks(W, block_rows=7, precision="float64")
    assert b.mean_sq < 1e-28 and b.mean_abs < 1e-14 and b.max_abs < 1e-14


def test_random_rows_give_one_over_m():
    n, m = 1500, 48
    W = np.random.default_rng(2).standard_normal((n, m))
    ref = random_overlap_moments(m)
    g = mean_squared_overlap(W, precision="float64")
    b = overlap_stats_blocks(W, block_rows=512, precision="float64")
    # c_ij² and c_ik² are uncorrelated for random directions: se of the mean over pairs
    se = math.sqrt(ref["var_sq"] / (n * (n - 1) / 2))
    assert abs(g.mean_sq - 1 / m) < 4 * se
    assert abs(b.mean_sq - g.mean_sq) < 1e-12
    assert b.var_sq == pytest.approx(ref["var_sq"], rel=0.05)
    assert b.mean_abs == pytest.approx(ref["mean_abs"], rel=0.01)


def test_simplex_frame_gives_its_known_overlap():
    m = 30  # m + 1 vectors in R^m with equal pairwise overlap -1/m (the regular simplex)
    e = np.eye(m + 1) - 1.0 / (m + 1)
    basis = np.linalg.svd(e)[2][:m]  # orthonormal basis of the m-dim subspace they span
    W = e @ basis.T
    for st in (
        mean_squared_overlap(W, precision="float64"),
        overlap_stats_blocks(W, block_rows=8, precision="float64"),
    ):
        assert st.mean_sq == pytest.approx(1 / m**2, rel=1e-10)
    b = overlap_stats_blocks(W, block_rows=8, precision="float64")
    assert b.mean_abs == pytest.approx(1 / m, rel=1e-10) and abs(b.var_sq) < 1e-15


def test_gram_equals_blocks_and_pairs_estimate_within_error():
    rng = np.random.default_rng(3)
    W = (rng.standard_normal((1003, 24)) + 0.3 * rng.standard_normal(24)).astype(
        np.float32
    )  # correlated rows
    W[5] = 0.0  # a zero row has no direction: dropped and counted
    g64 = mean_squared_overlap(W, block_rows=100, precision="float64")
    g32 = mean_squared_overlap(W, block_rows=100)
    b = overlap_stats_blocks(W, block_rows=97, bins=20)
    assert g64.n == 1002 and g64.n_dropped == 1 and b.n_pairs == 1002 * 1001 // 2
    assert b.mean_sq == pytest.approx(g64.mean_sq, rel=1e-6)
    assert g32.mean_sq == pytest.approx(g64.mean_sq, rel=1e-6)
    assert b.hist_counts.sum() == pytest.approx(b.n_pairs)
    p = overlap_stats_pairs(W, n_pairs=200_000, seed=1)
    for key in ("mean_sq", "mean_abs", "var_sq"):
        assert abs(getattr(p, key) - getattr(b, key)) < 4 * getattr(p, key + "_se"), key
    without = np.delete(W, 5, axis=0)  # zero rows drop out exactly as if removed
    assert mean_squared_overlap(without, block_rows=100, precision="float64").mean_sq == pytest.approx(
        g64.mean_sq, rel=1e-12
    )
    assert overlap_stats_blocks(without, block_rows=97).mean_abs == pytest.approx(b.mean_abs, rel=1e-6)
    combo = overlap_stats(W, n_pairs=10_000)
    assert combo.method == "gram+pairs" and combo.mean_sq == pytest.approx(g64.mean_sq, rel=1e-6)


def test_row_norm_summary_and_bad_input():
    W = np.diag([1.0, 2.0, 3.0, 4.0])
    s = row_norm_summary(W, bins=4)
    assert (s.mean, s.min, s.max, s.n_zero) == (2.5, 1.0, 4.0, 0) and s.hist_counts.sum() == 4
    with pytest.raises(ValueError, match="2-D"):
        mean_squared_overlap(np.ones(5))
    with pytest.raises(ValueError, match="block_rows"):
        overlap_stats_blocks(W, block_rows=0)
    with pytest.raises(ValueError, match="method"):
        overlap_stats(W, method="magic")
    with pytest.raises(ValueError, match="precision"):
        mean_squared_overlap(W, precision="float16")
    with pytest.raises(ValueError, match="m \\(width\\)"):
        random_overlap_moments(1)


# ---------------------------------------------------------------- fits
def _loss_data(noise, seed=0):
    rng = np.random.default_rng(seed)
    widths = [512, 768, 1024, 1600, 2048, 4096, 5120, 8192]
    m, L, g = [], [], []
    for k, grp in enumerate(["a/x", "a/y", "b/x", "b/y"]):
        for w in widths:
            m.append(w)
            g.append(grp)
            L.append(400.0 * w**-0.85 + 1.5 + 0.2 * k + noise * rng.standard_normal())
    return np.array(m), np.array(L), g


def test_loss_fit_recovers_known_parameters():
    m, L, g = _loss_data(0.0)
    f = fit_loss_vs_width(m, L, g)
    assert f.alpha == pytest.approx(0.85, abs=1e-6) and f.A == pytest.approx(400.0, rel=1e-5)
    assert f.offsets["b/y"] == pytest.approx(2.1, abs=1e-6) and f.rss < 1e-12
    m, L, g = _loss_data(0.02, seed=4)
    f = fit_loss_vs_width(m, L, g)
    assert abs(f.alpha - 0.85) < 3 * f.alpha_se and 0 < f.alpha_se < 0.2
    with pytest.raises(ValueError, match="more points than parameters"):
        fit_loss_vs_width(m[:3], L[:3], g[:3])


def test_size_width_fit_and_width_exponent():
    m = np.array([512, 1024, 2048, 4096] * 2, dtype=float)
    fam = ["A"] * 4 + ["B"] * 4
    N = np.where(np.array(fam) == "A", 30.0, 90.0) * m**2.5
    f = fit_size_vs_width(m, N, fam)
    assert f.k == pytest.approx(2.5, abs=1e-10) and f.k_se < 1e-8
    assert f.predict(1000, "B") == pytest.approx(90.0 * 1000**2.5)
    we = width_exponent(2.52, 0.03, 0.35, 0.02)  # the paper's numbers: 0.88 ± 0.06
    assert we.value == pytest.approx(0.882) and we.se_linear == pytest.approx(0.061, abs=5e-4)
    assert we.se < we.se_linear
    with pytest.raises(ValueError, match="alpha_n"):
        width_exponent(2.5, 0.1, -1.0, 0.1)


def test_chinchilla_table_gives_k_near_2_52():
    t = load_chinchilla_table()
    assert len(t) == 50 and set(t.columns) >= {"params_million", "d_model", "n_layers"}
    f = fit_size_vs_width(t["d_model"], t["params_million"] * 1e6)
    assert f.k == pytest.approx(2.523, abs=0.002) and f.k_se == pytest.approx(0.026, abs=0.002)


def test_zipf_fit_recovers_exponent():
    ranks = np.arange(1, 20001)
    for a in (1.0, 1.3):
        counts = np.random.default_rng(0).permutation(1e9 * ranks**-a)
        assert fit_rank_frequency(counts).exponent == pytest.approx(a, abs=1e-9)


# ---------------------------------------------------------------- command line
def test_cli_offline_exits_nonzero_with_message(tmp_path):
    out = tmp_path / "m.csv"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    r = subprocess.run(
        [sys.executable, "-m", "superscale.llm", "measure", "gpt2", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == cli.EXIT_NO_NETWORK
    assert "no network" in r.stderr and not out.exists()


def test_cli_unreachable_hub_is_reported_as_no_network(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    from superscale.llm import measure as measure_mod

    class DeadFS:
        def ls(self, path, detail=False):
            raise ConnectionError("Name or service not known")

    monkeypatch.setattr(measure_mod, "hub_filesystem", lambda: DeadFS())
    rc = cli.main(["measure", "pythia-70m", "--out", str(tmp_path / "x.csv")])
    assert rc == cli.EXIT_NO_NETWORK and "no network" in capsys.readouterr().err
    assert is_network_error(RuntimeError("wrapped")) is False


def test_cli_measures_a_local_checkpoint_and_appends(tmp_path, capsys):
    fs, root = fsspec.filesystem("file"), str(tmp_path / "tiny")
    write_checkpoint(fs, root, _tensors(torch.bfloat16, n=300, m=16), sharded=True)
    out = tmp_path / "data" / "llm-overlaps.csv"
    for _ in range(2):
        assert cli.main(["measure", root, "--out", str(out), "--pairs", "5000"]) == 0
    import pandas as pd

    df = pd.read_csv(out)
    assert len(df) == 2 and df["tensor"].iloc[0] == "lm_head.weight" and df["n"].iloc[0] == 300
    assert df["mean_sq_overlap"].iloc[0] == pytest.approx(1 / 16, rel=0.2)
    assert {"date_utc", "superscale_version", "command"} <= set(df.columns)
    assert [p.name for p in out.parent.iterdir()] == ["llm-overlaps.csv"]  # no temporary file left
    assert cli.main(["list"]) == 0 and "opt-350m" in capsys.readouterr().out
    assert cli.main(["measure", str(tmp_path / "missing"), "--out", str(out)]) == 1


def test_append_rows_unions_columns(tmp_path):
    p = tmp_path / "x.csv"
    append_rows(str(p), [{"a": 1, "b": 2}])
    append_rows(str(p), [{"a": 3, "c": 4}])
    assert p.read_text().splitlines() == ["a,b,c", "1,2,", "3,,4"]


def test_cli_measures_registry_models_through_a_stand_in_hub(tmp_path, monkeypatch):
    """Registry names resolve to Hub paths ('owner/name'); here the 'Hub' is an in-memory file system."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    from superscale.llm import measure as measure_mod

    hub = fsspec.filesystem("memory")
    prefix = f"/hub-{uuid.uuid4().hex}"
    gpt2 = torch.randn(500, 24).to(torch.float32)
    write_checkpoint(
        hub,
        f"{prefix}/openai-community/gpt2",
        {"wte.weight": gpt2, "wpe.weight": torch.zeros(8, 24)},
        sharded=False,
    )
    opt = torch.randn(400, 16).to(torch.float16)  # OPT-350m: 512-wide head in reality, 16 here
    write_checkpoint(
        hub, f"{prefix}/facebook/opt-350m", {"model.decoder.embed_tokens.weight": opt}, sharded=True
    )

    class PrefixedHub:
        def ls(self, path, detail=False):
            return [p[len(prefix) + 1 :] for p in hub.ls(f"{prefix}/{path}", detail=False)]

        def cat_file(self, path, start=None, end=None):
            return hub.cat_file(f"{prefix}/{path}", start=start, end=end)

    monkeypatch.setattr(measure_mod, "hub_filesystem", lambda: PrefixedHub())
    monkeypatch.setattr(measure_mod, "_hub_revision", lambda repo, rev: "test-revision")
    out = tmp_path / "m.csv"
    assert cli.main(["measure", "gpt2", "opt-350m", "--out", str(out), "--pairs", "1000"]) == 0
    import pandas as pd

    df = pd.read_csv(out).set_index("model")
    assert df.loc["gpt2", "repo_id"] == "openai-community/gpt2" and df.loc["gpt2", "tensor"] == "wte.weight"
    assert df.loc["opt-350m", "fit_width"] == 1024 and df.loc["opt-350m", "stored_dtype"] == "F16"
    assert (
        df.loc["gpt2", "revision"] == "test-revision"
        and df.loc["gpt2", "source"] == "hf://openai-community/gpt2"
    )
