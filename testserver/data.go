package testserver

import (
	"slices"
	"sync"
	"time"

	"github.com/omerofs/omerofs/render"
)

// The data model: a small OMERO in memory. Pixel values are not stored;
// they are computed from the image id and coordinates (pixels.go), so a data
// set of 10,000 large images costs only its metadata.

// Experimenter is an OMERO user.
type Experimenter struct {
	ID                             int64
	UserName, FirstName, LastName  string
	Email, Institution, MiddleName string
	Password                       string
	Groups                         []int64 // member of
}

// Group is an OMERO group.
type Group struct {
	ID   int64
	Name string
	Perm string // e.g. "rwra--" (read-annotate), "rwr---" (read-only)
	// BinaryAccess is the group's omero.policy.binary_access ("" = the
	// server default "+read,+write,+image"); see originals.go.
	BinaryAccess string
}

// Owned is what every container and image has: an owner and a group.
type Owned struct {
	ID      int64
	Name    *string // nil: no name (omitted from the JSON)
	Desc    *string
	OwnerID int64
	GroupID int64
}

// Project holds datasets.
type Project struct {
	Owned
	Datasets []int64
}

// Dataset holds images.
type Dataset struct {
	Owned
	Images []int64
}

// Screen holds plates.
type Screen struct {
	Owned
	Plates []int64
}

// Plate holds wells.
type Plate struct {
	Owned
	Rows, Columns       int
	RowNaming, ColNames string // "letter" or "number"
	ExternalIdentifier  *string
	Wells               []int64
}

// Well is one well of a plate; its samples are fields (images).
type Well struct {
	ID       int64
	PlateID  int64
	Row, Col int
	Samples  []WellSample
}

// WellSample is one field of a well.
type WellSample struct {
	ID      int64
	ImageID int64
}

// Image is an image with its pixels' description and rendering defaults.
type Image struct {
	Owned
	Acquired                          *time.Time
	SizeX, SizeY, SizeZ, SizeC, SizeT int
	PixelsID                          int64
	PixelsType                        string  // uint8, uint16, int16, float
	PhysicalSize                      float64 // µm per pixel in X and Y; 0 = unknown
	PhysicalSizeZ                     float64
	Series                            int
	Channels                          []ChannelInfo
	Defaults                          render.Settings // the stored rendering definition
	Levels                            int             // pyramid levels; > 1 = a big (tiled) image
	TileSize                          int             // the pyramid's native tile side (imgData tile_size)
	LevelStep                         int             // each level is the previous one divided by this, rounded down; 0 = 2
	// The server is still generating the pyramid: imgData answers a
	// ConcurrencyException (and renders fail) for the next PendingRequests
	// imgData requests, and until PendingUntil.
	PendingRequests int
	PendingUntil    time.Time
	PendingBackOff  int   // the exception's backOff in ms; 0 = 1000
	WellID          int64 // the well it is a field of, if any
	WellSampleID    int64
	FilesetID       int64 // 0: no fileset (a pre-FS import)
}

// ChannelInfo describes a channel of an image.
type ChannelInfo struct {
	Name     *string
	Color    render.Color
	Emission float64 // nm; 0 = unknown
}

// Data is everything the server serves. Its methods are safe for
// concurrent use; tests change it while clients read.
type Data struct {
	mu            sync.RWMutex
	Experimenters map[int64]*Experimenter
	Groups        map[int64]*Group
	Projects      map[int64]*Project
	Datasets      map[int64]*Dataset
	Images        map[int64]*Image
	Screens       map[int64]*Screen
	Plates        map[int64]*Plate
	Wells         map[int64]*Well
	Filesets      map[int64]*Fileset      // originals.go
	Files         map[int64]*OriginalFile // fileset files and attachments
	Annotations   map[int64]*Annotation   // annotations.go
	AnnLinks      []AnnotationLink
	ROIs          map[int64]*ROI // rois.go
	nextID        int64
}

// NewData returns an empty data set.
func NewData() *Data {
	return &Data{
		Experimenters: map[int64]*Experimenter{},
		Groups:        map[int64]*Group{},
		Projects:      map[int64]*Project{},
		Datasets:      map[int64]*Dataset{},
		Images:        map[int64]*Image{},
		Screens:       map[int64]*Screen{},
		Plates:        map[int64]*Plate{},
		Wells:         map[int64]*Well{},
		Filesets:      map[int64]*Fileset{},
		Files:         map[int64]*OriginalFile{},
		Annotations:   map[int64]*Annotation{},
		nextID:        1,
	}
}

func (d *Data) id() int64 {
	id := d.nextID
	d.nextID++
	return id
}

// Image returns a copy of the image's record.
func (d *Data) Image(id int64) (Image, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	im, ok := d.Images[id]
	if !ok {
		return Image{}, false
	}
	return *im, true
}

