# pyramid.py FOLDER RAW LEVEL SX SY SZ SC ST TYPE: zarr-python opens
# FOLDER/image.ome.zarr/ of a pyramid image: every level advertised in
# .zattrs opens with the shape its scale implies, and level LEVEL equals RAW
# (desktop/rawprobe's output for that level). Used by checks/65-planes.sh.
import sys, os
import numpy as np, zarr
folder, raw, level, sx, sy, sz, sc, st, ptype = sys.argv[1:10]
level, sx, sy, sz, sc, st = map(int, (level, sx, sy, sz, sc, st))
dt = np.dtype({"uint8": "u1", "int8": "i1", "uint16": ">u2", "int16": ">i2", "uint32": ">u4", "int32": ">i4", "float": ">f4", "double": ">f8"}[ptype])
want = np.fromfile(raw, dtype=dt).reshape(st, sz, sc, sy, sx).transpose(0, 2, 1, 3, 4)
g = zarr.open_group(os.path.join(folder, "image.ome.zarr"), mode="r")
ms = g.attrs["multiscales"][0]
full = g[ms["datasets"][0]["path"]].shape
prev = full
for d in ms["datasets"]:
    a = g[d["path"]]
    scale = d["coordinateTransformations"][0]["scale"]
    s0 = ms["datasets"][0]["coordinateTransformations"][0]["scale"]
    assert a.shape[:3] == full[:3], (d["path"], a.shape, full)
    assert a.shape[3] <= prev[3] and a.shape[4] <= prev[4], (d["path"], a.shape, prev)
    for ax in (3, 4):  # the extent in micrometres is the same at every level, to a pixel
        assert abs(a.shape[ax] * scale[ax] - full[ax] * s0[ax]) <= scale[ax] + 1e-6, (d["path"], ax, a.shape, scale)
    a[-1, -1, -1, -1, -1]
    prev = a.shape
a = g[ms["datasets"][level]["path"]]
assert a.shape == want.shape, (a.shape, want.shape)
assert np.array_equal(a[:], want), "level %d differs" % level
print("zarr", len(ms["datasets"]), "levels;", "level", level, a.shape, "equal")
