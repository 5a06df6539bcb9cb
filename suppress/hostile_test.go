package suppress

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestIgnoreFileHostile(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY1"
	environ := "AWS_SECRET_ACCESS_KEY=" + secret + "\x00INPUT_TOKEN=ghs_0123456789abcdefABCDEF0123456789ab\x00"
	_, err := ParseIgnores("f", strings.NewReader(environ))
	if err == nil || strings.Contains(err.Error(), secret[:8]) || strings.Contains(err.Error(), "ghs_") {
		t.Errorf("a copy of the environment: %v", err)
	}
	long := "0123456789abcdef0123456789abcdef # ok\n" + strings.Repeat("x", 70<<10) + "\n"
	if _, err := ParseIgnores("f", strings.NewReader(long)); err == nil || err.Error() != "f:2: line longer than 64 KiB; expected a settings file of short lines" {
		t.Errorf("long line: %v", err)
	}

	dir := t.TempDir()
	if err := os.Symlink("/proc/self/environ", filepath.Join(dir, IgnoreFileName)); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIgnores(filepath.Join(dir, IgnoreFileName)); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("link to /proc/self/environ: %v", err)
	}
	if _, err := Append(dir, Ignore{Fingerprint: strings.Repeat("a", 32), Reason: "r"}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("keysweep ignore through a link: %v", err)
	}

	fifo := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifo, IgnoreFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := ReadIgnores(filepath.Join(fifo, IgnoreFileName)); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("FIFO: %v", err)
	}
	if _, err := ReadBaseline("/dev/zero"); err == nil || !strings.Contains(err.Error(), "device") {
		t.Errorf("--baseline /dev/zero: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

// FuzzParseIgnores: any ignore file is entries or one FILE:LINE line.
func FuzzParseIgnores(f *testing.F) {
	for _, s := range []string{"", "# c\n", "0123456789abcdef0123456789abcdef until=2030-01-01 # reason\n", "0123456789abcdef0123456789abcdef\n",
		"0123456789ABCDEF0123456789ABCDEF # r\n", "x until=2030-13-01 # r", "AWS_SECRET_ACCESS_KEY=abc\x00PATH=/bin\x00", "\xff#\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		igs, err := ParseIgnores("f", strings.NewReader(s))
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "f:") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one FILE:LINE line", msg)
			}
			return
		}
		for _, ig := range igs.Entries {
			if !ValidFingerprint(ig.Fingerprint) || ig.Reason == "" || ig.Line < 1 {
				t.Fatalf("bad entry %+v", ig)
			}
		}
	})
}
