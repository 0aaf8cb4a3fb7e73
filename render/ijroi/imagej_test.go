package ijroi

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ijJar finds ImageJ: $IJ_JAR, or Debian's package (apt-get install imagej
// default-jdk-headless).
func ijJar(t *testing.T) string {
	t.Helper()
	jar := os.Getenv("IJ_JAR")
	if jar == "" {
		jar = "/usr/share/java/ij.jar"
	}
	if _, err := os.Stat(jar); err != nil {
		t.Skipf("SKIPPING the ImageJ check: no ImageJ at %s (apt-get install imagej, or set IJ_JAR)", jar)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("SKIPPING the ImageJ check: no java on PATH")
	}
	return jar
}

// TestImageJReadsSet has ImageJ itself (ij.io.RoiDecoder, fed as its ROI
// Manager feeds it) read a set holding every kind of ROI, and compares what
// it understood with what was written.
func TestImageJReadsSet(t *testing.T) {
	jar := ijJar(t)
	rois := sample()
	b, err := Set(rois)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), SetName)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	src, _ := filepath.Abs("testdata/RoiSetDump.java")
	cmd := exec.CommandContext(ctx, "java", "-Djava.awt.headless=true", "-cp", jar, src, path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "jdk.compiler") {
			t.Skipf("SKIPPING the ImageJ check: this java cannot run a source file (install a JDK): %s", out)
		}
		t.Fatalf("ImageJ: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(rois) {
		t.Fatalf("ImageJ read %d ROIs, want %d:\n%s", len(lines), len(rois), out)
	}
	names := EntryNames(rois)
	for i, r := range rois {
		got := strings.Split(lines[i], "\t")
		want := expectFromImageJ(r, strings.TrimSuffix(names[i], ".roi"))
		if len(got) != len(want) {
			t.Errorf("ROI %d: ImageJ said %q", i, lines[i])
			continue
		}
		for k := range want {
			if !matches(got[k], want[k]) {
				t.Errorf("ROI %d (%s %q) field %d: ImageJ %q, want %q\n  %s", i, r.Kind, r.Name, k, got[k], want[k], lines[i])
			}
		}
	}
}

// expectFromImageJ is the line RoiSetDump.java should print for r; a "*"
// at the end of a field stands for what ImageJ chooses itself (the box of a
// line, polygon or text).
func expectFromImageJ(r ROI, label string) []string {
	class := map[Kind]string{Rect: "Roi", Oval: "OvalRoi", Polygon: "PolygonRoi", Polyline: "PolygonRoi",
		Line: "Line", Point: "PointRoi", Text: "TextRoi"}[r.Kind]
	typ := map[Kind]string{Rect: "Rectangle", Oval: "Oval", Polygon: "Polygon", Polyline: "Polyline",
		Line: "Straight Line", Point: "Point", Text: "Text"}[r.Kind]
	box, pts, text := "*", "", ""
	switch r.Kind {
	case Rect, Oval:
		box = jf(r.X) + "," + jf(r.Y) + "," + jf(r.Width) + "," + jf(r.Height)
	case Text:
		box = jf(r.X) + "," + jf(r.Y) + ",*" // ImageJ sizes the box from the font
		text = r.Text
	case Line:
		pts = jf(r.X1) + "," + jf(r.Y1) + " " + jf(r.X2) + "," + jf(r.Y2)
	default:
		var p []string
		for i := range r.XS {
			p = append(p, jf(r.XS[i])+","+jf(r.YS[i]))
		}
		pts = strings.Join(p, " ")
	}
	name := r.Name
	if name == "" {
		name = label
	}
	width := jf(r.StrokeWidth)
	return []string{label, class, typ, box, fmt.Sprintf("%d,%d,%d", r.C, r.Z, r.T), name,
		jcolor(r.StrokeColor), jcolor(r.FillColor), width, pts, text}
}

func matches(got, want string) bool {
	if p, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, p)
	}
	return got == want
}

// jf prints a number as Java prints a double that came from a float.
func jf(v float64) string {
	s := strconv.FormatFloat(float64(float32(v)), 'f', -1, 32)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func jcolor(c uint32) string {
	if c == 0 {
		return "none"
	}
	return fmt.Sprintf("%08x", c)
}
