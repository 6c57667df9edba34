"""Read one tensor, and the tokenizer, from a GGUF file without loading the rest (chapter 6).

A GGUF file (llama.cpp's format) is a small header: the magic ``GGUF``, a version, a list of typed
key-value pairs (architecture, tokenizer vocabulary and merges, ...) and one record per tensor (name,
shape, storage type, byte offset); then the tensors' bytes, aligned. :func:`read_gguf_header` parses the
header with ``struct`` from any binary file object; :func:`read_gguf_tensor` then reads only the byte
range of the one tensor asked for and dequantizes it to float32 with the ``gguf`` package's
``gguf.quants.dequantize`` (llama.cpp's own reference code, in numpy). Nothing is ever unpickled.

Shapes: GGUF lists dimensions innermost first, so ``token_embd.weight`` stored as ``[m, n]`` is read as
a numpy array of shape ``(n, m)``: one row per token.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
#: GGUF value types -> struct format (scalars); 8 = string, 9 = array.
_SCALAR = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_NUMPY = {
    0: "<u1",
    1: "<i1",
    2: "<u2",
    3: "<i2",
    4: "<u4",
    5: "<i4",
    6: "<f4",
    7: "<u1",
    10: "<u8",
    11: "<i8",
    12: "<f8",
}
#: Largest count accepted for one array or string (a corrupt header must not ask for terabytes).
MAX_COUNT = 50_000_000


@dataclass(frozen=True)
class GGUFTensorInfo:
    """One tensor of a GGUF file: name, numpy shape (rows first), storage type and absolute byte range."""

    name: str
    shape: tuple[int, ...]
    qtype: int
    qtype_name: str
    start: int
    nbytes: int

    @property
    def end(self) -> int:
        """Absolute offset one past the tensor's last byte."""
        return self.start + self.nbytes


@dataclass(frozen=True)
class GGUFHeader:
    """The parsed header of a GGUF file: version, key-value metadata, tensors by name, data offset."""

    path: str
    version: int
    metadata: dict[str, Any] = field(repr=False)
    tensors: dict[str, GGUFTensorInfo] = field(repr=False)
    data_start: int
    file_size: int


class _Reader:
    def __init__(self, f: BinaryIO, path: str):
        self.f, self.path = f, path

    def read(self, k: int) -> bytes:
        b = self.f.read(k)
        if len(b) != k:
            raise ValueError(
                f"{self.path}: truncated GGUF header (wanted {k} bytes at offset {self.f.tell()})"
            )
        return b

    def scalar(self, fmt: str):
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def count(self) -> int:
        k = self.scalar("<Q")
        if k > MAX_COUNT:
            raise ValueError(f"{self.path}: implausible length {k} in the GGUF header; a damaged file?")
        return k

    def string(self) -> str:
        return self.read(self.count()).decode("utf-8", errors="replace")

    def value(self, vtype: int):
        if vtype in _SCALAR:
            return self.scalar(_SCALAR[vtype])
        if vtype == 8:
            return self.string()
        if vtype == 9:
            etype, k = self.scalar("<I"), self.count()
            if etype in _NUMPY:
                dt = np.dtype(_NUMPY[etype])
                return np.frombuffer(self.read(k * dt.itemsize), dtype=dt).copy()
            return [self.value(etype) for _ in range(k)]
        raise ValueError(f"{self.path}: unknown GGUF value type {vtype}")


def _qtype_name(qtype: int) -> str:
    from gguf import GGMLQuantizationType

    try:
        return GGMLQuantizationType(qtype).name
    except ValueError:
        return f"unknown type {qtype}"


def _block(qtype: int, name: str, path: str) -> tuple[int, int]:
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        return GGML_QUANT_SIZES[GGMLQuantizationType(qtype)]
    except (ValueError, KeyError):
        raise ValueError(
            f"{path}: tensor {name!r} is stored in GGML type {qtype}, which the gguf package does not know"
        ) from None


