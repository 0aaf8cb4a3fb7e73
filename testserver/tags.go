package testserver

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Tags as webclient's api/tags/ lists them (webclient/views.py
// api_tags_and_tagged_list_GET; webclient/tree.py marshal_tags,
// _marshal_tag, marshal_tagged). A tag set is a tag in the tag-set
// namespace; its tags are linked to it by annotation-to-annotation links,
// which this server keeps as AnnotationLinks whose ParentType is
// "TagAnnotation".

// TagSetNs is omero.constants.metadata.NSINSIGHTTAGSET.
const TagSetNs = "openmicroscopy.org/omero/insight/tagset"

// webPage is omero.web.page_size, the webclient's default limit.
const webPage = 200

// AddToTagSet puts tags into a tag set.
func (d *Data) AddToTagSet(setID int64, tagIDs ...int64) {
	for _, t := range tagIDs {
		d.linkAnnotation(t, "TagAnnotation", setID)
	}
}

// routeTags serves /webclient/api/tags/.
func (s *Server) routeTags(r *http.Request) (string, http.HandlerFunc) {
	if r.URL.Path != "/webclient/api/tags/" {
		return "", nil
	}
	return "api_tags", func(w http.ResponseWriter, r *http.Request) {
		user, ok := s.gatewayUser(w, r)
		if !ok {
			return
		}
		s.handleAPITags(w, r, user)
	}
}

// tagQuery is the parsed parameters of api/tags/.
type tagQuery struct {
	page, limit, group, owner int64
	tagID                     *int64
	orphaned, sizes           bool
}

// parseTagQuery reads the parameters as get_long_or_default and
// get_bool_or_default do; any bad value is the view's ValueError.
func parseTagQuery(r *http.Request) (tagQuery, bool) {
	q := r.URL.Query()
	long := func(name string, def int64) (int64, bool) {
		if !q.Has(name) {
			return def, true
		}
		n, err := strconv.ParseInt(strings.TrimSpace(q.Get(name)), 10, 64)
		return n, err == nil
	}
	boolean := func(name string) bool { // omero's toBoolean
		v := strings.ToLower(q.Get(name))
		return v == "true" || v == "1" || v == "on" || v == "yes"
	}
	var t tagQuery
	var ok [5]bool
	t.page, ok[0] = long("page", 1)
	t.limit, ok[1] = long("limit", webPage)
	t.group, ok[2] = long("group", -1)
	t.owner, ok[3] = long("experimenter_id", -1)
	ok[4] = true
	if q.Has("id") {
		id, good := long("id", 0)
		t.tagID, ok[4] = &id, good
	}
	t.orphaned, t.sizes = boolean("orphaned"), boolean("sizeXYZ")
	return t, ok == [5]bool{true, true, true, true, true}
}

// pageOf cuts one page (1-based; 0 or less = everything) out of n items.
func (t tagQuery) pageOf(n int) (int, int) {
	if t.page <= 0 {
		return 0, n
	}
	off := int(min((t.page-1)*t.limit, int64(n)))
	return off, int(min(int64(off)+max(t.limit, 0), int64(n)))
}

func (s *Server) handleAPITags(w http.ResponseWriter, r *http.Request, user *Experimenter) {
	t, ok := parseTagQuery(r)
	if !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("Invalid parameter value"))
		return
	}
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	seen := func(groupID, ownerID int64) bool {
		return memberOf(user, groupID) && (t.group < 0 || groupID == t.group) && (t.owner < 0 || ownerID == t.owner)
	}
	out := obj{}
	if t.tagID != nil {
		s.tagged(out, user, t, seen)
	}
	// The tags: every tag, or (with id) the tags of that set; by id.
	var tags []*Annotation
	for _, a := range s.data.Annotations {
		if a.Class != TagAnnotation || !seen(a.GroupID, a.OwnerID) {
			continue
		}
		if t.tagID != nil && !s.inSet(a.ID, *t.tagID) {
			continue
		}
		if t.tagID == nil && t.orphaned && s.inAnySet(a.ID) {
			continue
		}
		tags = append(tags, a)
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].ID < tags[j].ID })
	from, to := t.pageOf(len(tags))
	list := make([]obj, 0, to-from)
	for _, a := range tags[from:to] {
		m := obj{"id": a.ID, "value": optString(a.Text), "ownerId": a.OwnerID,
			"permsCss": permsCss(user, a.OwnerID), "set": a.Ns != nil && *a.Ns == TagSetNs, "childCount": s.tagChildren(a.ID)}
		if a.Desc != nil && *a.Desc != "" {
			m["description"] = *a.Desc
		}
		list = append(list, m)
	}
	out["tags"] = list
	writeJSON(w, http.StatusOK, out)
}

// permsCss is parse_permissions_css for an object the user may annotate.
func permsCss(user *Experimenter, owner int64) string {
	if user.ID == owner {
		return "canEdit canAnnotate canLink canDelete isOwned"
	}
	return "canAnnotate"
}

// inSet reports whether tag is in the set. The caller holds s.data.mu.
func (s *Server) inSet(tag, set int64) bool {
	for _, l := range s.data.AnnLinks {
		if l.ParentType == "TagAnnotation" && l.ParentID == set && l.AnnID == tag {
			return true
		}
	}
	return false
}

