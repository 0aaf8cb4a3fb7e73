package testserver

import (
	"fmt"
	"testing"
)

// TestImgDataLabelsAsGetLabel: imgData's channel labels follow getLabel:
// the name unless blank, else the emission wavelength, else the 0-based
// index.
func TestImgDataLabelsAsGetLabel(t *testing.T) {
	s, c := loggedIn(t, "demo")
	var id int64
	for iid, im := range s.Data().Images {
		if im.SizeC == 3 && im.WellID == 0 && s.visible(s.userByName("demo"), im.Owned, nil) {
			id = iid
			break
		}
	}
	blank, empty := "  ", ""
	s.Data().mu.Lock()
	chs := s.Data().Images[id].Channels
	chs[0] = ChannelInfo{Name: &blank, Emission: 520}
	chs[1] = ChannelInfo{Name: &empty, Emission: 0}
	chs[2] = ChannelInfo{Name: nil, Emission: 617.5}
	s.Data().mu.Unlock()
	got := c.getJSON(fmt.Sprintf("/webgateway/imgData/%d/", id))["channels"].([]any)
	var labels []string
	for _, ch := range got {
		labels = append(labels, ch.(map[string]any)["label"].(string))
	}
	if fmt.Sprint(labels) != "[520 1 617.5]" {
		t.Errorf("labels %q, want [520 1 617.5]", labels)
	}
}
