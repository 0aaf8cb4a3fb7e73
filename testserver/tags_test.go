package testserver

import (
	"fmt"
	"net/http"
	"testing"
)

func tagsByValue(t *testing.T, list []any) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, x := range list {
		m := x.(map[string]any)
		v, _ := m["value"].(string)
		out[v] = append(out[v], m)
	}
	return out
}

func TestTagsList(t *testing.T) {
	_, c := loggedIn(t, "demo")
	all := c.getJSON("/webclient/api/tags/")
	if len(all) != 1 {
		t.Errorf("keys without id: %v", all)
	}
	list := all["tags"].([]any)
	by := tagsByValue(t, list)
	for _, v := range []string{"mitosis", "Phenotypes", "apoptosis", "G2/M arrest", "", "published", "unused", "HCS"} {
		if len(by[v]) != 1 {
			t.Errorf("tag %q: %d", v, len(by[v]))
		}
	}
	if len(by["control"]) != 2 {
		t.Errorf("two tags 'control': %v", by["control"])
	}
	set := by["Phenotypes"][0]
	if set["set"] != true || set["childCount"].(float64) != 2 || set["description"] != "what the cells do" {
		t.Errorf("tag set %v", set)
	}
	if a := by["apoptosis"][0]; a["set"] != false || a["childCount"].(float64) != 0 {
		t.Errorf("tag %v", a)
	}
	if _, ok := by["unused"][0]["description"]; ok {
		t.Errorf("description without one set: %v", by["unused"][0])
	}
	last := 0.0
	for _, x := range list {
		if id := x.(map[string]any)["id"].(float64); id <= last {
			t.Errorf("tags not by id")
		} else {
			last = id
		}
	}
	// orphaned: the tags of no set.
	orph := tagsByValue(t, c.getJSON("/webclient/api/tags/?orphaned=true")["tags"].([]any))
	if len(orph["apoptosis"]) != 0 || len(orph["G2/M arrest"]) != 0 || len(orph["Phenotypes"]) != 1 {
		t.Errorf("orphaned tags %v", orph)
	}
	// Paging: page and limit, page=0 = everything.
	p2 := c.getJSON("/webclient/api/tags/?limit=3&page=2")["tags"].([]any)
	if len(p2) != 3 || p2[0].(map[string]any)["id"] != list[3].(map[string]any)["id"] {
		t.Errorf("page 2 of 3: %v", p2)
	}
	if n := len(c.getJSON("/webclient/api/tags/?limit=3&page=0")["tags"].([]any)); n != len(list) {
		t.Errorf("page=0: %d tags, want %d", n, len(list))
	}
	if status, _, b := c.get("/webclient/api/tags/?id=abc"); status != http.StatusBadRequest || string(b) != "Invalid parameter value" {
		t.Errorf("id=abc: %d %s", status, b)
	}
}

func TestTagsTagged(t *testing.T) {
	_, c := loggedIn(t, "demo")
	all := tagsByValue(t, c.getJSON("/webclient/api/tags/")["tags"].([]any))
	id := func(v string) int64 { return int64(all[v][0]["id"].(float64)) }

	set := c.getJSON(fmt.Sprintf("/webclient/api/tags/?id=%d", id("Phenotypes")))
	for _, k := range []string{"projects", "datasets", "images", "screens", "plates", "acquisitions", "wells", "tags"} {
		if _, ok := set[k].([]any); !ok {
			t.Errorf("no list %q: %v", k, set)
		}
	}
	children := tagsByValue(t, set["tags"].([]any))
	if len(children) != 2 || children["apoptosis"] == nil || children["G2/M arrest"] == nil {
		t.Errorf("children of the set: %v", set["tags"])
	}

	ap := c.getJSON(fmt.Sprintf("/webclient/api/tags/?id=%d&sizeXYZ=true", id("apoptosis")))
	imgs := ap["images"].([]any)
	if len(imgs) != 2 || len(ap["datasets"].([]any)) != 1 || len(ap["tags"].([]any)) != 0 {
		t.Fatalf("apoptosis: %v", ap)
	}
	first := imgs[0].(map[string]any) // membrane.czi before stack.tif
	if first["name"] != "membrane.czi" || first["sizeX"].(float64) != 128 || first["sizeZ"].(float64) != 5 || first["archived"] != false {
		t.Errorf("tagged image %v", first)
	}
	if ds := ap["datasets"].([]any)[0].(map[string]any); ds["name"] != "Unfiled" || ds["childCount"].(float64) != 2 {
		t.Errorf("tagged dataset %v", ds)
	}
	noSizes := c.getJSON(fmt.Sprintf("/webclient/api/tags/?id=%d", id("apoptosis")))["images"].([]any)[0].(map[string]any)
	if _, ok := noSizes["sizeX"]; ok {
		t.Errorf("sizes without sizeXYZ: %v", noSizes)
	}

	pub := c.getJSON(fmt.Sprintf("/webclient/api/tags/?id=%d", id("published")))
	if len(pub["projects"].([]any)) != 1 || len(pub["images"].([]any)) != 1 {
		t.Errorf("published: %v", pub)
	}
	hcs := c.getJSON(fmt.Sprintf("/webclient/api/tags/?id=%d", id("HCS")))
	if len(hcs["plates"].([]any)) != 1 || len(hcs["screens"].([]any)) != 1 || len(hcs["wells"].([]any)) != 1 {
		t.Errorf("HCS: %v", hcs)
	}
	if w := hcs["wells"].([]any)[0].(map[string]any); w["name"] != "Loose plate - 1-1" && w["name"] != "Loose plate - 11" {
		t.Errorf("well %v", w)
	}
	// Someone outside the group sees neither the tags nor what they tag.
	_, alice := loggedIn(t, "alice")
	if by := tagsByValue(t, alice.getJSON("/webclient/api/tags/")["tags"].([]any)); by["HCS"] != nil {
		t.Errorf("alice sees the facility's tag")
	}
}
