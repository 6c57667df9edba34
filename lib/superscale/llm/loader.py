"""Read one tensor from a Hugging Face checkpoint without downloading the rest (chapter 6).

A safetensors file is an 8-byte little-endian header length, a JSON header that gives every
tensor's dtype, shape and byte range, then the raw bytes. So the unembedding matrix of a 6 GB
shard costs one small read for the header and one ranged read for the tensor. Sharded
checkpoints are followed through ``model.safetensors.index.json``.

Everything goes through an fsspec file system: ``huggingface_hub.HfFileSystem`` by default (paths
are ``"<repo id>"`` or ``"<repo id>@<revision>"``), or any other one, e.g. ``fsspec.filesystem("file")``
or ``"memory"`` with a folder laid out like a Hub repository. Nothing is ever unpickled: a
checkpoint with only ``pytorch_model.bin`` files is refused unless ``allow_pickle=True``, and then
read with ``torch.load(weights_only=True)`` (which downloads the whole file).
"""

from __future__ import annotations

import json
import posixpath
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: safetensors dtype -> (numpy dtype of the stored bytes, bytes per element)
SAFETENSORS_DTYPES: dict[str, tuple[str, int]] = {
    "F64": ("<f8", 8),
    "F32": ("<f4", 4),
    "F16": ("<f2", 2),
    "BF16": ("<u2", 2),
}
SAFETENSORS_INDEX = "model.safetensors.index.json"
SAFETENSORS_SINGLE = "model.safetensors"
PICKLE_INDEX = "pytorch_model.bin.index.json"
PICKLE_SINGLE = "pytorch_model.bin"
#: Largest safetensors JSON header accepted (the format's own limit is 100 MB).
MAX_HEADER_BYTES = 100_000_000


class NoNetworkError(ConnectionError):
    """The Hugging Face Hub could not be reached (offline machine, DNS failure, ``HF_HUB_OFFLINE``)."""


class PickleOnlyError(RuntimeError):
    """The checkpoint has no safetensors file, only pickle files, and ``allow_pickle`` was not set."""


@dataclass(frozen=True)
class TensorInfo:
    """Where a tensor lives: file path on the file system, dtype, shape and absolute byte range."""

    name: str
    path: str
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int
    source: str = "safetensors"

    @property
    def nbytes(self) -> int:
        """Number of bytes of the tensor's data."""
        return self.end - self.start


_NETWORK_CLASS_NAMES = {
    "ConnectError",
    "ConnectTimeout",
    "ReadTimeout",
    "NetworkError",
    "TransportError",
    "TimeoutException",
    "ConnectionError",
    "Timeout",
    "OfflineModeIsEnabled",
    "LocalEntryNotFoundError",
    "NewConnectionError",
    "MaxRetryError",
    "ProxyError",
    "SSLError",
}


