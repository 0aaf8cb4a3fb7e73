package testserver

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Annotations as webclient's api_annotations marshals them (webclient/
// tree.py marshal_annotations, _marshal_annotation) and the attachment
// download (webclient/views.py download_annotation).

// Annotation classes, as the JSON names them.
const (
	MapAnnotation     = "MapAnnotationI"
	TagAnnotation     = "TagAnnotationI"
	CommentAnnotation = "CommentAnnotationI"
	FileAnnotation    = "FileAnnotationI"
	LongAnnotation    = "LongAnnotationI"
)

// Annotation is any OMERO annotation; which fields count depends on Class.
type Annotation struct {
	ID               int64
	Class            string
	Ns, Name, Desc   *string
	OwnerID, GroupID int64
	Created          time.Time
	Values           [][2]string // map: key-value pairs, keys may repeat
	Text             *string     // tag and comment: textValue
	Long             *int64      // long (ratings): longValue
	FileID           int64       // file: the attached OriginalFile
}

// AnnotationLink links an annotation to an object of any type: "Project",
// "Dataset", "Image", "Screen", "Plate", "Well", "PlateAcquisition" (and,
// for a tag in a tag set, "TagAnnotation": the set is the parent).
type AnnotationLink struct {
	ID         int64
	ParentType string
	ParentID   int64
	AnnID      int64
	OwnerID    int64
	Created    time.Time
}

// Annotate adds an annotation (its ID is set here) and links it to each
// parent ("Image", 12). It returns the annotation's id.
func (d *Data) Annotate(a Annotation, parentType string, parentIDs ...int64) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	a.ID = d.id()
	if a.Created.IsZero() {
		a.Created = time.Date(2024, 4, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(a.ID) * time.Second)
	}
	d.Annotations[a.ID] = &a
	for _, p := range parentIDs {
		d.AnnLinks = append(d.AnnLinks, AnnotationLink{ID: d.id(), ParentType: parentType, ParentID: p,
			AnnID: a.ID, OwnerID: a.OwnerID, Created: a.Created.Add(time.Minute)})
	}
	return a.ID
}

// Attach stores content as a file of group and returns its id.
func (d *Data) Attach(name, mimetype string, group int64, content []byte) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := &OriginalFile{ID: d.id(), Name: name, Path: "/", Size: int64(len(content)), Mimetype: mimetype,
		GroupID: group, Content: content}
	d.Files[f.ID] = f
	return f.ID
}

// annTypes maps the type parameter to the class it selects.
var annTypes = map[string]string{"map": MapAnnotation, "tag": TagAnnotation, "comment": CommentAnnotation,
	"file": FileAnnotation, "rating": LongAnnotation}

const ratingNs = "openmicroscopy.org/omero/insight/rating"

// annotationsLimit is ANNOTATIONS_LIMIT: omero.web.page_size (200) × 100.
const annotationsLimit = 200 * 100

// handleAPIAnnotations is api_annotations: the annotations on the objects
// given by repeated ids (image=1&image=2, dataset=, project=, screen=,
// plate=, well=, acquisition=), one query per object type, each paged by
// page (1-based; 0 = no paging) and limit, ordered by namespace only.
func (s *Server) handleAPIAnnotations(w http.ResponseWriter, r *http.Request, user *Experimenter) {
	q := r.URL.Query()
	page, err := strconv.ParseInt(q.Get("page"), 10, 64)
	if q.Get("page") == "" || err != nil {
		page = 1
	}
	limit, err := strconv.ParseInt(q.Get("limit"), 10, 64)
	if q.Get("limit") == "" || err != nil {
		limit = annotationsLimit
	}
	annType, hasType := q.Get("type"), q.Has("type")
	ns, hasNs := q.Get("ns"), q.Has("ns")
	ids := map[string]map[int64]bool{}
	for _, t := range []struct{ param, class string }{{"image", "Image"}, {"dataset", "Dataset"}, {"project", "Project"},
		{"well", "Well"}, {"acquisition", "PlateAcquisition"}, {"plate", "Plate"}, {"screen", "Screen"}} {
		ids[t.class] = map[int64]bool{}
		for _, v := range q[t.param] {
			if v == "" {
				continue
			}
			id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil { // int() raises: Django's 500 page
				serverError(w)
				return
			}
			ids[t.class][id] = true
		}
	}
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	var anns []obj
	exps := map[int64]obj{}
	for _, dtype := range []string{"Project", "Dataset", "Image", "Screen", "Plate", "PlateAcquisition", "Well"} {
		if len(ids[dtype]) == 0 {
			continue
		}
		var links []AnnotationLink
		for _, l := range s.data.AnnLinks {
			a := s.data.Annotations[l.AnnID]
			if l.ParentType != dtype || !ids[dtype][l.ParentID] || a == nil || !memberOf(user, a.GroupID) {
				continue
			}
			if hasType && !matchesType(a, annType) {
				continue
			}
			if hasNs && (a.Ns == nil || *a.Ns != ns) {
				continue
			}
			links = append(links, l)
		}
		// "order by ch.ns": nulls last (PostgreSQL), ties in link order.
		sort.SliceStable(links, func(i, j int) bool {
			a, b := s.data.Annotations[links[i].AnnID].Ns, s.data.Annotations[links[j].AnnID].Ns
			if a == nil || b == nil {
				return a != nil && b == nil
			}
			return *a < *b
		})
		if page > 0 {
			off := int((page - 1) * limit)
			links = links[min(off, len(links)):min(off+int(limit), len(links))]
		}
		for _, l := range links {
			a := s.data.Annotations[l.AnnID]
			anns = append(anns, s.marshalAnnotation(user, a, l))
			for _, id := range []int64{l.OwnerID, a.OwnerID} {
				if e := s.data.Experimenters[id]; e != nil {
					exps[id] = obj{"id": e.ID, "omeName": e.UserName, "firstName": e.FirstName, "lastName": e.LastName}
				}
			}
		}
	}
	if anns == nil {
		anns = []obj{}
	}
	writeJSON(w, http.StatusOK, obj{"annotations": anns, "experimenters": values(exps)})
}

