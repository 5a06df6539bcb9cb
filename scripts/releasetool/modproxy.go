package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// writeModProxy lays out SRC as version V of module PATH in a GOPROXY
// directory (PATH/@v/list, V.info, V.mod, V.zip), the way the module proxy
// serves a tag, so `go install PATH/cmd/x@V` can be tried from a file://
// proxy, offline, before the tag exists. The zip is made by x/mod's zip
// package, with the go command's own rules for what a module holds.
func writeModProxy(out, path, version string, created time.Time, src string) error {
	escaped, err := module.EscapePath(path)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, created.UTC()})
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{"list": []byte(version + "\n"), version + ".info": info, version + ".mod": mod} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	f, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		return err
	}
	if err := zip.CreateFromDir(f, module.Version{Path: path, Version: version}, src); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
