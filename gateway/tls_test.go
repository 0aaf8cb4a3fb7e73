package gateway

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/omerofs/omerofs/testserver"
)

// TestTLSVerifiedByDefault: a server with a certificate nobody vouches for
// is refused unless Insecure is asked for; login over HTTPS (with its
// Referer check) works then.
func TestTLSVerifiedByDefault(t *testing.T) {
	hs := httptest.NewTLSServer(testserver.New(testserver.Options{}))
	defer hs.Close()
	_, err := Connect(context.Background(), Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an unverifiable certificate was accepted: %v", err)
	}
	c, err := Connect(context.Background(), Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Insecure: true, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("with Insecure: %v", err)
	}
	defer c.Close()
	if ps, err := c.Projects(context.Background()); err != nil || len(ps) == 0 {
		t.Fatalf("projects over HTTPS: %d, %v", len(ps), err)
	}
}
