package testserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The JSON API under /api/v0/ (omero-web omeroweb/api/urls.py and views.py).

const (
	defaultLimit = 200 // api_settings.API_LIMIT
	maxLimit     = 500 // api_settings.API_MAX_LIMIT
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeAPI is writeJSON with the header every JSON API answer carries.
func writeAPI(w http.ResponseWriter, status int, v any) {
	w.Header().Set("X-OMERO-ApiVersion", "0.2")
	writeJSON(w, status, v)
}

func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request) {
	writeAPI(w, http.StatusOK, obj{"data": []obj{{"version": "0", "url:base": apiURL(r, "")}}})
}

func (s *Server) handleBase(w http.ResponseWriter, r *http.Request) {
	m := obj{"url:schema": schema}
	for _, k := range []string{"experimenters", "experimentergroups", "projects", "datasets", "images", "screens", "plates", "rois"} {
		if s.missingInVersion("/api/v0/m/" + k + "/") {
			continue
		}
		m["url:"+k] = apiURL(r, "m/"+k+"/")
	}
	for _, k := range []string{"token", "servers", "login"} {
		m["url:"+k] = apiURL(r, k+"/")
	}
	m["url:save"] = apiURL(r, "m/save/")
	writeAPI(w, http.StatusOK, m)
}

// handleServers is api_servers: one entry per configured server, ids from 1.
func (s *Server) handleServers(w http.ResponseWriter, r *http.Request) {
	data := []obj{{"id": 1, "host": "localhost", "port": 4064, "server": "omero"}}
	for i := 2; i <= s.opts.Servers; i++ {
		data = append(data, obj{"id": i, "host": fmt.Sprintf("omero%d.localhost", i), "port": 4064, "server": fmt.Sprintf("omero%d", i)})
	}
	writeAPI(w, http.StatusOK, obj{"data": data})
}

// apiRoute is one URL pattern of the API: kind names it for counters.
type apiRoute struct {
	re   *regexp.Regexp
	kind string
}

var apiRoutes = []apiRoute{
	{re: re(`^m/(projects|datasets|images|screens|plates|wells|plateacquisitions|experimenters|experimentergroups|rois)/$`), kind: "api_list"},
	{re: re(`^m/(projects|datasets|images|screens|plates|wells|plateacquisitions|experimenters|experimentergroups|rois)/(\d+)/$`), kind: "api_get"},
	{re: re(`^m/(projects)/(\d+)/(datasets)/$`), kind: "api_list"},
	{re: re(`^m/(datasets)/(\d+)/(images)/$`), kind: "api_list"},
	{re: re(`^m/(datasets)/(\d+)/(projects)/$`), kind: "api_list"},
	{re: re(`^m/(images)/(\d+)/(datasets)/$`), kind: "api_list"},
	{re: re(`^m/(images)/(\d+)/(rois)/$`), kind: "api_list"},
	{re: re(`^m/(screens)/(\d+)/(plates)/$`), kind: "api_list"},
	{re: re(`^m/(plates)/(\d+)/(wells)/$`), kind: "api_list"},
	{re: re(`^m/(plates)/(\d+)/(screens)/$`), kind: "api_list"},
	{re: re(`^m/(wells)/(\d+)/(plates)/$`), kind: "api_list"},
	{re: re(`^m/(plates)/(\d+)/(plateacquisitions)/$`), kind: "api_list"},
	{re: re(`^m/(plateacquisitions)/(\d+)/(wells)/$`), kind: "api_list"},
	{re: re(`^m/(plates)/(\d+)/wellsampleindex/(\d+)/(wells)/$`), kind: "api_list"},
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(s) }

func (s *Server) routeAPI(r *http.Request) (string, http.HandlerFunc) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/v0/")
	switch rest {
	case "":
		return "api_base", s.handleBase
	case "token/":
		return "token", s.handleToken
	case "servers/":
		return "servers", s.handleServers
	case "login/":
		return "login", s.handleLogin
	}
	for _, rt := range apiRoutes {
		if m := rt.re.FindStringSubmatch(rest); m != nil {
			args := m[1:]
			if rt.kind == "api_get" {
				return rt.kind, func(w http.ResponseWriter, r *http.Request) { s.handleGet(w, r, args[0], args[1]) }
			}
			return rt.kind, func(w http.ResponseWriter, r *http.Request) { s.handleList(w, r, args) }
		}
	}
	if !strings.HasSuffix(r.URL.Path, "/") {
		// Django's APPEND_SLASH.
		return "redirect", func(w http.ResponseWriter, r *http.Request) {
			u := *r.URL
			u.Path += "/"
			http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
		}
	}
	return "not_found", djangoNotFound
}

