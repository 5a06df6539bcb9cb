package decode

import (
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
)

// zipMethods names the compression methods of zip members (APPNOTE
// 4.4.5) that Expand reads beyond Store and Deflate, and those it names
// in a gap.
var zipMethods = map[uint16]string{
	9:  "Deflate64",
	12: "bzip2",
	14: "LZMA",
	93: "zstd",
	95: "xz",
	98: "PPMd",
	99: "AES-encrypted",
}

// zip reads the members of the zip archive b (which may have other data
// in front: an executable jar, a self-extracting archive). A member it
// cannot read (encrypted, a compression method no library here reads) is
// a gap naming the member and why.
func (x *expander) zip(path, how string, b []byte, depth int) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return
	}
	for _, f := range zr.File {
		if x.stopped {
			return
		}
		if f.FileInfo().IsDir() || !x.entry(path) {
			continue
		}
		name := inner(path, f.Name)
		r, closer, err := openMember(f)
		if err != nil {
			x.gap(name, "zip member not read: %v", err)
			continue
		}
		data, _ := x.readAll(name, r)
		closer()
		x.expand(name, how, data, depth+1)
	}
}

// openMember returns a reader of a zip member's content.
func openMember(f *zip.File) (io.Reader, func(), error) {
	nop := func() {}
	if f.Flags&1 != 0 {
		return nil, nop, errors.New("encrypted")
	}
	switch f.Method {
	case zip.Store, zip.Deflate:
		rc, err := f.Open()
		if err != nil {
			return nil, nop, err
		}
		return rc, func() { rc.Close() }, nil
	case 12, 14, 93, 95:
		raw, err := f.OpenRaw()
		if err != nil {
			return nil, nop, err
		}
		switch f.Method {
		case 12:
			return bzip2.NewReader(raw), nop, nil
		case 14:
			r, err := lzmaReader(raw, f.UncompressedSize64)
			return r, nop, err
		}
		// In memory (it is part of the blob), so that the xz reader can
		// fit its dictionary to the member (see fitXZDict).
		data, err := io.ReadAll(raw)
		if err != nil {
			return nil, nop, err
		}
		if f.Method == 93 {
			return newDecompressor("zstd", bytes.NewReader(data))
		}
		return newDecompressor("xz", bytes.NewReader(data))
	}
	if m, ok := zipMethods[f.Method]; ok {
		return nil, nop, errors.New("compression method " + m + " is not supported")
	}
	return nil, nop, fmt.Errorf("unknown compression method %d", f.Method)
}