def is_network_error(exc: BaseException) -> bool:
    """True if ``exc`` (or an exception it was raised from) means "the network is unreachable" (chapter 6)."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, (NoNetworkError, socket.gaierror, ConnectionError, TimeoutError)):
            return True
        if any(k.__name__ in _NETWORK_CLASS_NAMES for k in type(e).__mro__):
            return True
        e = e.__cause__ or e.__context__
    return False


def hub_filesystem() -> Any:
    """``huggingface_hub.HfFileSystem()``, or a clear error if huggingface_hub is missing (chapter 6)."""
    try:
        from huggingface_hub import HfFileSystem
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "reading from the Hub needs huggingface_hub: pip install 'superscale[llm]'"
        ) from exc
    return HfFileSystem()


def read_safetensors_header(fs: Any, path: str) -> tuple[dict[str, Any], int]:
    """Parse a safetensors header; return (header dict, absolute offset where the data starts) (chapter 6).

    Reads only the first 8 + header-length bytes of the file.
    """
    head = fs.cat_file(path, start=0, end=8)
    if len(head) != 8:
        raise ValueError(f"{path}: too short to be a safetensors file ({len(head)} bytes)")
    (length,) = struct.unpack("<Q", head)
    if not 2 <= length <= MAX_HEADER_BYTES:
        raise ValueError(
            f"{path}: header length {length} is not in [2, {MAX_HEADER_BYTES}]; not a safetensors file?"
        )
    raw = fs.cat_file(path, start=8, end=8 + length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: the safetensors header is not valid JSON") from exc
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the safetensors header is not a JSON object")
    return header, 8 + length


def _tensor_info(header: dict, data_start: int, path: str, name: str) -> TensorInfo:
    entry = header[name]
    dtype = entry["dtype"]
    shape = tuple(int(s) for s in entry["shape"])
    begin, end = (int(x) for x in entry["data_offsets"])
    if dtype in SAFETENSORS_DTYPES:
        expected = int(np.prod(shape, dtype=np.int64)) * SAFETENSORS_DTYPES[dtype][1]
        if end - begin != expected:
            raise ValueError(
                f"{path}: tensor {name!r} has {end - begin} bytes, shape {shape} needs {expected}"
            )
    return TensorInfo(name, path, dtype, shape, data_start + begin, data_start + end)


def _list_names(fs, root: str) -> dict[str, str]:
    try:
        entries = fs.ls(root, detail=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"no checkpoint folder or repository at {root!r}") from None
    except Exception as exc:
        if is_network_error(exc):
            raise NoNetworkError(
                f"no network: cannot reach the Hugging Face Hub to list {root!r} ({type(exc).__name__}: {exc})"
            ) from exc
        raise
    return {posixpath.basename(str(p).rstrip("/")): str(p) for p in entries}


def locate_tensor(root: str, names: str | Sequence[str], fs: Any = None) -> TensorInfo:
    """Find the first of ``names`` in the checkpoint at ``root`` and return where its bytes are (chapter 6).

    ``root`` is a repository id (optionally ``@revision``) on the Hub, or a folder on ``fs``. Follows
    ``model.safetensors.index.json`` when present, else reads ``model.safetensors``, else the header
    of every ``*.safetensors`` file. Pickle-only checkpoints raise :class:`PickleOnlyError` (use
    :func:`load_tensor` with ``allow_pickle=True``).
    """
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ValueError("names must hold at least one tensor name")
    fs = fs or hub_filesystem()
    files = _list_names(fs, root)
    seen_names: list[str] = []
    if SAFETENSORS_INDEX in files:
        index = json.loads(fs.cat_file(files[SAFETENSORS_INDEX]).decode("utf-8"))
        weight_map = index.get("weight_map", {})
        seen_names = list(weight_map)
        for name in names:
            if name in weight_map:
                shard = weight_map[name]
                if shard not in files:
                    raise FileNotFoundError(f"{root}: the index maps {name!r} to {shard!r}, which is missing")
                header, start = read_safetensors_header(fs, files[shard])
                if name not in header:
                    raise ValueError(f"{files[shard]}: the index promises {name!r} but the shard lacks it")
                return _tensor_info(header, start, files[shard], name)
    else:
        shards = sorted(f for f in files if f.endswith(".safetensors"))
        if SAFETENSORS_SINGLE in shards:
            shards.remove(SAFETENSORS_SINGLE)
            shards.insert(0, SAFETENSORS_SINGLE)
        for shard in shards:
            header, start = read_safetensors_header(fs, files[shard])
            seen_names += [k for k in header if k != "__metadata__"]
            for name in names:
                if name in header:
                    return _tensor_info(header, start, files[shard], name)
        if not shards and (PICKLE_SINGLE in files or PICKLE_INDEX in files):
            raise PickleOnlyError(
                f"{root} has only pickle checkpoints ({PICKLE_SINGLE}); superscale never unpickles them "
                "implicitly. Pass allow_pickle=True to read them with torch.load(weights_only=True), which "
                "downloads the whole file."
            )
        if not shards:
            raise FileNotFoundError(f"{root}: no *.safetensors or {PICKLE_SINGLE} file found")
    hints = [k for k in seen_names if any(s in k for s in ("embed", "head", "wte", "unembed"))]
    raise KeyError(f"{root}: none of the tensors {names} found; candidates: {hints[:20] or seen_names[:20]}")


def read_tensor(info: TensorInfo, fs: Any = None, chunk_bytes: int = 64 * 2**20) -> np.ndarray:
    """Read a located tensor into a float32 numpy array, in chunks of about ``chunk_bytes`` (chapter 6).

    F16 and BF16 are widened to float32 (bfloat16 by shifting its 16 bits into the high half of a
    32-bit word); F64 is kept as float64. Peak memory is the result plus one chunk.
    """
    if info.dtype not in SAFETENSORS_DTYPES:
        raise ValueError(
            f"tensor {info.name!r} has dtype {info.dtype}; supported: {sorted(SAFETENSORS_DTYPES)}"
        )
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be >= 1, got {chunk_bytes}")
    fs = fs or hub_filesystem()
    np_dtype, itemsize = SAFETENSORS_DTYPES[info.dtype]
    out_dtype = np.float64 if info.dtype == "F64" else np.float32
    count = int(np.prod(info.shape, dtype=np.int64))
    out = np.empty(count, dtype=out_dtype)
    per_chunk = max(1, chunk_bytes // itemsize)
    pos = 0
    while pos < count:
        k = min(per_chunk, count - pos)
        a = info.start + pos * itemsize
        raw = fs.cat_file(info.path, start=a, end=a + k * itemsize)
        if len(raw) != k * itemsize:
            raise OSError(f"{info.path}: short read at byte {a} ({len(raw)} of {k * itemsize} bytes)")
        if info.dtype == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            out[pos : pos + k] = bits.view(np.float32)
        else:
            out[pos : pos + k] = np.frombuffer(raw, dtype=np_dtype)
        pos += k
    return out.reshape(info.shape)


def _load_pickle(fs, root: str, files: dict[str, str], names: list[str]) -> tuple[np.ndarray, TensorInfo]:
    import torch

    if PICKLE_INDEX in files:
        index = json.loads(fs.cat_file(files[PICKLE_INDEX]).decode("utf-8"))
        wm = index.get("weight_map", {})
        hit = next((n for n in names if n in wm), None)
        if hit is None:
            raise KeyError(f"{root}: none of the tensors {names} in {PICKLE_INDEX}")
        candidates = [files[wm[hit]]]
    else:
        candidates = [files[PICKLE_SINGLE]]
    with fs.open(candidates[0], "rb") as f:
        state = torch.load(f, map_location="cpu", weights_only=True)
    hit = next((n for n in names if n in state), None)
    if hit is None:
        raise KeyError(f"{candidates[0]}: none of the tensors {names}; has {list(state)[:20]}")
    t = state[hit]
    arr = t.to(torch.float64 if t.dtype == torch.float64 else torch.float32).numpy()
    info = TensorInfo(hit, candidates[0], str(t.dtype).replace("torch.", ""), tuple(t.shape), 0, 0, "pickle")
    return arr, info


def load_tensor(
    root: str, names: str | Sequence[str], fs: Any = None, allow_pickle: bool = False
) -> tuple[np.ndarray, TensorInfo]:
    """Read the first of ``names`` found in the checkpoint at ``root``; return (float32 array, info) (chapter 6).

    ``fs`` defaults to the Hugging Face Hub. With ``allow_pickle=True`` a checkpoint without
    safetensors files is read with ``torch.load(weights_only=True)``; never with full unpickling.
    """
    fs = fs or hub_filesystem()
    names = [names] if isinstance(names, str) else list(names)
    try:
        info = locate_tensor(root, names, fs=fs)
    except PickleOnlyError:
        if not allow_pickle:
            raise
        return _load_pickle(fs, root, _list_names(fs, root), names)
    return read_tensor(info, fs=fs), info


def checkpoint_root(repo_id: str, revision: str | None = None) -> str:
    """Hub path of a repository at a revision, as HfFileSystem expects it (``repo@rev``) (chapter 6)."""
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise ValueError(f"repo_id must look like 'owner/name', got {repo_id!r}")
    if revision:
        from urllib.parse import quote

        return f"{repo_id}@{quote(revision, safe='')}"
    return repo_id
