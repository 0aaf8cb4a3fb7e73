package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServeDemoWebVersion: serve-demo --web-version makes the demo server
// behave as that OMERO.web release (imgData of a pyramid has "resolutions"
// only from 5.31), and refuses a release it does not know.
func TestServeDemoWebVersion(t *testing.T) {
	code, _, errOut := run(t, nil, "serve-demo", "--web-version", "5.7")
	if code != 2 || !strings.Contains(errOut, "5.6, 5.20, 5.31") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("unknown version: exit %d, %q", code, errOut)
	}
	for _, v := range []string{"5.20", "5.31"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, omerofsBinary(t), "serve-demo", "--listen", addr, "--web-version", v, "--log-level", "warn")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		deadline := time.Now().Add(30 * time.Second)
		for {
			// The public user sees the demo's pyramid, "Big slide.svs".
			resp, err := http.Get(fmt.Sprintf("http://%s/api/v0/m/images/?orphaned=true", addr))
			if err == nil {
				var list struct {
					Data []struct {
						ID   int64  `json:"@id"`
						Name string `json:"Name"`
					} `json:"data"`
				}
				json.NewDecoder(resp.Body).Decode(&list)
				resp.Body.Close()
				for _, im := range list.Data {
					if im.Name == "Big slide.svs" {
						r, err := http.Get(fmt.Sprintf("http://%s/webgateway/imgData/%d/", addr, im.ID))
						if err == nil {
							json.NewDecoder(r.Body).Decode(&d)
							r.Body.Close()
						}
					}
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve-demo did not start: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		cancel()
		cmd.Wait()
		if d == nil {
			t.Fatalf("%s: no imgData for Big slide.svs", v)
		}
		if _, has := d["resolutions"]; has != (v == "5.31") || d["zoomLevelScaling"] == nil {
			t.Errorf("%s: resolutions present %v, zoomLevelScaling %v", v, has, d["zoomLevelScaling"])
		}
	}
}
