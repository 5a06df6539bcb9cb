package decode

import (
	"archive/tar"
	"bytes"
	"io"
	"strconv"
)

const block = 512

// tar reads the members of the tar archive b: every member that holds
// file data (regular, contiguous '7', GNU sparse, and types tar does not
// know, which GNU tar extracts as regular files). Where archive/tar stops
// at a header, reading resumes as GNU tar does: an extended header it
// refuses (a PAX header of MiBs) is stepped over, and after a damaged
// header (its checksum wrong) the next valid header is looked for block
// by block; the member a damaged header started is a gap.
func (x *expander) tar(path, how string, b []byte, depth int) {
	start := 0 // where the current tar.Reader started
	for !x.stopped && start < len(b) {
		br := bytes.NewReader(b[start:])
		tr := tar.NewReader(br)
		pos := func() int { return len(b) - br.Len() }
		next := start // where the next header starts
		var failed bool
		for !x.stopped {
			h, err := tr.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				failed = true
				break
			}
			if h.Typeflag == tar.TypeDir || !x.entry(path) {
				next = roundBlock(pos())
				continue
			}
			name := inner(path, h.Name)
			data, _ := x.readAll(name, tr)
			x.expand(name, how, data, depth+1)
			next = roundBlock(pos())
		}
		if !failed {
			return
		}
		start = x.resync(path, b, next)
	}
}

// resync returns where reading resumes after archive/tar failed at the
// header at h (or at a header after h that started with extended
// headers).
func (x *expander) resync(path string, b []byte, h int) int {
	for o := h; o+block <= len(b); {
		hdr := b[o : o+block]
		if !validHeader(hdr) {
			if o == h {
				// Damaged: as GNU tar, skip to the next valid header.
				n := o + block
				for n+block <= len(b) && !validHeader(b[n:n+block]) {
					n += block
				}
				x.gap(path, "tar header at byte %d is damaged (checksum); the member it starts is not read, reading resumes at byte %d", o, n)
				return n
			}
			return o
		}
		size, ok := octal(hdr[124:136])
		if !ok {
			size = 0
		}
		switch hdr[156] {
		case 'x', 'g', 'L', 'K':
			// An extended header archive/tar refused (too large): its
			// member is read without it, under its own header's name.
			o += block + roundBlock(int(min(size, int64(len(b)))))
			continue
		}
		if o == h {
			// A header archive/tar cannot parse (a field out of range):
			// its member is not read.
			x.gap(path, "tar header at byte %d is not readable; the member it starts is not read", o)
			if int64(len(b)-o) < size {
				return len(b)
			}
			return o + block + roundBlock(int(size))
		}
		return o
	}
	return len(b)
}

// validHeader reports whether hdr is a tar header: not all zeros, and its
// checksum (the sum of its bytes, the checksum field counted as spaces,
// unsigned or signed as old tars had it) right.
func validHeader(hdr []byte) bool {
	want, ok := octal(hdr[148:156])
	if !ok {
		return false
	}
	var unsigned, signed int64
	for i, c := range hdr {
		if 148 <= i && i < 156 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return unsigned != 8*' ' && (want == unsigned || want == signed)
}

// octal parses a NUL- or space-terminated octal field.
func octal(f []byte) (int64, bool) {
	f = bytes.Trim(f, " \x00")
	if len(f) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(f), 8, 64)
	return n, err == nil && n >= 0
}

func roundBlock(n int) int { return (n + block - 1) / block * block }