// listQuery is a parsed list request.
type listQuery struct {
	offset, limit int
	owner, group  int64 // -1: any
	orphaned      bool
	childCount    bool
	normalize     bool
}

// intParam is getIntOrDefault: a missing parameter is the default, a
// non-integer one a 400 with Python's message.
func intParam(r *http.Request, name string, def int64) (int64, error) {
	v, ok := r.URL.Query()[name]
	if !ok || len(v) == 0 {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid literal for int() with base 10: '%s'", v[0])
	}
	return n, nil
}

func parseListQuery(r *http.Request) (*listQuery, error) {
	q := &listQuery{}
	offset, err := intParam(r, "offset", 0)
	if err != nil {
		return nil, err
	}
	limit, err := intParam(r, "limit", -1)
	if err != nil {
		return nil, err
	}
	if q.owner, err = intParam(r, "owner", -1); err != nil {
		return nil, err
	}
	if offset < 0 {
		offset = 0
	}
	if limit < 0 {
		limit = defaultLimit
	}
	q.offset, q.limit = int(min(offset, 1<<31)), int(min(limit, maxLimit))
	get := r.URL.Query().Get
	q.orphaned, q.childCount, q.normalize = get("orphaned") == "true", get("childCount") == "true", get("normalize") == "true"
	return q, nil
}

// visible reports whether user may see an object of group owned by owner
// under the query's owner/group filters.
func (s *Server) visible(user *Experimenter, o Owned, q *listQuery) bool {
	member := false
	for _, g := range user.Groups {
		if g == o.GroupID {
			member = true
		}
	}
	if !member {
		return false
	}
	if q != nil && q.group >= 0 && o.GroupID != q.group {
		return false
	}
	if q != nil && q.owner >= 0 && o.OwnerID != q.owner {
		return false
	}
	return true
}

// sortable is an object in a list, with its sort key.
type sortable struct {
	name     *string
	col, row int
	id       int64
	encode   func(*enc) obj
	children int
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, args []string) {
	user, ok := s.apiUser(w, r)
	if !ok {
		return
	}
	q, err := parseListQuery(r)
	if err != nil {
		writeAPI(w, http.StatusBadRequest, obj{"message": err.Error()})
		return
	}
	if d := s.opts.ListLatency; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	// group= and the filters given as query parameters (datasets/?project=…)
	// are read outside get_opts' try: a non-integer is an unhandled
	// ValueError, which json_response answers 500.
	if q.group, err = intParam(r, "group", -1); err != nil {
		unhandled(w, err)
		return
	}
	filters := map[string]int64{}
	for _, f := range []string{"project", "dataset", "image", "screen", "plate", "well"} {
		v, err := intParam(r, f, -1)
		if err != nil {
			unhandled(w, err)
			return
		}
		if v >= 0 {
			filters[f] = v
		}
	}
	kind := args[len(args)-1]
	if len(args) >= 3 { // nested: parent kind, parent id, [index,] child kind
		pid, _ := strconv.ParseInt(args[1], 10, 64)
		filters[singular(args[0])] = pid
	}
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	items := s.collect(user, kind, filters, q)
	if kind == "wells" {
		sort.Slice(items, func(i, j int) bool {
			a, b := items[i], items[j]
			if a.col != b.col {
				return a.col < b.col
			}
			if a.row != b.row {
				return a.row < b.row
			}
			return a.id < b.id
		})
	} else {
		sort.Slice(items, func(i, j int) bool { return lessByName(items[i], items[j]) })
	}
	total := len(items)
	page := items[min(q.offset, total):min(q.offset+q.limit, total)]
	e := &enc{s: s, r: r, user: user, normalize: q.normalize, owners: map[int64]obj{}, groups: map[int64]obj{}}
	data := make([]obj, 0, len(page))
	for _, it := range page {
		m := it.encode(e)
		if q.childCount && (kind == "projects" || kind == "datasets" || kind == "screens") {
			m["omero:childCount"] = it.children
		}
		data = append(data, m)
	}
	resp := obj{"data": data, "meta": obj{"offset": q.offset, "limit": q.limit, "maxLimit": maxLimit, "totalCount": total}}
	if q.normalize {
		resp["experimenters"] = values(e.owners)
		resp["experimenterGroups"] = values(e.groups)
	}
	writeAPI(w, http.StatusOK, resp)
}

// unhandled is json_response's answer to an exception it has no status
// for: 500 with the message and the traceback.
func unhandled(w http.ResponseWriter, err error) {
	writeAPI(w, http.StatusInternalServerError, obj{"message": err.Error(),
		"stacktrace": "Traceback (most recent call last):\n  ValueError: " + err.Error()})
}

