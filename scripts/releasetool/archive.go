package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// writeArchive writes OUT (.tar.gz or .zip) holding each FILE under its
// NAME, in the order given, dated created, owned by root: the same inputs
// give the same bytes. A NAME without a dot-extension or ending in .exe is
// executable.
func writeArchive(out string, entries []string, created time.Time) error {
	type entry struct{ name, file string }
	var list []entry
	for _, e := range entries {
		name, file, ok := strings.Cut(e, "=")
		if !ok || name == "" || strings.Contains(name, "..") {
			return fmt.Errorf("archive entry %q: want NAME=FILE", e)
		}
		list = append(list, entry{name, file})
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	mode := func(name string) int64 {
		if !strings.Contains(name, ".") || strings.HasSuffix(name, ".exe") {
			return 0o755
		}
		return 0o644
	}
	switch {
	case strings.HasSuffix(out, ".tar.gz"):
		gz, err := gzip.NewWriterLevel(f, gzip.BestCompression)
		if err != nil {
			return err
		}
		tw := tar.NewWriter(gz)
		for _, e := range list {
			b, err := os.ReadFile(e.file)
			if err != nil {
				return err
			}
			hdr := &tar.Header{Name: e.name, Mode: mode(e.name), Size: int64(len(b)), ModTime: created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := tw.Write(b); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		if err := gz.Close(); err != nil {
			return err
		}
	case strings.HasSuffix(out, ".zip"):
		zw := zip.NewWriter(f)
		for _, e := range list {
			src, err := os.Open(e.file)
			if err != nil {
				return err
			}
			hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: created}
			hdr.SetMode(os.FileMode(mode(e.name)))
			w, err := zw.CreateHeader(hdr)
			if err == nil {
				_, err = io.Copy(w, src)
			}
			src.Close()
			if err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s: want .tar.gz or .zip", out)
	}
	return f.Close()
}
