"""half-safetensors.py IN OUT: rewrite a safetensors file's F32 tensors as F16.

The shipped default model is stored in half precision to stay a few MB; the
native encoder widens F16 to float32 exactly on load (transformer), so
what mimo-eval measures on the written file is what users get. Values
outside F16's range are an error, not a silent infinity. The output is
written to a temporary file and renamed.
"""
import json
import os
import struct
import sys

import numpy as np

src, dst = sys.argv[1:3]
with open(src, "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
    body = f.read()
meta = header.pop("__metadata__", None)
out_header, chunks, off = {}, [], 0
for name in sorted(header):
    e = header[name]
    a, b = e["data_offsets"]
    raw = body[a:b]
    if e["dtype"] == "F32":
        x = np.frombuffer(raw, dtype="<f4")
        if x.size and np.abs(x).max() > 65504:
            sys.exit(f"half-safetensors: {src}: tensor {name} exceeds the F16 range (max |x| {np.abs(x).max()})")
        raw = x.astype("<f2").tobytes()
        e = dict(e, dtype="F16")
    out_header[name] = dict(e, data_offsets=[off, off + len(raw)])
    chunks.append(raw)
    off += len(raw)
if meta is not None:
    out_header["__metadata__"] = meta
hdr = json.dumps(out_header, separators=(",", ":"), sort_keys=True).encode()
hdr += b" " * ((8 - len(hdr) % 8) % 8)
tmp = dst + ".tmp"
with open(tmp, "wb") as f:
    f.write(struct.pack("<Q", len(hdr)))
    f.write(hdr)
    for c in chunks:
        f.write(c)
os.replace(tmp, dst)