// inAnySet reports whether tag is in a tag set. The caller holds s.data.mu.
func (s *Server) inAnySet(tag int64) bool {
	for _, l := range s.data.AnnLinks {
		if l.ParentType == "TagAnnotation" && l.AnnID == tag {
			if p := s.data.Annotations[l.ParentID]; p != nil && p.Ns != nil && *p.Ns == TagSetNs {
				return true
			}
		}
	}
	return false
}

// tagChildren counts the tags linked under a tag. The caller holds s.data.mu.
func (s *Server) tagChildren(tag int64) int {
	n := 0
	for _, l := range s.data.AnnLinks {
		if a := s.data.Annotations[l.AnnID]; l.ParentType == "TagAnnotation" && l.ParentID == tag && a != nil && a.Class == TagAnnotation {
			n++
		}
	}
	return n
}

// tagged adds marshal_tagged's lists: what carries the tag, each type
// ordered by lower(name), id (wells by row, column) and paged by itself.
// The caller holds s.data.mu.
func (s *Server) tagged(out obj, user *Experimenter, t tagQuery, seen func(group, owner int64) bool) {
	carriers := map[string]map[int64]bool{}
	for _, l := range s.data.AnnLinks {
		if l.AnnID == *t.tagID {
			if carriers[l.ParentType] == nil {
				carriers[l.ParentType] = map[int64]bool{}
			}
			carriers[l.ParentType][l.ParentID] = true
		}
	}
	type row struct {
		name     *string
		id       int64
		row, col int
		m        obj
	}
	named := func(o Owned, children int) row {
		return row{name: o.Name, id: o.ID, m: obj{"id": o.ID, "name": optString(o.Name), "ownerId": o.OwnerID,
			"childCount": children, "permsCss": permsCss(user, o.OwnerID)}}
	}
	lists := map[string][]row{}
	d := s.data
	for id := range carriers["Project"] {
		if p := d.Projects[id]; p != nil && seen(p.GroupID, p.OwnerID) {
			lists["projects"] = append(lists["projects"], named(p.Owned, len(p.Datasets)))
		}
	}
	for id := range carriers["Dataset"] {
		if p := d.Datasets[id]; p != nil && seen(p.GroupID, p.OwnerID) {
			lists["datasets"] = append(lists["datasets"], named(p.Owned, len(p.Images)))
		}
	}
	for id := range carriers["Screen"] {
		if p := d.Screens[id]; p != nil && seen(p.GroupID, p.OwnerID) {
			lists["screens"] = append(lists["screens"], named(p.Owned, len(p.Plates)))
		}
	}
	for id := range carriers["Plate"] {
		if p := d.Plates[id]; p != nil && seen(p.GroupID, p.OwnerID) {
			lists["plates"] = append(lists["plates"], named(p.Owned, 0)) // childCount: its runs; none here
		}
	}
	for id := range carriers["Image"] {
		im := d.Images[id]
		if im == nil || !seen(im.GroupID, im.OwnerID) {
			continue
		}
		m := obj{"id": im.ID, "archived": false, "name": optString(im.Name), "ownerId": im.OwnerID,
			"permsCss": permsCss(user, im.OwnerID)}
		if im.FilesetID != 0 {
			m["filesetId"] = im.FilesetID
		}
		if t.sizes {
			m["sizeX"], m["sizeY"], m["sizeZ"], m["sizeT"] = im.SizeX, im.SizeY, im.SizeZ, im.SizeT
		}
		lists["images"] = append(lists["images"], row{name: im.Name, id: im.ID, m: m})
	}
	for id := range carriers["Well"] {
		wl := d.Wells[id]
		if wl == nil {
			continue
		}
		p := d.Plates[wl.PlateID]
		if p == nil || !seen(p.GroupID, p.OwnerID) {
			continue
		}
		label := strings.Replace(wellLabel(wl.Row, wl.Col, p.RowNaming, p.ColNames), "-", "", 1)
		lists["wells"] = append(lists["wells"], row{id: wl.ID, row: wl.Row, col: wl.Col, m: obj{"id": wl.ID,
			"ownerId": p.OwnerID, "plateId": p.ID, "permsCss": permsCss(user, p.OwnerID),
			"name": deref(p.Name) + " - " + label}})
	}
	for _, k := range []string{"projects", "datasets", "images", "screens", "plates", "acquisitions", "wells"} {
		rows := lists[k]
		if k == "wells" {
			sort.Slice(rows, func(i, j int) bool {
				if rows[i].row != rows[j].row {
					return rows[i].row < rows[j].row
				}
				return rows[i].col < rows[j].col
			})
		} else {
			sort.Slice(rows, func(i, j int) bool {
				return lessByName(sortable{name: rows[i].name, id: rows[i].id}, sortable{name: rows[j].name, id: rows[j].id})
			})
		}
		from, to := t.pageOf(len(rows))
		ms := make([]obj, 0, to-from)
		for _, rw := range rows[from:to] {
			ms = append(ms, rw.m)
		}
		out[k] = ms
	}
}
