//go:build unix

package repo

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenFileRefusesWhatIsNotAFile: a FIFO must not block the open, a
// device must not be read without end.
func TestOpenFileRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
	}{
		{fifo, "a FIFO"},
		{zero, "a device"},
		{dir, "a directory"},
		{plain, ""},
	} {
		start := time.Now()
		b, err := ReadFile(tc.path, 1<<20)
		if time.Since(start) > 2*time.Second {
			t.Errorf("%s: took %s", tc.path, time.Since(start))
		}
		switch {
		case tc.want == "" && (err != nil || string(b) != "ref: refs/heads/main\n"):
			t.Errorf("%s: %q, %v", tc.path, b, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), "not a regular file ("+tc.want+")")):
			t.Errorf("%s: error %v, want one naming %s", tc.path, err, tc.want)
		}
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big, 99); err == nil || !strings.Contains(err.Error(), "larger than 99 bytes") {
		t.Errorf("a file over the limit: %v", err)
	}
}
