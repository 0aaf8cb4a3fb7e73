// Package ijtest has ImageJ itself read a RoiSet.zip, for the tests of
// render/ijroi and wrappers: the proof that Fiji understands what we write
// is ImageJ's own decoder, not ours.
package ijtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Dump has ImageJ (ij.io.RoiDecoder, fed as its ROI Manager feeds it)
// read set and returns the lines render/ijroi/testdata/RoiSetDump.java
// prints, one per ROI (label, class, type, box, c/z/t, name, ...,
// tab-separated). ImageJ is $IJ_JAR or Debian's package (apt-get install
// imagej default-jdk-headless); where it or a JDK is missing the test is
// skipped, saying so loudly.
func Dump(t testing.TB, set []byte) []string {
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
	_, self, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(self), "..", "testdata", "RoiSetDump.java")
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("the ImageJ driver: %v (built with -trimpath?)", err)
	}
	path := filepath.Join(t.TempDir(), "RoiSet.zip") // ijroi.SetName; importing ijroi would make its own tests a cycle
	if err := os.WriteFile(path, set, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "java", "-Djava.awt.headless=true", "-cp", jar, src, path).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "jdk.compiler") {
			t.Skipf("SKIPPING the ImageJ check: this java cannot run a source file (install a JDK): %s", out)
		}
		t.Fatalf("ImageJ: %v\n%s", err, out)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}