func matchesType(a *Annotation, t string) bool {
	switch t {
	case "rating":
		return a.Class == LongAnnotation && a.Ns != nil && *a.Ns == ratingNs
	case "custom":
		return a.Class != MapAnnotation && a.Class != TagAnnotation && a.Class != FileAnnotation &&
			a.Class != CommentAnnotation && (a.Ns == nil || *a.Ns != ratingNs)
	}
	if c, ok := annTypes[t]; ok {
		return a.Class == c
	}
	return true // an unknown type adds no condition
}

// marshalDate is _marshal_date: ISO 8601 with the server's time zone (UTC here).
func marshalDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

func optString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func annPerms(user *Experimenter, owner int64) obj {
	mine := user.ID == owner
	return obj{"canDelete": mine, "canAnnotate": true, "canLink": mine, "canEdit": mine}
}

// marshalAnnotation is _marshal_annotation with its link. The caller holds
// s.data.mu.
func (s *Server) marshalAnnotation(user *Experimenter, a *Annotation, l AnnotationLink) obj {
	m := obj{"id": a.ID, "ns": optString(a.Ns), "name": optString(a.Name), "description": optString(a.Desc),
		"owner": obj{"id": a.OwnerID}, "date": marshalDate(a.Created), "permissions": annPerms(user, a.OwnerID),
		"class": a.Class}
	parent := obj{"id": l.ParentID, "class": l.ParentType + "I"}
	if name := s.parentName(l.ParentType, l.ParentID); name != "" {
		parent["name"] = name
	}
	m["link"] = obj{"id": l.ID, "owner": obj{"id": l.OwnerID}, "parent": parent, "date": marshalDate(l.Created),
		"permissions": annPerms(user, l.OwnerID)}
	switch a.Class {
	case MapAnnotation:
		kvs := make([][]string, 0, len(a.Values))
		for _, kv := range a.Values {
			kvs = append(kvs, []string{kv[0], kv[1]})
		}
		m["values"] = kvs
	case FileAnnotation:
		if f := s.data.Files[a.FileID]; f != nil {
			m["file"] = obj{"id": f.ID, "name": f.Name, "size": f.Size, "path": f.Path, "mimetype": f.Mimetype}
			m["permissions"].(obj)["canDownload"] = s.data.canDownload(f)
		}
	case TagAnnotation, CommentAnnotation:
		m["textValue"] = optString(a.Text)
	case LongAnnotation:
		if a.Long != nil {
			m["longValue"] = *a.Long
		} else {
			m["longValue"] = nil
		}
	}
	return m
}

// parentName is the link parent's name as marshalled: its Name when set,
// "Run <id>" for a nameless run, row and column labels for a well.
func (s *Server) parentName(typ string, id int64) string {
	var n *string
	switch typ {
	case "Project":
		if p := s.data.Projects[id]; p != nil {
			n = p.Name
		}
	case "Dataset":
		if p := s.data.Datasets[id]; p != nil {
			n = p.Name
		}
	case "Image":
		if p := s.data.Images[id]; p != nil {
			n = p.Name
		}
	case "Screen":
		if p := s.data.Screens[id]; p != nil {
			n = p.Name
		}
	case "Plate":
		if p := s.data.Plates[id]; p != nil {
			n = p.Name
		}
	case "PlateAcquisition":
		return "Run " + strconv.FormatInt(id, 10)
	case "Well":
		if w := s.data.Wells[id]; w != nil {
			if p := s.data.Plates[w.PlateID]; p != nil {
				return strings.Replace(wellLabel(w.Row, w.Col, p.RowNaming, p.ColNames), "-", "", 1)
			}
		}
	}
	return deref(n)
}

// handleDownloadAnnotation is download_annotation: a file attachment's
// bytes as application/force-download; a missing one is a 404 page.
func (s *Server) handleDownloadAnnotation(w http.ResponseWriter, r *http.Request, user *Experimenter, idText string) {
	id, _ := strconv.ParseInt(idText, 10, 64)
	s.data.mu.RLock()
	a := s.data.Annotations[id]
	var f *OriginalFile
	allowed := false
	if a != nil && a.Class == FileAnnotation && memberOf(user, a.GroupID) {
		if f = s.data.Files[a.FileID]; f != nil {
			c := *f
			f, allowed = &c, s.data.canDownload(f)
		}
	}
	s.data.mu.RUnlock()
	if f == nil {
		notFoundPage(w, r, "FileAnnotation does not exist (id:"+idText+").")
		return
	}
	w.Header().Set("Content-Type", "application/force-download")
	w.Header().Set("Content-Disposition", djangoHeader("attachment; filename="+strings.ReplaceAll(f.Name, " ", "_")))
	stream(w, f, allowed)
}
