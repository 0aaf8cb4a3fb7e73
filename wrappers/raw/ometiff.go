package raw

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render/tiff"
)

// omeSpool is a downloaded OME-TIFF export: render_ome_tiff has no Range
// support and builds the whole file per request, so it is fetched once,
// kept in a temporary file, and read from there.
type omeSpool struct {
	f     *os.File
	r     *tiff.Reader
	pages map[[3]int]int // (z, c, t) → IFD
}

func downloadOMETiff(ctx context.Context, conn *gateway.Conn, im Image, dir string) (*omeSpool, error) {
	f, err := os.CreateTemp(dir, fmt.Sprintf("omerofs-image%d-*.ome.tiff", im.ID))
	if err != nil {
		return nil, fmt.Errorf("spool for the OME-TIFF of image %d: %w", im.ID, err)
	}
	os.Remove(f.Name()) // unlinked: gone with the reader, or a crash
	n, err := conn.OMETiff(ctx, im.ID, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &omeSpool{f: f}
	if s.r, err = tiff.NewReader(f, n); err != nil {
		f.Close()
		return nil, fmt.Errorf("OME-TIFF of image %d: %w", im.ID, err)
	}
	if s.pages, err = omePages(s.r, im); err != nil {
		f.Close()
		return nil, fmt.Errorf("OME-TIFF of image %d: %w", im.ID, err)
	}
	return s, nil
}

func (s *omeSpool) close() error { return s.f.Close() }

func (s *omeSpool) readRows(z, c, t, y, n int, buf []byte) error {
	page, ok := s.pages[[3]int{z, c, t}]
	if !ok {
		return fmt.Errorf("OME-TIFF has no plane z=%d c=%d t=%d", z, c, t)
	}
	return s.r.ReadRows(page, y, n, buf)
}

// omeXML is the part of OME-XML that says which IFD holds which plane.
type omeXML struct {
	Images []struct {
		Pixels struct {
			DimensionOrder string `xml:"DimensionOrder,attr"`
			SizeX          int    `xml:"SizeX,attr"`
			SizeY          int    `xml:"SizeY,attr"`
			SizeZ          int    `xml:"SizeZ,attr"`
			SizeC          int    `xml:"SizeC,attr"`
			SizeT          int    `xml:"SizeT,attr"`
			Type           string `xml:"Type,attr"`
			TiffData       []struct {
				IFD        *int `xml:"IFD,attr"`
				FirstZ     int  `xml:"FirstZ,attr"`
				FirstC     int  `xml:"FirstC,attr"`
				FirstT     int  `xml:"FirstT,attr"`
				PlaneCount *int `xml:"PlaneCount,attr"`
			} `xml:"TiffData"`
		} `xml:"Pixels"`
	} `xml:"Image"`
}

// omePages maps each plane to its page: from the TiffData elements (the
// OME-TIFF specification's IFD, FirstZ/C/T, PlaneCount), else pages in the
// DimensionOrder. The pages must have the image's size and type.
func omePages(r *tiff.Reader, im Image) (map[[3]int]int, error) {
	var doc omeXML
	if err := xml.Unmarshal([]byte(r.Pages[0].Description), &doc); err != nil || len(doc.Images) != 1 {
		return nil, fmt.Errorf("first page's description is not the OME-XML of one image (%v)", err)
	}
	px := doc.Images[0].Pixels
	if px.SizeX != im.SizeX || px.SizeY != im.SizeY || px.SizeZ != im.SizeZ || px.SizeC != im.SizeC || px.SizeT != im.SizeT || px.Type != im.Type.String() {
		return nil, fmt.Errorf("OME-XML says %d×%d×%d×%d×%d %s, the image is %d×%d×%d×%d×%d %s",
			px.SizeX, px.SizeY, px.SizeZ, px.SizeC, px.SizeT, px.Type, im.SizeX, im.SizeY, im.SizeZ, im.SizeC, im.SizeT, im.Type)
	}
	order := strings.TrimPrefix(px.DimensionOrder, "XY")
	if len(order) != 3 || !strings.Contains(order, "Z") || !strings.Contains(order, "C") || !strings.Contains(order, "T") {
		return nil, fmt.Errorf("dimension order %q", px.DimensionOrder)
	}
	sizes := map[byte]int{'Z': im.SizeZ, 'C': im.SizeC, 'T': im.SizeT}
	// plane i in the dimension order → (z, c, t)
	coords := func(i int) [3]int {
		var zct [3]int
		for k := 0; k < 3; k++ {
			d := order[k]
			v := i % sizes[d]
			i /= sizes[d]
			zct[strings.IndexByte("ZCT", d)] = v
		}
		return zct
	}
	index := func(zct [3]int) int {
		i, mul := 0, 1
		for k := 0; k < 3; k++ {
			d := order[k]
			i += zct[strings.IndexByte("ZCT", d)] * mul
			mul *= sizes[d]
		}
		return i
	}
	planes := im.SizeZ * im.SizeC * im.SizeT
	pages := make(map[[3]int]int, planes)
	if len(px.TiffData) == 0 {
		for i := 0; i < planes; i++ {
			pages[coords(i)] = i
		}
	}
	for _, td := range px.TiffData {
		ifd := 0
		if td.IFD != nil {
			ifd = *td.IFD
		}
		count := 1
		if td.PlaneCount != nil {
			count = *td.PlaneCount
		} else if len(px.TiffData) == 1 {
			count = planes
		}
		first := index([3]int{td.FirstZ, td.FirstC, td.FirstT})
		for k := 0; k < count && first+k < planes; k++ {
			pages[coords(first+k)] = ifd + k
		}
	}
	if len(pages) != planes {
		return nil, fmt.Errorf("TiffData maps %d of %d planes", len(pages), planes)
	}
	for zct, p := range pages {
		if p < 0 || p >= len(r.Pages) {
			return nil, fmt.Errorf("plane %v in IFD %d of %d", zct, p, len(r.Pages))
		}
		pg := r.Pages[p]
		if pg.Width != im.SizeX || pg.Height != im.SizeY || pg.Type != im.Type {
			return nil, fmt.Errorf("IFD %d is %d×%d %s", p, pg.Width, pg.Height, pg.Type)
		}
	}
	return pages, nil
}
