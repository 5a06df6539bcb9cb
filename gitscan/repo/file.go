package repo

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// OpenFile opens a file of the repository's git directory for reading:
// a ref, the config, a pack or its index, a loose object. It refuses, in
// one line, anything but a regular file: a FIFO, whose open would wait for
// a writer forever, a device, whose reads never end, or a directory. A
// repository directory someone else prepared (an unpacked archive, a
// shared build workspace) can then make a scan neither hang nor read
// without end. Links are followed, as git follows them.
func OpenFile(path string) (*os.File, fs.FileInfo, error) {
	// Non-blocking, a FIFO opens at once instead of waiting for a writer;
	// the flag does nothing to a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("not a regular file (%s)", kindOf(fi.Mode()))}
	}
	return f, fi, nil
}

// ReadFile reads a whole file with OpenFile's rules, refusing one larger
// than limit bytes.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, fi, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	// Sized from the file, so that a pack index of tens of MB is read in
	// one buffer, not grown and copied a dozen times; a file that grows
	// meanwhile is read up to the limit all the same.
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a plain file"
}
