package testserver

import (
	"net/http"
	"sort"
)

// handleProjList is webgateway/proj/list/ (listProjects_json): every
// project the user sees, as {id, name, description}. It is the cheapest
// webgateway call behind login_required, which the client uses to tell a
// server whose public access covers /webgateway/ but not /api/.
func (s *Server) handleProjList(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gatewayUser(w, r)
	if !ok {
		return
	}
	s.data.mu.RLock()
	var items []sortable
	for _, p := range s.data.Projects {
		if s.visible(user, p.Owned, nil) {
			items = append(items, sortable{name: p.Name, id: p.ID})
		}
	}
	sort.Slice(items, func(i, j int) bool { return lessByName(items[i], items[j]) })
	out := make([]obj, 0, len(items))
	for _, it := range items {
		p := s.data.Projects[it.id]
		out = append(out, obj{"id": p.ID, "name": deref(p.Name), "description": deref(p.Desc)})
	}
	s.data.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}
