// Package safefile reads the files a scan takes its settings from —
// .keysweep.yml, .keysweepignore, --known-keys, --baseline, the event
// payload — as hostile input. A pull request controls the repository's
// files: it can make .keysweepignore a symbolic link to /proc/self/environ,
// .keysweep.yml a FIFO or a link to /dev/zero. So a file is read only if
// it is a regular file, reached without following a symbolic link (and,
// inside the repository, without leaving it), opened so that a FIFO or a
// device cannot block, and no larger than a bound. Every refusal is one
// line naming the file and what it is, never its content.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keysweep/keysweep/internal/fileerr"
)

// Bounds of the files keysweep reads. Settings are written by people;
// inventories and reports by programs, and may be large.
const (
	SettingsLimit = 1 << 20   // .keysweep.yml, .keysweepignore
	EventLimit    = 64 << 20  // GITHUB_EVENT_PATH (GitHub caps payloads at 25 MB)
	KnownKeyLimit = 64 << 20  // --known-keys
	BaselineLimit = 256 << 20 // --baseline (a JSON report)
	// LineLimit is the longest line of a settings file.
	LineLimit = 64 << 10
)

// ReadInTree reads the file rel inside the directory root (the
// repository's work tree): a regular file reached without following any
// symbolic link out of root and without following one at all in its last
// element, of at most limit bytes. A missing file is an error that
// errors.Is(err, fs.ErrNotExist).
func ReadInTree(root, rel string, limit int64) ([]byte, error) {
	name := filepath.Join(root, rel)
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	defer r.Close()
	fi, err := r.Lstat(rel)
	if err != nil {
		return nil, describe(name, err)
	}
	if err := regular(name, fi); err != nil {
		return nil, err
	}
	f, err := r.OpenFile(rel, readFlags, 0)
	if err != nil {
		return nil, describe(name, err)
	}
	defer f.Close()
	return read(name, f, fi, limit)
}

// Read reads the file at name, one the user named (--config, --known-keys,
// --baseline, the runner's event payload): a regular file that is not a
// symbolic link, of at most limit bytes, opened so that it cannot block.
// The directories on the way are the user's choice and are followed.
// os.DevNull reads as an empty file.
func Read(name string, limit int64) ([]byte, error) {
	if name == os.DevNull {
		// "--config /dev/null": the usual way to say "no settings", and
		// a device that can neither block nor stream.
		return nil, nil
	}
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, describe(name, err)
	}
	if err := regular(name, fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, readFlags, 0)
	if err != nil {
		return nil, describe(name, err)
	}
	defer f.Close()
	return read(name, f, fi, limit)
}

// ReadNamed reads a file the user named: with ReadInTree's rules when it
// is inside root (so a committed path cannot lead out of the tree), with
// Read's otherwise. root "" means there is no tree.
func ReadNamed(root, name string, limit int64) ([]byte, error) {
	if rel, ok := within(root, name); ok {
		b, err := ReadInTree(root, rel, limit)
		var fe *fileerr.Error
		if errors.As(err, &fe) {
			fe.File = name // the name the user gave
		}
		return b, err
	}
	return Read(name, limit)
}