func values(m map[int64]obj) []obj {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]obj, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// lessByName is ORDER BY lower(obj.name), obj.id: names compared lower-cased,
// missing names last (as NULLs sort in PostgreSQL), ties by id.
func lessByName(a, b sortable) bool {
	switch {
	case a.name == nil && b.name == nil:
		return a.id < b.id
	case a.name == nil:
		return false
	case b.name == nil:
		return true
	}
	la, lb := strings.ToLower(*a.name), strings.ToLower(*b.name)
	if la != lb {
		return la < lb
	}
	return a.id < b.id
}

func singular(kind string) string {
	return map[string]string{"projects": "project", "datasets": "dataset", "images": "image", "screens": "screen",
		"plates": "plate", "wells": "well", "plateacquisitions": "plateacquisition"}[kind]
}

// collect selects the visible objects of a kind that pass the filters.
// The caller holds s.data.mu.
func (s *Server) collect(user *Experimenter, kind string, f map[string]int64, q *listQuery) []sortable {
	d := s.data
	var out []sortable
	if _, ok := f["plateacquisition"]; ok {
		return nil // this server has no plate acquisitions
	}
	has := slices.Contains[[]int64]
	switch kind {
	case "projects":
		for _, p := range d.Projects {
			if !s.visible(user, p.Owned, q) {
				continue
			}
			if ds, ok := f["dataset"]; ok && !has(p.Datasets, ds) {
				continue
			}
			out = append(out, sortable{name: p.Name, id: p.ID, children: len(p.Datasets), encode: func(e *enc) obj { return e.project(p) }})
		}
	case "datasets":
		var inProject map[int64]bool
		if q.orphaned {
			inProject = linked(d.Projects, projectDatasets)
		}
		for _, ds := range candidates(d.Datasets, f, "project", d.Projects, projectDatasets) {
			if !s.visible(user, ds.Owned, q) {
				continue
			}
			if pid, ok := f["project"]; ok && (d.Projects[pid] == nil || !has(d.Projects[pid].Datasets, ds.ID)) {
				continue
			}
			if iid, ok := f["image"]; ok && !has(ds.Images, iid) {
				continue
			}
			if q.orphaned && inProject[ds.ID] {
				continue
			}
			out = append(out, sortable{name: ds.Name, id: ds.ID, children: len(ds.Images), encode: func(e *enc) obj { return e.dataset(ds) }})
		}
	case "images":
		var inDataset map[int64]bool
		if q.orphaned {
			inDataset = linked(d.Datasets, datasetImages)
		}
		for _, im := range candidates(d.Images, f, "dataset", d.Datasets, datasetImages) {
			if !s.visible(user, im.Owned, q) {
				continue
			}
			if did, ok := f["dataset"]; ok && (d.Datasets[did] == nil || !has(d.Datasets[did].Images, im.ID)) {
				continue
			}
			if q.orphaned && (inDataset[im.ID] || im.WellID != 0) {
				continue
			}
			out = append(out, sortable{name: im.Name, id: im.ID, encode: func(e *enc) obj { return e.image(im, true, false) }})
		}
	case "screens":
		for _, sc := range d.Screens {
			if !s.visible(user, sc.Owned, q) {
				continue
			}
			if pid, ok := f["plate"]; ok && !has(sc.Plates, pid) {
				continue
			}
			out = append(out, sortable{name: sc.Name, id: sc.ID, children: len(sc.Plates), encode: func(e *enc) obj { return e.screen(sc) }})
		}
	case "plates":
		inScreen := linked(d.Screens, screenPlates)
		for _, p := range d.Plates {
			if !s.visible(user, p.Owned, q) {
				continue
			}
			if sid, ok := f["screen"]; ok && (d.Screens[sid] == nil || !has(d.Screens[sid].Plates, p.ID)) {
				continue
			}
			if wid, ok := f["well"]; ok && (d.Wells[wid] == nil || d.Wells[wid].PlateID != p.ID) {
				continue
			}
			if q.orphaned && inScreen[p.ID] {
				continue
			}
			out = append(out, sortable{name: p.Name, id: p.ID, encode: func(e *enc) obj { return e.plate(p) }})
		}
	case "wells":
		for _, w := range d.Wells {
			p := d.Plates[w.PlateID]
			if p == nil || !s.visible(user, p.Owned, q) {
				continue
			}
			if pid, ok := f["plate"]; ok && w.PlateID != pid {
				continue
			}
			out = append(out, sortable{col: w.Col, row: w.Row, id: w.ID, encode: func(e *enc) obj { return e.well(w, false) }})
		}
	case "experimenters":
		for _, x := range d.Experimenters {
			out = append(out, sortable{name: &x.UserName, id: x.ID, encode: func(e *enc) obj { return e.experimenter(x.ID) }})
		}
	case "experimentergroups":
		for _, g := range d.Groups {
			out = append(out, sortable{name: &g.Name, id: g.ID, encode: func(e *enc) obj { return e.group(g.ID) }})
		}
	case "rois":
		out = s.collectROIs(user, f, q) // rois.go
	}
	// plateacquisitions: this server has none (an empty, valid list).
	return out
}

