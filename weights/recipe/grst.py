"""gimp-restore: read and write GRST model files (core/restore-file.h, version 1)."""
import hashlib
import re
import struct

import numpy as np

MAGIC = b"GRST"
VERSION = 1
ALIGNMENT = 64
T_U32, T_F32, T_STRING, T_U32_ARRAY = 1, 2, 3, 4
_NAME_RE = re.compile(r"^[a-z0-9_.]{1,255}$")


def u32(v):
    return (T_U32, int(v))


def f32(v):
    return (T_F32, float(v))


def string(v):
    return (T_STRING, str(v))


def u32_array(v):
    return (T_U32_ARRAY, [int(x) for x in v])


def _pad(n, a):
    return (n + a - 1) // a * a


def write(path, metadata, tensors, alignment=ALIGNMENT):
    """metadata: list of (key, (type, value)); tensors: list of (name, ndarray)."""
    keys = [k for k, _ in metadata]
    names = [n for n, _ in tensors]
    if len(set(keys)) != len(keys) or len(set(names)) != len(names):
        raise ValueError("duplicate key or tensor name")
    kv = bytearray()
    for key, (typ, val) in metadata:
        if not _NAME_RE.match(key):
            raise ValueError("bad key %r" % key)
        kb = key.encode("ascii")
        kv += struct.pack("<H", len(kb)) + kb + struct.pack("<B", typ)
        if typ == T_U32:
            kv += struct.pack("<I", val)
        elif typ == T_F32:
            kv += struct.pack("<f", val)
        elif typ == T_STRING:
            sb = val.encode("utf-8")
            if len(sb) > 65536 or b"\0" in sb:
                raise ValueError("bad string value for %r" % key)
            kv += struct.pack("<I", len(sb)) + sb
        elif typ == T_U32_ARRAY:
            if len(val) > 64:
                raise ValueError("array too long for %r" % key)
            kv += struct.pack("<I", len(val)) + struct.pack("<%dI" % len(val), *val)
        else:
            raise ValueError("bad type")
    arrays = []
    table = bytearray()
    offset = 0
    for name, arr in tensors:
        if not _NAME_RE.match(name):
            raise ValueError("bad tensor name %r" % name)
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
        if not 1 <= a.ndim <= 4 or any(not 1 <= d <= 65536 for d in a.shape):
            raise ValueError("bad shape for %r: %r" % (name, a.shape))
        nb = name.encode("ascii")
        table += struct.pack("<H", len(nb)) + nb + struct.pack("<I", a.ndim)
        table += struct.pack("<%dI" % a.ndim, *a.shape)
        table += struct.pack("<IQ", 0, offset)
        arrays.append((offset, a.tobytes()))
        offset = _pad(offset + a.nbytes, alignment)
    data_size = arrays[-1][0] + len(arrays[-1][1]) if arrays else 0
    data_offset = _pad(40 + len(kv) + len(table), alignment)
    out = bytearray()
    out += MAGIC + struct.pack("<IIIII", VERSION, alignment, len(metadata), len(tensors), 0)
    out += struct.pack("<QQ", data_offset, data_size)
    out += kv + table
    out += b"\0" * (data_offset - len(out))
    data = bytearray(data_size)
    for off, b in arrays:
        data[off:off + len(b)] = b
    out += data
    out += hashlib.sha256(out).digest()
    with open(path, "wb") as f:
        f.write(out)
    return len(out)


def read(path):
    """Parses and fully validates a file; returns (metadata dict, {name: ndarray}) in file order."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 72 or b[:4] != MAGIC:
        raise ValueError("not a GRST file")
    if hashlib.sha256(b[:-32]).digest() != b[-32:]:
        raise ValueError("checksum mismatch")
    version, align, n_kv, n_t, reserved = struct.unpack_from("<IIIII", b, 4)
    data_offset, data_size = struct.unpack_from("<QQ", b, 24)
    if version != VERSION or reserved != 0 or align & (align - 1) or not 8 <= align <= 4096:
        raise ValueError("bad header")
    if data_offset % align or data_offset + data_size + 32 != len(b):
        raise ValueError("bad sizes")
    p = 40
    meta = {}
    for _ in range(n_kv):
        (kl,) = struct.unpack_from("<H", b, p); p += 2
        key = b[p:p + kl].decode("ascii"); p += kl
        typ = b[p]; p += 1
        if typ == T_U32:
            (v,) = struct.unpack_from("<I", b, p); p += 4
        elif typ == T_F32:
            (v,) = struct.unpack_from("<f", b, p); p += 4
        elif typ == T_STRING:
            (n,) = struct.unpack_from("<I", b, p); p += 4
            v = b[p:p + n].decode("utf-8"); p += n
        elif typ == T_U32_ARRAY:
            (n,) = struct.unpack_from("<I", b, p); p += 4
            v = list(struct.unpack_from("<%dI" % n, b, p)); p += 4 * n
        else:
            raise ValueError("bad kv type")
        if key in meta or not _NAME_RE.match(key):
            raise ValueError("bad or duplicate key %r" % key)
        meta[key] = v
    tensors = {}
    spans = []
    for _ in range(n_t):
        (nl,) = struct.unpack_from("<H", b, p); p += 2
        name = b[p:p + nl].decode("ascii"); p += nl
        (nd,) = struct.unpack_from("<I", b, p); p += 4
        dims = struct.unpack_from("<%dI" % nd, b, p); p += 4 * nd
        dtype, off = struct.unpack_from("<IQ", b, p); p += 12
        n = int(np.prod(dims))
        if dtype != 0 or off % align or off + 4 * n > data_size or name in tensors:
            raise ValueError("bad tensor entry %r" % name)
        spans.append((off, off + 4 * n))
        start = data_offset + off
        tensors[name] = np.frombuffer(b, dtype="<f4", count=n, offset=start).reshape(dims).copy()
    if p > data_offset:
        raise ValueError("table overlaps data")
    spans.sort()
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        if b0 < a1:
            raise ValueError("overlapping tensors")
    return meta, tensors