// within returns name relative to root when it lies inside it.
func within(root, name string) (string, bool) {
	if root == "" {
		return "", false
	}
	absRoot, err1 := filepath.Abs(root)
	absName, err2 := filepath.Abs(name)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(absRoot, absName)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

// read reads at most limit bytes of f, first checking that the file
// opened is still the one fi describes: a file swapped for a link or a
// FIFO between the two calls is refused.
func read(name string, f *os.File, fi fs.FileInfo, limit int64) ([]byte, error) {
	got, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !os.SameFile(fi, got) {
		return nil, &fileerr.Error{File: name, Msg: "the file changed while it was opened; expected a regular file"}
	}
	if err := regular(name, got); err != nil {
		return nil, err
	}
	if got.Size() > limit {
		return nil, tooLarge(name, limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(name, limit)
	}
	return b, nil
}

func tooLarge(name string, limit int64) error {
	return &fileerr.Error{File: name, Msg: fmt.Sprintf("larger than %s, the most keysweep reads from such a file", Size(limit))}
}

// regular refuses everything but a regular file, saying what it is.
func regular(name string, fi fs.FileInfo) error {
	what := ""
	switch m := fi.Mode(); {
	case m.IsRegular():
		return nil
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link, which keysweep never follows"
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = "not a regular file"
	}
	return &fileerr.Error{File: name, Msg: "is " + what + "; expected a regular file"}
}

// describe keeps fs.ErrNotExist visible to callers, for which a missing
// file may be no error, and says "link" for the error O_NOFOLLOW gives.
func describe(name string, err error) error {
	var pe *fs.PathError
	if errors.Is(err, fs.ErrNotExist) && errors.As(err, &pe) {
		return fmt.Errorf("open %s: %w", name, pe.Err)
	}
	if isLoop(err) {
		return &fileerr.Error{File: name, Msg: "is a symbolic link, which keysweep never follows; expected a regular file"}
	}
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return &fileerr.Error{File: name, Msg: "leads out of the repository through a symbolic link; expected a regular file inside it"}
	}
	return fmt.Errorf("open %s: %w", name, err)
}

// Size formats a bound for messages: 64 KiB, 1 MiB.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// LongLine returns the number of the first line of b longer than
// LineLimit bytes, 0 if none is.
func LongLine(b []byte) int {
	line := 1
	for len(b) > 0 {
		i := indexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if i > LineLimit {
			return line
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
		line++
	}
	return 0
}

// LongLineError is the FILE:LINE error for a line longer than LineLimit.
func LongLineError(name string, line int) error {
	return &fileerr.Error{File: name, Line: line, Msg: fmt.Sprintf("line longer than %s; expected a settings file of short lines", Size(LineLimit))}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// AppendInTree appends b to the file rel inside root, creating it if it is
// missing, with ReadInTree's rules: never through a symbolic link, never
// to anything but a regular file (`keysweep ignore` must not write into
// the file a committed .keysweepignore link points at).
func AppendInTree(root, rel string, b []byte) error {
	name := filepath.Join(root, rel)
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("open %s: %w", root, err)
	}
	defer r.Close()
	if fi, err := r.Lstat(rel); err == nil {
		if err := regular(name, fi); err != nil {
			return err
		}
	}
	f, err := r.OpenFile(rel, appendFlags, 0o644)
	if err != nil {
		return describe(name, err)
	}
	return writeRegular(name, f, b)
}

// Create creates or truncates the file at name for a report: a regular
// file or none, never a symbolic link (a committed keysweep.sarif link
// must not make the action write elsewhere), never a FIFO or device.
func Create(name string) (*os.File, error) {
	if fi, err := os.Lstat(name); err == nil {
		if err := regular(name, fi); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(name, createFlags, 0o644)
	if err != nil {
		return nil, describe(name, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fileerr.Error{File: name, Msg: "is not a regular file; expected a regular file or none"}
	}
	return f, nil
}

// AppendRunnerFile appends b to name, a file the CI runner provides for
// the step to write (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY). Its path comes
// from the runner, not the repository, so a symbolic link to a regular
// file is followed; anything else (a FIFO, a device, a directory, a link
// to one) is refused in one line, and the open never blocks: a FIFO
// without a reader would otherwise hang the step until the job's timeout.
func AppendRunnerFile(name string, b []byte) error {
	if fi, err := os.Stat(name); err == nil {
		if err := regular(name, fi); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(name, runnerFlags, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	return writeRegular(name, f, b)
}

// WriteFile writes b to name as Create opens it.
func WriteFile(name string, b []byte) error {
	f, err := Create(name)
	if err != nil {
		return err
	}
	return writeRegular(name, f, b)
}

func writeRegular(name string, f *os.File, b []byte) error {
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = regular(name, fi)
	}
	if err == nil {
		_, err = f.Write(b)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// CheckEntry applies the rules of ReadInTree to a settings file taken
// from a git tree instead of the work tree (the base commit's
// .keysweep.yml, say): mode is the entry's mode as an fs.FileMode (go-git:
// filemode.ToOSFileMode), size the blob's size. A symbolic link or a
// submodule is refused as ReadInTree refuses them, and a blob over limit
// before it is read.
func CheckEntry(name string, mode fs.FileMode, size, limit int64) error {
	if !mode.IsRegular() {
		return regular(name, fakeInfo{mode})
	}
	if size > limit {
		return tooLarge(name, limit)
	}
	return nil
}

// fakeInfo is the part of fs.FileInfo regular reads.
type fakeInfo struct{ mode fs.FileMode }

func (f fakeInfo) Name() string       { return "" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fakeInfo) Sys() any           { return nil }

// Append appends b to the file at name, one the user named (an audit log),
// creating it readable by its owner only if it is missing: never through a
// symbolic link, never to a FIFO, device or directory. One write of a
// line to a file opened for appending lands whole, so several processes
// can log to one file.
func Append(name string, b []byte) error {
	if fi, err := os.Lstat(name); err == nil {
		if err := regular(name, fi); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(name, appendFlags, 0o600)
	if err != nil {
		return describe(name, err)
	}
	return writeRegular(name, f, b)
}