// candidates are the objects a filtered list has to look at: with a
// filter on the parent, only that parent's children (so that listing one
// dataset of a million images does not scan them all); else every object.
// The filters themselves are still applied by the caller.
func candidates[C, P any](all map[int64]*C, f map[string]int64, parentKind string, parents map[int64]P, children func(P) []int64) map[int64]*C {
	pid, ok := f[parentKind]
	if !ok {
		return all
	}
	out := map[int64]*C{}
	if p, ok := parents[pid]; ok {
		for _, id := range children(p) {
			if c, ok := all[id]; ok {
				out[id] = c
			}
		}
	}
	return out
}

// typeNames maps a URL kind to the OMERO type named in 404 messages.
var typeNames = map[string]string{"projects": "Project", "datasets": "Dataset", "images": "Image", "screens": "Screen",
	"plates": "Plate", "wells": "Well", "plateacquisitions": "PlateAcquisition", "experimenters": "Experimenter",
	"experimentergroups": "ExperimenterGroup", "rois": "Roi"}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, kind, idText string) {
	user, ok := s.apiUser(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	notFound := func() {
		msg := fmt.Sprintf("%s %s not found", typeNames[kind], idText)
		writeAPI(w, http.StatusNotFound, obj{"message": msg, "stacktrace": "Traceback (most recent call last):\n  omeroweb.api.api_exceptions.NotFoundError: " + msg})
	}
	if err != nil {
		notFound()
		return
	}
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	e := &enc{s: s, r: r, user: user}
	var m obj
	children := -1
	switch kind {
	case "projects":
		if p := s.data.Projects[id]; p != nil && s.visible(user, p.Owned, nil) {
			m, children = e.project(p), len(p.Datasets)
		}
	case "datasets":
		if d := s.data.Datasets[id]; d != nil && s.visible(user, d.Owned, nil) {
			m, children = e.dataset(d), len(d.Images)
		}
	case "images":
		if im := s.data.Images[id]; im != nil && s.visible(user, im.Owned, nil) {
			m = e.image(im, true, true)
			delete(m, "url:image")
			m["url:datasets"] = idURL(r, "images", id, "datasets/")
			m["url:rois"] = idURL(r, "images", id, "rois/")
		}
	case "screens":
		if sc := s.data.Screens[id]; sc != nil && s.visible(user, sc.Owned, nil) {
			m, children = e.screen(sc), len(sc.Plates)
		}
	case "plates":
		if p := s.data.Plates[id]; p != nil && s.visible(user, p.Owned, nil) {
			m = e.plate(p)
			fields := 0
			for _, wid := range p.Wells {
				if w := s.data.Wells[wid]; w != nil {
					fields = max(fields, len(w.Samples))
				}
			}
			// get_wellsample_indices: [min, max], or [] for a plate
			// without samples; both keys are always there.
			index, urls := []int{}, []string{}
			if fields > 0 {
				index = []int{0, fields - 1}
				for i := 0; i < fields; i++ {
					urls = append(urls, idURL(r, "plates", id, fmt.Sprintf("wellsampleindex/%d/wells/", i)))
				}
			}
			m["omero:wellsampleIndex"] = index
			m["url:wellsampleindex_wells"] = urls
		}
	case "wells":
		if wl := s.data.Wells[id]; wl != nil {
			if p := s.data.Plates[wl.PlateID]; p != nil && s.visible(user, p.Owned, nil) {
				m = e.well(wl, true)
			}
		}
	case "rois":
		if roi := s.data.ROIs[id]; roi != nil && s.visible(user, roi.Owned, nil) {
			m = e.roi(roi)
		}
	case "experimenters":
		if _, ok := s.data.Experimenters[id]; ok {
			m = e.experimenter(id)
		}
	case "experimentergroups":
		if _, ok := s.data.Groups[id]; ok {
			m = e.group(id)
		}
	}
	if m == nil {
		notFound()
		return
	}
	// A single object carries only the links its ObjectView adds, not the
	// list's self link (url:project, url:image, …).
	delete(m, "url:"+singular(kind))
	if children >= 0 && r.URL.Query().Get("childCount") == "true" {
		m["omero:childCount"] = children
	}
	writeAPI(w, http.StatusOK, obj{"data": m})
}
