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
		kinds := map[string]func(json.RawMessage) error{
			"Project": func(r json.RawMessage) error { var v Project; return json.Unmarshal(r, &v) },
			"Dataset": func(r json.RawMessage) error { var v Dataset; return json.Unmarshal(r, &v) },
			"Screen":  func(r json.RawMessage) error { var v Screen; return json.Unmarshal(r, &v) },
			"Plate":   func(r json.RawMessage) error { var v Plate; return json.Unmarshal(r, &v) },
			"Image": func(r json.RawMessage) error {
				var v Image
				if err := json.Unmarshal(r, &v); err != nil {
					return err
				}
				return v.check()
			},
			"Well": func(r json.RawMessage) error {
				var v Well
				if err := json.Unmarshal(r, &v); err != nil {
					return err
				}
				return v.check()
			},
		}
		for kind, decode := range kinds {
			p, err := parsePage("fuzz", body, kind)
			if err != nil {
				if !errors.Is(err, ErrBadResponse) {
					t.Fatalf("refusal %v is not ErrBadResponse", err)
				}
			} else {
				for _, raw := range p.Data {
					decode(raw)
				}
			}
			var one struct {
				Data json.RawMessage `json:"data"`
			}
			if json.Unmarshal(body, &one) == nil && len(one.Data) > 0 {
				if checkObject(one.Data, kind) == nil {
					decode(one.Data)
				}
			}
		}
		var d ImgData
		json.Unmarshal(body, &d)
	})
}