def read_gguf_header(source: str | os.PathLike | BinaryIO, path: str | None = None) -> GGUFHeader:
    """Parse a GGUF header from a file path or a binary file object (chapter 6).

    Reads the metadata and tensor records only, never tensor data. Raises ``ValueError`` for a file
    that is not GGUF, a truncated header, or a tensor whose bytes would lie beyond the end of the file.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return read_gguf_header(f, str(source))
    f = source
    path = path or str(getattr(f, "name", "<stream>"))
    r = _Reader(f, path)
    if r.read(4) != GGUF_MAGIC:
        raise ValueError(f"{path}: not a GGUF file (the first four bytes are not 'GGUF')")
    version = r.scalar("<I")
    if version not in (2, 3):
        raise ValueError(f"{path}: GGUF version {version} is not supported (2 or 3 are)")
    n_tensors, n_kv = r.count(), r.count()
    meta: dict[str, Any] = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.scalar("<I"))
    raw = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.scalar("<Q") for _ in range(r.scalar("<I"))]
        raw.append((name, tuple(int(d) for d in reversed(dims)), r.scalar("<I"), r.scalar("<Q")))
    align = int(meta.get("general.alignment", DEFAULT_ALIGNMENT))
    pos = f.tell()
    data_start = pos + (-pos) % align
    f.seek(0, os.SEEK_END)
    size = f.tell()
    tensors = {}
    for name, shape, qtype, offset in raw:
        block, type_size = _block(qtype, name, path)
        count = int(np.prod(shape, dtype=np.int64))
        nbytes = count // block * type_size
        tensors[name] = GGUFTensorInfo(name, shape, qtype, _qtype_name(qtype), data_start + offset, nbytes)
    return GGUFHeader(path, version, meta, tensors, data_start, size)


def read_gguf_tensor(
    path: str | os.PathLike, name: str, header: GGUFHeader | None = None, chunk_rows: int = 16384
) -> tuple[np.ndarray, GGUFTensorInfo]:
    """Read tensor ``name`` from a GGUF file as float32, rows first; return (array, info) (chapter 6).

    Only the tensor's own byte range is read, ``chunk_rows`` rows at a time, each chunk dequantized
    by ``gguf.quants.dequantize``. Errors: ``KeyError`` naming the tensors present if ``name`` is not
    there; ``ValueError`` for a storage type the gguf package cannot dequantize, or a file that ends
    before the tensor does (a truncated download).
    """
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    header = header or read_gguf_header(path)
    if name not in header.tensors:
        hints = [k for k in header.tensors if "embd" in k or "output" in k or "embed" in k]
        raise KeyError(f"{path}: no tensor {name!r}; candidates: {hints[:10] or list(header.tensors)[:10]}")
    info = header.tensors[name]
    if info.end > header.file_size:
        raise ValueError(
            f"{path}: truncated file: tensor {name!r} ends at byte {info.end}, the file has {header.file_size}"
        )
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    qtype = GGMLQuantizationType(info.qtype)
    rows = info.shape[0] if len(info.shape) > 1 else 1
    row_bytes = info.nbytes // rows
    out = np.empty((rows, int(np.prod(info.shape, dtype=np.int64)) // rows), dtype=np.float32)
    with open(path, "rb") as f:
        for a in range(0, rows, chunk_rows):
            k = min(chunk_rows, rows - a)
            f.seek(info.start + a * row_bytes)
            raw = f.read(k * row_bytes)
            if len(raw) != k * row_bytes:
                raise ValueError(f"{path}: truncated file: short read inside tensor {name!r}")
            blocks = np.frombuffer(raw, dtype=np.uint8).reshape(k, row_bytes)
            try:
                out[a : a + k] = dequantize(blocks, qtype).reshape(k, -1)
            except NotImplementedError:
                raise ValueError(
                    f"{path}: tensor {name!r} is stored as {info.qtype_name}, which gguf.quants cannot "
                    "dequantize"
                ) from None
    return out.reshape(info.shape), info
