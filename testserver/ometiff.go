package testserver

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/omerofs/omerofs/render/tiff"
)

// render_ome_tiff (ome/omero-web webgateway/views.py render_ome_tiff;
// omero-py _ImageWrapper.exportOmeTiff, which asks the server's Exporter
// for the whole file): the image as one OME-TIFF, a page per plane in the
// image's DimensionOrder (XYZCT here), OME-XML in the first page's
// ImageDescription, big-endian as OMERO's pixels are. Images that need a
// pyramid are skipped, so asking for one is a 404; ?dryrun= answers the
// number of images it would export (application/javascript, JSONP with
// ?callback=). Only the image context (i) is served here; containers
// (d, p, w), which upstream zips, are a 404. Options.NoOMETiff removes the
// route.

var omeTiffRoute = regexp.MustCompile(`^/webgateway/render_ome_tiff/([^/]+)/([0-9]+)/$`)

func (s *Server) routeOMETiff(r *http.Request) (string, http.HandlerFunc) {
	m := omeTiffRoute.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return "not_found", djangoNotFound
	}
	return "render_ome_tiff", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.gatewayUser(w, r); !ok {
			return
		}
		if m[1] != "i" {
			djangoNotFound(w, r)
			return
		}
		im, ok := s.visibleImage(w, r, m[2])
		if !ok {
			djangoNotFound(w, r)
			return
		}
		n := 1
		if requiresPyramid(im) {
			n = 0
		}
		if r.URL.Query().Get("dryrun") != "" {
			body := strconv.Itoa(n)
			if cb := r.URL.Query().Get("callback"); cb != "" {
				body = cb + "(" + body + ")"
			}
			w.Header().Set("Content-Type", "application/javascript")
			w.Write([]byte(body))
			return
		}
		if n == 0 {
			djangoNotFound(w, r)
			return
		}
		f, err := OMETiff(*im)
		if err != nil {
			djangoServerError(w)
			return
		}
		size, err := f.Size()
		if err != nil {
			djangoServerError(w)
			return
		}
		name := deref(im.Name)
		idText := strconv.FormatInt(im.ID, 10)
		if max := 255 - len(idText) - 10; utf8.RuneCountInString(name) > max {
			name = string([]rune(name)[:max])
		}
		w.Header().Set("Content-Type", "image/tiff")
		w.Header().Set("Content-Disposition", djangoHeader(fmt.Sprintf("attachment; filename=\"%s.ome.tiff\"", idText+"-"+name)))
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		f.WriteTo(w, omeTiffRows(*im))
	}
}

// omePlane is the (z, c, t) of page i in XYZCT order.
func omePlane(im *Image, i int) (z, c, t int) {
	return i % im.SizeZ, i / im.SizeZ % im.SizeC, i / (im.SizeZ * im.SizeC)
}

func omeTiffRows(im Image) tiff.RowSource {
	return func(p, y, n int, buf []byte) error {
		z, c, t := omePlane(&im, p)
		data, err := RawRegion(im, 0, z, c, t, 0, y, im.SizeX, n)
		if err != nil {
			return err
		}
		copy(buf, data)
		return nil
	}
}

// OMETiff lays out the OME-TIFF render_ome_tiff gives for an image.
func OMETiff(im Image) (*tiff.File, error) {
	pt, err := tiff.ParsePixelType(im.PixelsType)
	if err != nil {
		return nil, err
	}
	planes := im.SizeZ * im.SizeC * im.SizeT
	f := &tiff.File{}
	for i := 0; i < planes; i++ {
		p := tiff.Page{Width: im.SizeX, Height: im.SizeY, Type: pt, PhysicalSizeX: im.PhysicalSize, PhysicalSizeY: im.PhysicalSize}
		if i == 0 {
			p.Description = omeXML(&im)
		}
		f.Pages = append(f.Pages, p)
	}
	return f, nil
}

// xmlASCII escapes text for an XML attribute, non-ASCII characters as
// character references (a TIFF description is ASCII).
func xmlASCII(s string) string {
	var b strings.Builder
	for _, r := range html.EscapeString(s) {
		if r < 0x80 && r >= 0x20 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "&#%d;", r)
		}
	}
	return b.String()
}

// omeXML is the OME-XML (2016-06 schema) of an image exported alone.
func omeXML(im *Image) string {
	var b strings.Builder
	uuid := "urn:uuid:" + newUUID()
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Creator="OMERO.server" UUID="` + uuid + `" ` +
		`xsi:schemaLocation="http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd">`)
	fmt.Fprintf(&b, `<Image ID="Image:%d" Name="%s"><Pixels BigEndian="true" DimensionOrder="XYZCT" ID="Pixels:%d"`, im.ID, xmlASCII(deref(im.Name)), im.PixelsID)
	if im.PhysicalSize > 0 {
		fmt.Fprintf(&b, ` PhysicalSizeX="%g" PhysicalSizeXUnit="&#181;m" PhysicalSizeY="%g" PhysicalSizeYUnit="&#181;m"`, im.PhysicalSize, im.PhysicalSize)
	}
	if im.PhysicalSizeZ > 0 {
		fmt.Fprintf(&b, ` PhysicalSizeZ="%g" PhysicalSizeZUnit="&#181;m"`, im.PhysicalSizeZ)
	}
	fmt.Fprintf(&b, ` SizeC="%d" SizeT="%d" SizeX="%d" SizeY="%d" SizeZ="%d" Type="%s">`, im.SizeC, im.SizeT, im.SizeX, im.SizeY, im.SizeZ, im.PixelsType)
	for c := 0; c < im.SizeC; c++ {
		fmt.Fprintf(&b, `<Channel ID="Channel:%d:%d" SamplesPerPixel="1"`, im.ID, c)
		if c < len(im.Channels) {
			ch := im.Channels[c]
			col := int32(uint32(ch.Color.R)<<24 | uint32(ch.Color.G)<<16 | uint32(ch.Color.B)<<8 | 0xff)
			fmt.Fprintf(&b, ` Color="%d"`, col)
			if ch.Emission > 0 {
				fmt.Fprintf(&b, ` EmissionWavelength="%g" EmissionWavelengthUnit="nm"`, ch.Emission)
			}
			if ch.Name != nil {
				fmt.Fprintf(&b, ` Name="%s"`, xmlASCII(*ch.Name))
			}
		}
		b.WriteString(`><LightPath/></Channel>`)
	}
	for i := 0; i < im.SizeZ*im.SizeC*im.SizeT; i++ {
		z, c, t := omePlane(im, i)
		fmt.Fprintf(&b, `<TiffData FirstC="%d" FirstT="%d" FirstZ="%d" IFD="%d" PlaneCount="1"><UUID FileName="%d.ome.tiff">%s</UUID></TiffData>`, c, t, z, i, im.ID, uuid)
	}
	b.WriteString(`</Pixels></Image></OME>`)
	return b.String()
}
