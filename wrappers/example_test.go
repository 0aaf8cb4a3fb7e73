package wrappers_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/testserver"
	"github.com/omerofs/omerofs/wrappers"
)

// shortImage extends the standard Image wrapper: its Name, from which the
// mount makes the file name (Name + ".png"), drops the original file's
// extension, so that "stack.tif" shows as "stack.png", not "stack.tif.png".
type shortImage struct {
	*wrappers.Image
}

func (im shortImage) Name() string {
	return strings.TrimSuffix(im.Image.Name(), path.Ext(im.Image.Name()))
}

// ExampleRegistry replaces the wrapper of OMERO's Image type, as
// omero.gateway.refreshWrappers lets Python users do: every image the
// client lists or looks up is then a shortImage.
func ExampleRegistry() {
	srv := httptest.NewServer(testserver.New(testserver.Options{}))
	defer srv.Close()
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	ctx := context.Background()
	conn, err := gateway.Connect(ctx, gateway.Config{BaseURL: srv.URL, Username: "demo", Password: "demo", Logger: log})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	reg := wrappers.DefaultRegistry()
	reg.Register("Image", func(c *wrappers.Client, raw any) (wrappers.Object, error) {
		im, err := wrappers.NewImage(c, raw.(*gateway.Image))
		if err != nil {
			return nil, err
		}
		return shortImage{im}, nil
	})
	client := wrappers.NewClient(conn, reg)
	images, err := client.OrphanedImages(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range images {
		fmt.Printf("%T %s\n", o, o.Name())
	}
	// Output:
	// wrappers_test.shortImage Big slide
	// wrappers_test.shortImage orphan
	// wrappers_test.shortImage orphan
	// wrappers_test.shortImage stack
}
