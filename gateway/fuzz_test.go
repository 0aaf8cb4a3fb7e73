package gateway

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the decoding of every object type, as
// list pages and as single objects, and to imgData: never a panic, and a
// refusal is always ErrBadResponse.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"api_v0_m_projects_list.json", "marshal_encoder_Image_with_Pixels_and_Channels.json", "idr_webclient_imgData_122770.json"} {
		if b, err := os.ReadFile(filepath.Join("..", "testserver", "testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"data":[{"@id":1,"@type":"x#Well","Row":0,"Column":1,"WellSamples":[{"@id":2,"Image":{"@id":3,"@type":"#Image"}}]}],"meta":{"totalCount":1}}`))
	f.Add([]byte(`{"data":"not a list","meta":{"totalCount":"many"}}`))
	f.Add([]byte(`{"data":[{"@id":"1"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkPage := func(err error) {
			if err != nil && !errors.Is(err, ErrBadResponse) {
				t.Fatalf("refusal %v is not ErrBadResponse", err)
			}
		}
		_, err := parsePage[Project]("fuzz", body, "Project", nil)
		checkPage(err)
		_, err = parsePage[Dataset]("fuzz", body, "Dataset", nil)
		checkPage(err)
		_, err = parsePage[Screen]("fuzz", body, "Screen", nil)
		checkPage(err)
		_, err = parsePage[Plate]("fuzz", body, "Plate", nil)
		checkPage(err)
		_, err = parsePage("fuzz", body, "Image", (*Image).check)
		checkPage(err)
		_, err = parsePage("fuzz", body, "Well", (*Well).check)
		checkPage(err)
		var one struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(body, &one) == nil && len(one.Data) > 0 {
			var im Image
			if decodeObject(one.Data, "Image", &im) == nil {
				im.check()
			}
			var w Well
			if decodeObject(one.Data, "Well", &w) == nil {
				w.check()
			}
		}
		var d ImgData
		json.Unmarshal(body, &d)
	})
}
