package fs

import (
	"context"
	"fmt"
	"io"

	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/wrappers"
	"github.com/omerofs/omerofs/wrappers/raw"
)

// Raw planes never change, so a plane file is kept whole on local disk in
// the data view's spool (data_spool.go) once fetched, and in the disk cache
// that mounts share, without expiry (data_diskspool.go: "plane-" keys are
// immutable): re-reads, other readers, other mounts and local renders of
// the plane cost the server nothing. One
// fetch fills it however many readers wait; each is answered as soon as
// its bytes have arrived. Planes above spooledPlaneMax (a pyramid's full
// resolution) are not spooled: they stream a band of rows at a time, so a
// read anywhere costs only the rows it covers.

// spooledPlaneMax is the largest plane file kept in the spool.
const spooledPlaneMax = 64 << 20

// planeSource is one plane file: its layout, and where its bytes come from.
type planeSource struct {
	root    *Root
	img     wrappers.ImageObject
	im      raw.Image
	z, c, t int
	file    *tiff.File
	prep    *tiff.Prepared
	pixOff  int64 // offset of the first pixel byte
	key     string
}

// newPlaneSource lays out plane (z, c, t) of img with the listing's
// dimensions and physical sizes.
func (r *Root) newPlaneSource(img wrappers.ImageObject, im raw.Image, z, c, t int) (*planeSource, error) {
	p := img.Pixels()
	px, py, pz := micrometres(p.PhysicalSizeX), micrometres(p.PhysicalSizeY), micrometres(p.PhysicalSizeZ)
	file := tiff.Plane(im.SizeX, im.SizeY, im.Type, px, py, pz)
	segs, err := file.Segments()
	if err != nil {
		return nil, err
	}
	prep, err := file.Prepare()
	if err != nil {
		return nil, err
	}
	s := &planeSource{root: r, img: img, im: im, z: z, c: c, t: t, file: file, prep: prep,
		key: fmt.Sprintf("plane-%d-z%d-c%d-t%d-%dx%d-%s-%g-%g-%g", im.ID, z, c, t, im.SizeX, im.SizeY, im.Type, px, py, pz)}
	for _, sg := range segs {
		if sg.Bytes == nil {
			s.pixOff = sg.Offset
		}
	}
	return s, nil
}

func (s *planeSource) spooled() bool { return s.prep.Size() <= spooledPlaneMax }

// open streams the plane file, written from the raw reader's rows.
func (s *planeSource) open(ctx context.Context) (io.ReadCloser, int64, error) {
	px, _, done, err := s.root.pixels(ctx, s.img)
	if err != nil {
		return nil, 0, err
	}
	pr, pw := io.Pipe()
	go func() {
		defer done()
		_, err := s.file.WriteTo(pw, px.Rows(ctx, s.z, s.c, s.t))
		pw.CloseWithError(err)
	}()
	return pr, s.prep.Size(), nil
}

// readAt fills dest from offset off of the plane file.
func (s *planeSource) readAt(ctx context.Context, dest []byte, off int64) (int, error) {
	size := s.prep.Size()
	if off >= size {
		return 0, nil
	}
	dest = dest[:min(int64(len(dest)), size-off)]
	if s.spooled() {
		return s.root.data.spool.readAt(ctx, s.key, size, s.open, dest, off)
	}
	px, _, done, err := s.root.pixels(ctx, s.img)
	if err != nil {
		return 0, err
	}
	defer done()
	n, err := s.prep.ReadAt(dest, off, px.Rows(ctx, s.z, s.c, s.t))
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// rows reads rows [y, y+n) of the plane: from the spooled file when the
// plane is spooled (fetching it whole once), else from the raw reader.
func (s *planeSource) rows(ctx context.Context, y, n int, buf []byte) error {
	if !s.spooled() {
		px, _, done, err := s.root.pixels(ctx, s.img)
		if err != nil {
			return err
		}
		defer done()
		return px.ReadRows(ctx, s.z, s.c, s.t, y, n, buf)
	}
	rowBytes := int64(s.im.SizeX * s.im.Type.Bytes())
	k, err := s.root.data.spool.readAt(ctx, s.key, s.prep.Size(), s.open, buf, s.pixOff+int64(y)*rowBytes)
	if err == nil && k != len(buf) {
		err = fmt.Errorf("plane z=%d c=%d t=%d of image %d: %d of %d bytes of rows %d+%d", s.z, s.c, s.t, s.im.ID, k, len(buf), y, n)
	}
	return err
}
