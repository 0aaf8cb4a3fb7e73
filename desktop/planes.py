# planes.py FOLDER RAW SX SY SZ SC ST TYPE: tifffile reads every file of
# FOLDER/planes/ and zarr-python FOLDER/image.ome.zarr/; both must equal
# RAW (desktop/rawprobe's output). Used by checks/65-planes.sh.
import sys, os, json
import numpy as np, tifffile, zarr
folder, raw, sx, sy, sz, sc, st, ptype = sys.argv[1:9]
sx, sy, sz, sc, st = map(int, (sx, sy, sz, sc, st))
dt = np.dtype({"uint8": "u1", "int8": "i1", "uint16": ">u2", "int16": ">i2", "uint32": ">u4", "int32": ">i4", "float": ">f4", "double": ">f8"}[ptype])
want = np.fromfile(raw, dtype=dt).reshape(st, sz, sc, sy, sx)
names = sorted(n for n in os.listdir(os.path.join(folder, "planes")) if n.endswith(".tif"))  # rois.json, RoiSet.zip beside
assert len(names) == st * sz * sc, ("plane count", len(names))
i = 0
for t in range(st):
    for z in range(sz):
        for c in range(sc):
            a = tifffile.imread(os.path.join(folder, "planes", names[i]))
            assert a.dtype == dt.newbyteorder("=") or a.dtype == dt, (names[i], a.dtype, dt)
            assert a.shape == (sy, sx), (names[i], a.shape)
            assert np.array_equal(a, want[t, z, c]), names[i]
            i += 1
print("tifffile", len(names), "planes", dt.name)
g = zarr.open_group(os.path.join(folder, "image.ome.zarr"), mode="r")
ms = g.attrs["multiscales"][0]
assert ms["version"] == "0.4" and [a["name"] for a in ms["axes"]] == ["t", "c", "z", "y", "x"], ms
a0 = g[ms["datasets"][0]["path"]]
assert a0.dtype == dt, (a0.dtype, dt)
assert np.array_equal(a0[:], want.transpose(0, 2, 1, 3, 4)), "level 0"
for d in ms["datasets"]:
    a = g[d["path"]]
    assert a.shape[:3] == (st, sc, sz), (d["path"], a.shape)
    sy_, sx_ = a.shape[3:]
    assert 0 < sx_ <= sx and 0 < sy_ <= sy
    a[-1, -1, -1, -1, -1]  # the last chunk reads
print("zarr", len(ms["datasets"]), "levels", a0.shape)
