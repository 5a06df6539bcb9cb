package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tree makes a work tree with one regular file and every kind of file a
// pull request (or a careless user) could put where a settings file goes.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "ok.yml"), []byte("fail-on: high\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "big.yml"), make([]byte, 2<<20), 0o644))
	must(os.Symlink("/proc/self/environ", filepath.Join(dir, "environ")))
	must(os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")))
	must(os.Symlink("/dev/zero", filepath.Join(dir, "zero")))
	must(os.Symlink("ok.yml", filepath.Join(dir, "inside-link")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	must(os.Mkdir(filepath.Join(dir, "dir"), 0o755))
	must(os.Symlink("/etc", filepath.Join(dir, "etc")))
	return dir
}

func TestReadInTree(t *testing.T) {
	dir := tree(t)
	for _, tc := range []struct {
		name, want string
	}{
		{"ok.yml", ""},
		{"big.yml", "larger than 1 MiB"},
		{"environ", "symbolic link"},
		{"passwd", "symbolic link"},
		{"zero", "symbolic link"},
		{"inside-link", "symbolic link"},
		{"fifo", "named pipe"},
		{"dir", "directory"},
		{"etc/passwd", "out of the repository"},
		{"../outside", "out of the repository"},
		{"missing.yml", "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			b, err := ReadInTree(dir, tc.name, SettingsLimit)
			if time.Since(start) > 2*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
			if tc.want == "" {
				if err != nil || string(b) != "fail-on: high\n" {
					t.Fatalf("= %q, %v", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "root:") {
				t.Errorf("error quotes content: %q", err)
			}
			if tc.name == "missing.yml" && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("missing file: %v is not fs.ErrNotExist", err)
			}
		})
	}
}

func TestRead(t *testing.T) {
	dir := tree(t)
	for _, tc := range []struct{ name, want string }{
		{filepath.Join(dir, "ok.yml"), ""},
		{filepath.Join(dir, "environ"), "symbolic link"},
		{filepath.Join(dir, "fifo"), "named pipe"},
		{"/dev/zero", "device"},
		{"/dev/stdin", "expected a regular file"},
		{"/proc/self/environ", "larger than 10 bytes"},
	} {
		_, err := Read(tc.name, 10<<4)
		if tc.name == "/proc/self/environ" {
			// /proc reports size 0 and then streams: the bound holds anyway.
			_, err = Read(tc.name, 10)
		}
		if tc.want == "" {
			if err != nil {
				t.Errorf("Read(%s): %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%s): error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestReadNamed(t *testing.T) {
	dir := tree(t)
	if _, err := ReadNamed(dir, filepath.Join(dir, "etc", "passwd"), SettingsLimit); err == nil || !strings.Contains(err.Error(), "out of the repository") {
		t.Errorf("a path inside the tree through a link: %v", err)
	}
	if _, err := ReadNamed(dir, filepath.Join(dir, "ok.yml"), SettingsLimit); err != nil {
		t.Errorf("a regular file inside the tree: %v", err)
	}
	other := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(other, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNamed(dir, other, SettingsLimit); err != nil {
		t.Errorf("a file outside the tree: %v", err)
	}
}

func TestAppendAndCreate(t *testing.T) {
	dir := tree(t)
	if err := AppendInTree(dir, "environ", []byte("x\n")); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("append through a link: %v", err)
	}
	if err := AppendInTree(dir, "new", []byte("a\n")); err != nil {
		t.Fatal(err)
	}
	if err := AppendInTree(dir, "new", []byte("b\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "new")); string(b) != "a\nb\n" {
		t.Errorf("appended %q", b)
	}
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "keysweep.sarif")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("{}")); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("write through a link: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
	if err := WriteFile(filepath.Join(dir, "fifo"), []byte("{}")); err == nil {
		t.Error("write to a FIFO: no error")
	}
	if err := WriteFile(filepath.Join(dir, "out.sarif"), []byte("{}")); err != nil {
		t.Error(err)
	}
}

func TestLongLine(t *testing.T) {
	long := strings.Repeat("a", LineLimit+1)
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"a\nb\n", 0},
		{strings.Repeat("a", LineLimit) + "\n", 0},
		{long, 1},
		{"a\n\n" + long + "\nb", 3},
	} {
		if got := LongLine([]byte(tc.in)); got != tc.want {
			t.Errorf("LongLine(%d bytes) = %d, want %d", len(tc.in), got, tc.want)
		}
	}
	if got := LongLineError("x.yml", 3).Error(); got != "x.yml:3: line longer than 64 KiB; expected a settings file of short lines" {
		t.Errorf("LongLineError = %q", got)
	}
}

func TestCheckEntry(t *testing.T) {
	for _, tc := range []struct {
		mode fs.FileMode
		size int64
		want string
	}{
		{0o644, 10, ""},
		{0o755, 10, ""},
		{fs.ModeSymlink | 0o777, 10, ".keysweep.yml: is a symbolic link, which keysweep never follows; expected a regular file"},
		{fs.ModeDir, 0, "is a directory"},
		{0o644, SettingsLimit + 1, ".keysweep.yml: larger than 1 MiB"},
	} {
		err := CheckEntry(".keysweep.yml", tc.mode, tc.size, SettingsLimit)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckEntry(%v, %d) = %v, want %q", tc.mode, tc.size, err, tc.want)
		}
	}
}

// TestAppendRunnerFile: the runner's files (GITHUB_OUTPUT, the step
// summary) are appended to through links, but a FIFO, a device or a
// directory, or a link to one, is refused at once in one line.
func TestAppendRunnerFile(t *testing.T) {
	dir := tree(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("fifo", filepath.Join(dir, "fifo-link")))
	must(os.Symlink("ok.yml", filepath.Join(dir, "ok-link")))
	for _, tc := range []struct{ name, want string }{
		{"ok.yml", ""},
		{"ok-link", ""}, // a link the runner made is followed
		{"missing", ""}, // created, as the runner's own library does
		{"fifo", "named pipe"},
		{"fifo-link", "named pipe"},
		{"zero", "a device"},
		{"dir", "a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- AppendRunnerFile(filepath.Join(dir, tc.name), []byte("x<<EOF\n1\nEOF\n")) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("blocked")
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line saying %q", err, tc.want)
			}
		})
	}
	b, err := os.ReadFile(filepath.Join(dir, "ok.yml"))
	if err != nil || !strings.HasSuffix(string(b), "x<<EOF\n1\nEOF\nx<<EOF\n1\nEOF\n") {
		t.Errorf("ok.yml = %q, %v; want both appends", b, err)
	}
}
