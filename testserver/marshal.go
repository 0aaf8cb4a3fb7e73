package testserver

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Object encoding as omero-marshal writes it (encoders in
// omero_marshal/encode/encoders/), plus the url: links the API views add.
// Fields whose value is null are left out, as the encoders do.

const schema = "http://www.openmicroscopy.org/Schemas/OME/2016-06"

type obj = map[string]any

func typeURI(t string) string { return schema + "#" + t }

// base is the request's absolute server root, for url: links.
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func apiURL(r *http.Request, path string) string { return base(r) + "/api/v0/" + path }

func idURL(r *http.Request, kind string, id int64, rest string) string {
	return apiURL(r, "m/"+kind+"/"+strconv.FormatInt(id, 10)+"/"+rest)
}

func permissions(perm string, mine bool) obj {
	return obj{
		"@type": "TBD#Permissions", "perm": perm,
		"canAnnotate": mine || strings.Contains(perm[2:4], "a") || strings.Contains(perm[2:4], "w"),
		"canDelete":   mine, "canEdit": mine, "canLink": mine,
		"isUserRead": perm[0] == 'r', "isUserWrite": perm[1] == 'w',
		"isGroupRead": perm[2] == 'r', "isGroupAnnotate": perm[3] == 'a' || perm[3] == 'w', "isGroupWrite": perm[3] == 'w',
		"isWorldRead": perm[4] == 'r', "isWorldWrite": perm[5] == 'w',
	}
}

// enc encodes objects for one request's user.
type enc struct {
	s         *Server
	r         *http.Request
	user      *Experimenter
	normalize bool
	owners    map[int64]obj // normalize=true: experimenters seen
	groups    map[int64]obj
}

func (e *enc) experimenter(id int64) obj {
	x := e.s.data.Experimenters[id]
	if x == nil {
		return obj{"@id": id, "@type": typeURI("Experimenter")}
	}
	o := obj{"@id": x.ID, "@type": typeURI("Experimenter"), "UserName": x.UserName, "FirstName": x.FirstName,
		"LastName": x.LastName, "Email": x.Email, "MiddleName": x.MiddleName,
		"omero:details": obj{"@type": "TBD#Details", "permissions": permissions("rwr---", false)}}
	if x.Institution != "" {
		o["Institution"] = x.Institution
	}
	return o
}

func (e *enc) group(id int64) obj {
	g := e.s.data.Groups[id]
	if g == nil {
		return obj{"@id": id, "@type": typeURI("ExperimenterGroup")}
	}
	return obj{"@id": g.ID, "@type": typeURI("ExperimenterGroup"), "Name": g.Name,
		"omero:details": obj{"@type": "TBD#Details", "permissions": permissions(g.Perm, false)}}
}

func (e *enc) details(o Owned) obj {
	perm := "rwra--"
	if g := e.s.data.Groups[o.GroupID]; g != nil {
		perm = g.Perm
	}
	d := obj{"@type": "TBD#Details", "permissions": permissions(perm, e.user != nil && e.user.ID == o.OwnerID)}
	if e.normalize {
		e.owners[o.OwnerID] = e.experimenter(o.OwnerID)
		e.groups[o.GroupID] = e.group(o.GroupID)
		d["owner"] = obj{"@id": o.OwnerID}
		d["group"] = obj{"@id": o.GroupID}
	} else {
		d["owner"] = e.experimenter(o.OwnerID)
		d["group"] = e.group(o.GroupID)
	}
	return d
}

func (e *enc) owned(t string, o Owned) obj {
	m := obj{"@id": o.ID, "@type": typeURI(t), "omero:details": e.details(o)}
	if o.Name != nil {
		m["Name"] = *o.Name
	}
	if o.Desc != nil {
		m["Description"] = *o.Desc
	}
	return m
}

func (e *enc) project(p *Project) obj {
	m := e.owned("Project", p.Owned)
	m["url:datasets"] = idURL(e.r, "projects", p.ID, "datasets/")
	m["url:project"] = idURL(e.r, "projects", p.ID, "")
	return m
}

func (e *enc) dataset(d *Dataset) obj {
	m := e.owned("Dataset", d.Owned)
	m["url:images"] = idURL(e.r, "datasets", d.ID, "images/")
	m["url:dataset"] = idURL(e.r, "datasets", d.ID, "")
	m["url:projects"] = idURL(e.r, "datasets", d.ID, "projects/")
	return m
}

func (e *enc) screen(sc *Screen) obj {
	m := e.owned("Screen", sc.Owned)
	m["url:plates"] = idURL(e.r, "screens", sc.ID, "plates/")
	m["url:screen"] = idURL(e.r, "screens", sc.ID, "")
	return m
}

func (e *enc) plate(p *Plate) obj {
	m := e.owned("Plate", p.Owned)
	m["Rows"], m["Columns"] = p.Rows, p.Columns
	m["RowNamingConvention"], m["ColumnNamingConvention"] = p.RowNaming, p.ColNames
	m["FieldIndex"] = 0
	if p.ExternalIdentifier != nil {
		m["ExternalIdentifier"] = *p.ExternalIdentifier
	}
	m["url:wells"] = idURL(e.r, "plates", p.ID, "wells/")
	m["url:plate"] = idURL(e.r, "plates", p.ID, "")
	m["url:plateacquisitions"] = idURL(e.r, "plates", p.ID, "plateacquisitions/")
	m["url:screens"] = idURL(e.r, "plates", p.ID, "screens/")
	return m
}

func length(v float64, unit, symbol string) obj {
	return obj{"@type": "TBD#LengthI", "Unit": unit, "Symbol": symbol, "Value": v}
}

func enumObj(t, value string, id int64) obj {
	return obj{"@id": id, "@type": "TBD#" + t, "value": value, "omero:details": obj{"@type": "TBD#Details"}}
}

var pixelsTypeIDs = map[string]int64{"bit": 1, "int8": 2, "int16": 3, "int32": 4, "uint8": 5, "uint16": 6, "uint32": 7, "float": 8, "double": 9}

// image encodes an image; withPixels adds Pixels, withChannels their Channels.
func (e *enc) image(im *Image, withPixels, withChannels bool) obj {
	m := e.owned("Image", im.Owned)
	if im.Acquired != nil {
		m["AcquisitionDate"] = im.Acquired.UnixMilli()
	}
	m["omero:archived"] = false
	m["omero:partial"] = false
	m["omero:series"] = im.Series
	m["omero:format"] = enumObj("Format", "OMETiff", 1)
	m["url:image"] = idURL(e.r, "images", im.ID, "")
	if !withPixels {
		return m
	}
	_, hi := typeRange(im.PixelsType)
	bits := map[float64]int{255: 8, 127: 8, 65535: 16, 32767: 16, 4294967295: 32, 2147483647: 32, 1: 32}[hi]
	if im.PixelsType == "uint16" {
		bits = 12
	}
	px := obj{"@id": im.PixelsID, "@type": typeURI("Pixels"),
		"SizeX": im.SizeX, "SizeY": im.SizeY, "SizeZ": im.SizeZ, "SizeC": im.SizeC, "SizeT": im.SizeT,
		"SignificantBits": bits,
		"Type":            enumObj("PixelsType", im.PixelsType, pixelsTypeIDs[im.PixelsType]),
		"omero:sha1":      "Pending...",
		"omero:details":   obj{"@type": "TBD#Details"},
	}
	if im.PhysicalSize > 0 {
		px["PhysicalSizeX"] = length(im.PhysicalSize, "MICROMETER", "µm")
		px["PhysicalSizeY"] = length(im.PhysicalSize, "MICROMETER", "µm")
	}
	if im.PhysicalSizeZ > 0 {
		px["PhysicalSizeZ"] = length(im.PhysicalSizeZ, "MICROMETER", "µm")
	}
	if withChannels {
		var chs []obj
		for i, c := range im.Channels {
			ch := obj{"@id": im.PixelsID*10 + int64(i), "@type": typeURI("Channel"), "Color": c.Color.RGBA(),
				"SamplesPerPixel": 1, "omero:LogicalChannelId": im.PixelsID*10 + int64(i),
				"omero:details":                   obj{"@type": "TBD#Details"},
				"omero:photometricInterpretation": enumObj("PhotometricInterpretation", "Monochrome", 5)}
			if c.Name != nil {
				ch["Name"] = *c.Name
			}
			if c.Emission > 0 {
				ch["EmissionWavelength"] = length(c.Emission, "NANOMETER", "nm")
			}
			chs = append(chs, ch)
		}
		px["Channels"] = chs
	}
	m["Pixels"] = px
	return m
}

// well encodes a well; withPixels loads its images' Pixels (wells/{id}/).
func (e *enc) well(w *Well, withPixels bool) obj {
	p := e.s.data.Plates[w.PlateID]
	owner := Owned{ID: w.ID}
	if p != nil {
		owner.OwnerID, owner.GroupID = p.OwnerID, p.GroupID
	}
	m := obj{"@id": w.ID, "@type": typeURI("Well"), "Row": w.Row, "Column": w.Col,
		"omero:details": e.details(owner),
		"url:well":      idURL(e.r, "wells", w.ID, ""),
		"url:plates":    idURL(e.r, "wells", w.ID, "plates/"),
	}
	var samples []obj
	for _, ws := range w.Samples {
		im := e.s.data.Images[ws.ImageID]
		if im == nil {
			continue
		}
		samples = append(samples, obj{"@id": ws.ID, "@type": typeURI("WellSample"),
			"PositionX":     length(float64(w.Col)*9000, "REFERENCEFRAME", "reference frame"),
			"PositionY":     length(float64(w.Row)*9000, "REFERENCEFRAME", "reference frame"),
			"omero:details": obj{"@type": "TBD#Details"},
			"Image":         e.image(im, withPixels, false)})
	}
	if samples != nil {
		m["WellSamples"] = samples
	}
	return m
}

// imgTime is an image's timestamp in seconds, as imgData gives it.
func imgTime(im *Image) float64 {
	if im.Acquired == nil {
		return float64(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	}
	return float64(im.Acquired.Unix())
}