// DeleteImage removes an image and its links (as a user's delete would).
func (d *Data) DeleteImage(id int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.Images, id)
	// OMERO deletes the image's annotation links with it.
	links := d.AnnLinks[:0]
	for _, l := range d.AnnLinks {
		if l.ParentType != "Image" || l.ParentID != id {
			links = append(links, l)
		}
	}
	d.AnnLinks = links
	for _, ds := range d.Datasets {
		ds.Images = without(ds.Images, id)
	}
	for _, w := range d.Wells {
		kept := w.Samples[:0]
		for _, s := range w.Samples {
			if s.ImageID != id {
				kept = append(kept, s)
			}
		}
		w.Samples = kept
	}
}

// AddImage adds an image like src (a copy with a new id and name) to the
// dataset datasetID (0: orphaned) and returns its id.
func (d *Data) AddImage(datasetID int64, name string, like int64) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	src, ok := d.Images[like]
	if !ok {
		return 0
	}
	im := *src
	im.ID, im.PixelsID = d.id(), d.id()
	im.Name = &name
	im.WellID, im.WellSampleID = 0, 0
	d.Images[im.ID] = &im
	if ds, ok := d.Datasets[datasetID]; ok {
		ds.Images = append(ds.Images, im.ID)
	}
	return im.ID
}

// SetImageSize changes an image's plane size, as a re-import would.
func (d *Data) SetImageSize(id int64, sizeX, sizeY int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if im, ok := d.Images[id]; ok {
		im.SizeX, im.SizeY = sizeX, sizeY
	}
}

// RenameImage changes an image's name.
func (d *Data) RenameImage(id int64, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if im, ok := d.Images[id]; ok {
		im.Name = &name
	}
}

// SetPyramidPending makes the server answer as if it were still generating
// the image's pyramid: for the next requests imgData requests and until
// until (either may be zero), with a backOff of backOffMs.
func (d *Data) SetPyramidPending(id int64, requests int, until time.Time, backOffMs int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if im, ok := d.Images[id]; ok {
		im.PendingRequests, im.PendingUntil, im.PendingBackOff = requests, until, backOffMs
	}
}

// pyramidPending reports whether the image's pyramid is still being
// generated, and the backOff to answer; an imgData request (consume) uses up
// one of the pending requests.
func (d *Data) pyramidPending(id int64, consume bool) (backOffMs int, pending bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	im, ok := d.Images[id]
	if !ok {
		return 0, false
	}
	pending = im.PendingRequests > 0 || time.Now().Before(im.PendingUntil)
	if consume && im.PendingRequests > 0 {
		im.PendingRequests--
	}
	backOffMs = im.PendingBackOff
	if backOffMs <= 0 {
		backOffMs = 1000
	}
	return backOffMs, pending
}

// ImageIDsOf returns the images of a dataset, in no particular order.
func (d *Data) ImageIDsOf(datasetID int64) []int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if ds, ok := d.Datasets[datasetID]; ok {
		return append([]int64(nil), ds.Images...)
	}
	return nil
}

func without(ids []int64, id int64) []int64 {
	out := ids[:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

func strp(s string) *string { return &s }

// linked is the set of child ids that some parent links to (datasets in a
// project, images in a dataset, plates in a screen): what "orphaned" is not.
func linked[P any](parents map[int64]P, children func(P) []int64) map[int64]bool {
	in := map[int64]bool{}
	for _, p := range parents {
		for _, id := range children(p) {
			in[id] = true
		}
	}
	return in
}

// parentsOf returns the parents that link to child.
func parentsOf[P any](parents map[int64]P, children func(P) []int64, child int64) []P {
	var out []P
	for _, p := range parents {
		if slices.Contains(children(p), child) {
			out = append(out, p)
		}
	}
	return out
}

func projectDatasets(p *Project) []int64 { return p.Datasets }
func datasetImages(d *Dataset) []int64   { return d.Images }
func screenPlates(s *Screen) []int64     { return s.Plates }

// The accessors below let tests find objects while the server serves and
// other tests change the data: every read of the maps holds the lock.

// ImageIDs returns the ids of the images for which keep (nil: every image)
// holds, lowest first. keep sees a copy, under the read lock.
func (d *Data) ImageIDs(keep func(Image) bool) []int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return idsWhere(d.Images, func(im *Image) bool { return keep == nil || keep(*im) })
}

// ImageNamed returns the id of the image called name (the lowest, when
// several are), failing t when there is none: tests name the demo images
// they read.
func (d *Data) ImageNamed(t TB, name string) int64 {
	t.Helper()
	ids := d.ImageIDs(func(im Image) bool { return im.Name != nil && *im.Name == name })
	if len(ids) == 0 {
		t.Fatalf("no image %q", name)
	}
	return ids[0]
}

// ProjectIDs is ImageIDs for projects.
func (d *Data) ProjectIDs(keep func(Project) bool) []int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return idsWhere(d.Projects, func(p *Project) bool { return keep == nil || keep(*p) })
}

// DatasetIDs is ImageIDs for datasets.
func (d *Data) DatasetIDs(keep func(Dataset) bool) []int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return idsWhere(d.Datasets, func(ds *Dataset) bool { return keep == nil || keep(*ds) })
}

func idsWhere[T any](m map[int64]T, keep func(T) bool) []int64 {
	var ids []int64
	for id, v := range m {
		if keep(v) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
