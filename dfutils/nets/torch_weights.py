"""Read a PyTorch *legacy* ``.pth`` state dict with NumPy alone, without running code from it.

A ``.pth`` file is a pickle, and unpickling a file someone shared can run any
code it names. PyTorch's legacy (pre-1.6, not a zip) format is five pickles
followed by raw tensor data:

1. a magic number, 2. a protocol version, 3. system information (endianness,
type sizes), 4. the state dict, whose tensors are ``torch._utils._rebuild_tensor_v2``
calls on storages named by persistent id ``('storage', type, key, location,
size, view)``, 5. the list of storage keys in the order their data follows;
then, for each key, an int64 element count and the little-endian elements.

:class:`_StateDictUnpickler` accepts exactly the names such a file needs
(``collections.OrderedDict``, the tensor rebuild function, the storage types)
and refuses every other, so a crafted file cannot reach ``os.system`` or any
other callable. Tensors come back as NumPy arrays with their shape and strides
(converted checkpoints often store permuted views).
"""

from __future__ import annotations

import collections
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dfutils.errors import UserInputError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class UnsafeFileError(UserInputError):
    """A weights file names something other than plain tensors; nothing from it was run."""


@dataclass(frozen=True)
class _TensorRecord:
    """What ``_rebuild_tensor_v2`` was called with: a view into a storage, resolved later."""

    storage_type: str
    storage_key: str
    offset: int
    shape: tuple
    strides: tuple


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *rest):
    storage_type, key = storage
    return _TensorRecord(storage_type, key, int(storage_offset), tuple(size), tuple(stride))


class _StateDictUnpickler(pickle.Unpickler):
    """Builds only dicts, numbers, strings and tensor records; any other global is refused."""

    def __init__(self, handle, path: Path):
        super().__init__(handle)
        self.path = path

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return name
        raise UnsafeFileError(
            f"{self.path}: refused to load: the file names {module}.{name}, which a plain "
            "tensor state dict does not need (nothing from the file was run)"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and pid[1] in STORAGE_DTYPES):
            raise UnsafeFileError(f"{self.path}: refused to load: unexpected persistent id {pid!r:.80}")
        return pid[1], str(pid[2])


def read_legacy_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of a legacy PyTorch state dict file, by name, as NumPy arrays (copies)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            magic = _StateDictUnpickler(handle, path).load()
            protocol = _StateDictUnpickler(handle, path).load()
            if magic != LEGACY_MAGIC or protocol != LEGACY_PROTOCOL:
                raise UserInputError(
                    f"{path}: not a legacy PyTorch file (magic {magic!r:.40}, protocol {protocol!r:.20})"
                )
            info = _StateDictUnpickler(handle, path).load()
            if not isinstance(info, dict) or not info.get("little_endian", False):
                raise UserInputError(f"{path}: only little-endian files are supported")
            records = _StateDictUnpickler(handle, path).load()
            keys = _StateDictUnpickler(handle, path).load()
            storages = _read_storages(handle, path, [str(key) for key in keys], records)
            if handle.read(1):
                raise UserInputError(f"{path}: data left after the last storage; the file is not what it claims")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        if isinstance(error, UserInputError):
            raise
        raise UserInputError(f"{path}: not a readable legacy PyTorch file ({type(error).__name__}: {error})") from None
    if not isinstance(records, dict):
        raise UserInputError(f"{path}: holds a {type(records).__name__}, not a state dict")
    return {name: _materialise(record, storages, path, name) for name, record in records.items()}


def _read_storages(handle, path: Path, keys: list[str], records: dict) -> dict[str, np.ndarray]:
    types = {}
    for record in records.values() if isinstance(records, dict) else ():
        if isinstance(record, _TensorRecord):
            types[record.storage_key] = record.storage_type
    storages = {}
    for key in keys:
        if key not in types:
            raise UserInputError(f"{path}: storage {key} is listed but no tensor uses it")
        dtype = STORAGE_DTYPES[types[key]]
        count = np.frombuffer(handle.read(8), "<i8")
        if count.size != 1 or count[0] < 0:
            raise UserInputError(f"{path}: truncated before storage {key}")
        data = handle.read(int(count[0]) * dtype.itemsize)
        if len(data) != int(count[0]) * dtype.itemsize:
            raise UserInputError(f"{path}: storage {key} is truncated")
        storages[key] = np.frombuffer(data, dtype)
    return storages


def _materialise(record, storages: dict[str, np.ndarray], path: Path, name: str) -> np.ndarray:
    if not isinstance(record, _TensorRecord):
        raise UserInputError(f"{path}: entry {name!r} is not a tensor")
    storage = storages.get(record.storage_key)
    if storage is None:
        raise UserInputError(f"{path}: tensor {name!r} refers to missing storage {record.storage_key}")
    if not record.shape:
        return storage[record.offset:record.offset + 1].reshape(()).copy()
    last = record.offset + sum((n - 1) * s for n, s in zip(record.shape, record.strides, strict=True))
    if record.offset < 0 or last >= len(storage) or min(record.strides) < 0:
        raise UserInputError(f"{path}: tensor {name!r} reaches outside its storage")
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[record.offset:], record.shape,
                                           tuple(s * item for s in record.strides), writeable=False)
    return np.array(view)
