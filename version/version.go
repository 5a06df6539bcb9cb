// Package version says which keysweep this is: the version a release build
// stamps in with -ldflags, else the module version `go install` records,
// else "dev" with the VCS revision the build saw.
package version

import (
	"runtime/debug"
	"strings"
)

// stamped is set by release builds:
//
//	go build -ldflags "-X github.com/keysweep/keysweep/version.stamped=v1.2.3" ./cmd/keysweep
//
// It is a variable only because -X can set nothing else; read it through
// String.
var stamped string

// String is keysweep's version: "v1.2.3" for a release or `go install
// …@v1.2.3`, else "dev" followed by the commit the binary was built from
// (and "-dirty" for uncommitted changes) when the build recorded one.
func String() string {
	info, _ := debug.ReadBuildInfo()
	return resolve(stamped, info)
}

// resolve is String's decision, apart from the process for tests.
func resolve(stamped string, info *debug.BuildInfo) string {
	if v := strings.TrimSpace(stamped); v != "" {
		return v
	}
	if info == nil {
		return "dev"
	}
	// `go install github.com/keysweep/keysweep/cmd/keysweep@v1.2.3`
	// records the module's version; a build in a checkout records
	// "(devel)", or since Go 1.24 a pseudo-version derived from VCS tags,
	// which is as honest a version as any.
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "dev+" + rev
	if modified == "true" {
		v += "-dirty"
	}
	return v
}
