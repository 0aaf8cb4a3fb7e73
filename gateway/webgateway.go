package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ImgData is webgateway's imgData: an image's dimensions, pyramid and
// rendering settings.
type ImgData struct {
	ID   int64 `json:"id"`
	Meta struct {
		ImageName  string `json:"imageName"`
		PixelsType string `json:"pixelsType"`
		// The parents, for metadata.json: ids are null (and names
		// "Multiple") unless there is exactly one; wellId is "" when none.
		DatasetID   json.RawMessage `json:"datasetId"`
		DatasetName string          `json:"datasetName"`
		ProjectID   json.RawMessage `json:"projectId"`
		ProjectName string          `json:"projectName"`
		WellID      json.RawMessage `json:"wellId"`
	} `json:"meta"`
	Tiles    bool `json:"tiles"`
	TileSize *struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"tile_size"`
	Levels      int `json:"levels"`
	Resolutions map[string]struct {
		SizeX int `json:"sizeX"`
		SizeY int `json:"sizeY"`
	} `json:"resolutions"`
	ZoomLevelScaling map[string]float64 `json:"zoomLevelScaling"`
	Size             struct {
		Width  int `json:"width"`
		Height int `json:"height"`
		Z      int `json:"z"`
		T      int `json:"t"`
		C      int `json:"c"`
	} `json:"size"`
	PixelRange []float64         `json:"pixel_range"`
	Channels   []ImgDataChannel  `json:"channels"`
	Rdefs      ImgDataRenderDefs `json:"rdefs"`
}

// ImgDataChannel is one channel's rendering settings.
type ImgDataChannel struct {
	Label            string   `json:"label"`
	Color            string   `json:"color"`
	Active           bool     `json:"active"`
	Inverted         *bool    `json:"inverted"`
	ReverseIntensity *bool    `json:"reverseIntensity"`
	Family           string   `json:"family"`
	Coefficient      float64  `json:"coefficient"`
	LUT              string   `json:"lut"`
	EmissionWave     *float64 `json:"emissionWave"`
	Window           struct {
		Min   float64 `json:"min"`
		Max   float64 `json:"max"`
		Start float64 `json:"start"`
		End   float64 `json:"end"`
	} `json:"window"`
}

// ImgDataRenderDefs is imgData's rdefs.
type ImgDataRenderDefs struct {
	Model      string `json:"model"`
	Projection string `json:"projection"`
	DefaultZ   int    `json:"defaultZ"`
	DefaultT   int    `json:"defaultT"`
	InvertAxis bool   `json:"invertAxis"`
}

// ImgData gets the image's imgData. While the server is still generating
// the image's pyramid it answers a ConcurrencyException with a backOff:
// ImgData asks again after it, within the request timeout, and then fails
// with ErrPyramidPending.
func (c *Conn) ImgData(ctx context.Context, imageID int64) (*ImgData, error) {
	path := "webgateway/imgData/" + id(imageID) + "/"
	start := time.Now()
	var body []byte
	for {
		var err error
		body, err = c.getJSON(ctx, path, nil)
		if err != nil {
			var he *HTTPError
			if errors.As(err, &he) && he.Status == http.StatusInternalServerError && he.Message == `""` {
				// OMERO.web before 5.8 answers a missing image this way.
				err = fmt.Errorf("%w (%w)", ErrNotFound, err)
			}
			return nil, fmt.Errorf("imgData of image %d: %w", imageID, err)
		}
		backOff, pending := pendingBackOff(body)
		if !pending {
			break
		}
		if !c.waitPending(ctx, start, backOff) {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("imgData of image %d: %w", imageID, ctx.Err())
			}
			return nil, fmt.Errorf("image %d: %w", imageID, ErrPyramidPending)
		}
	}
	var d ImgData
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, badResponse(path, "imgData", err)
	}
	if d.ID != imageID || d.Size.Width <= 0 || d.Size.Height <= 0 || len(d.Channels) == 0 {
		return nil, badResponse(path, fmt.Sprintf("imgData for image %d has id %d, size %d×%d, %d channels", imageID, d.ID, d.Size.Width, d.Size.Height, len(d.Channels)), nil)
	}
	return &d, nil
}

// maxImageBytes bounds a rendered JPEG (a 4096² plane at q=1 is ~10 MB).
const maxImageBytes = 256 << 20

// getJPEG GETs a rendered image and checks that it is one.
func (c *Conn) getJPEG(ctx context.Context, path string, q url.Values) ([]byte, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, maxBody: maxImageBytes})
	if err != nil {
		return nil, err
	}
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "image/jpeg") {
		return nil, badResponse(path, fmt.Sprintf("content type %q, want image/jpeg", ct), nil)
	}
	if !bytes.HasPrefix(resp.body, []byte{0xFF, 0xD8}) {
		return nil, badResponse(path, "not a JPEG", nil)
	}
	return resp.body, nil
}

// RenderImage renders plane (z, t) of an image as JPEG; q carries the
// rendering parameters (c, m, p, maps, q).
func (c *Conn) RenderImage(ctx context.Context, imageID int64, z, t int, q url.Values) ([]byte, error) {
	data, err := c.getJPEG(ctx, "webgateway/render_image/"+id(imageID)+"/"+strconv.Itoa(z)+"/"+strconv.Itoa(t)+"/", q)
	if err != nil {
		return nil, fmt.Errorf("render image %d: %w", imageID, err)
	}
	return data, nil
}

// RenderRegion renders a region or tile (q has region= or tile=) as JPEG.
func (c *Conn) RenderRegion(ctx context.Context, imageID int64, z, t int, q url.Values) ([]byte, error) {
	data, err := c.getJPEG(ctx, "webgateway/render_image_region/"+id(imageID)+"/"+strconv.Itoa(z)+"/"+strconv.Itoa(t)+"/", q)
	if err != nil {
		return nil, fmt.Errorf("render region of image %d: %w", imageID, err)
	}
	return data, nil
}

// MaxThumbnailBatch is webgateway's limit of ids per get_thumbnails call:
// callers with more images split them into batches of this size.
const MaxThumbnailBatch = 50

// Thumbnails gets OMERO's thumbnails of up to MaxThumbnailBatch images in
// one request (get_thumbnails), as JPEG bytes by image id. Images the server does not
// return are missing from the map.
func (c *Conn) Thumbnails(ctx context.Context, imageIDs []int64, size int) (map[int64][]byte, error) {
	if len(imageIDs) > MaxThumbnailBatch {
		return nil, fmt.Errorf("thumbnails: %d ids, at most %d a request", len(imageIDs), MaxThumbnailBatch)
	}
	q := url.Values{}
	for _, i := range imageIDs {
		q.Add("id", id(i))
	}
	path := "webgateway/get_thumbnails/" + strconv.Itoa(size) + "/"
	body, err := c.getJSON(ctx, path, q)
	if err != nil {
		return nil, fmt.Errorf("thumbnails: %w", err)
	}
	var raw map[string]*string
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badResponse(path, "thumbnails", err)
	}
	out := make(map[int64][]byte, len(raw))
	for k, v := range raw {
		n, err := strconv.ParseInt(k, 10, 64)
		if err != nil || v == nil {
			continue
		}
		b64, ok := strings.CutPrefix(*v, "data:image/jpeg;base64,")
		if !ok {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, badResponse(path, fmt.Sprintf("thumbnail of image %d", n), err)
		}
		out[n] = data
	}
	return out, nil
}
