package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's user: distroless's "nonroot", a uid no host account has.
const (
	imageUID  = 65532
	imageUser = "65532:65532"
)

type imageOptions struct {
	layout, version, revision, source, certs string
	created                                  time.Time
	binaries                                 []string // OS/ARCH=FILE
}

// writeImage writes the multi-platform image as an OCI image layout: one
// image per binary, FROM scratch, holding the binary as /keysweep, the CA
// certificates at the path Go reads them from, an /etc/passwd naming the
// non-root user it runs as, and a /tmp; every file dated created, so the
// same binaries give the same digests.
func writeImage(o imageOptions) error {
	certs, err := os.ReadFile(o.certs)
	if err != nil {
		return fmt.Errorf("CA certificates: %w", err)
	}
	labels := map[string]string{
		"org.opencontainers.image.title":       "keysweep",
		"org.opencontainers.image.description": "Find AWS access keys in git history, tell which are live and whose, audit the account.",
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.revision":    o.revision,
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.created":     o.created.UTC().Format(time.RFC3339),
	}
	var adds []mutate.IndexAddendum
	for _, b := range o.binaries {
		plat, file, ok := strings.Cut(b, "=")
		osName, arch, ok2 := strings.Cut(plat, "/")
		if !ok || !ok2 || osName != "linux" {
			return fmt.Errorf("image binary %q: want linux/ARCH=FILE", b)
		}
		bin, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		layer, err := rootfsLayer(bin, certs, o.created)
		if err != nil {
			return err
		}
		cfg := &v1.ConfigFile{
			Architecture: arch,
			OS:           osName,
			Created:      v1.Time{Time: o.created},
			Config: v1.Config{
				Entrypoint: []string{"/keysweep"},
				User:       imageUser,
				WorkingDir: "/",
				Env:        []string{"PATH=/", "HOME=/home/nonroot", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
				Labels:     labels,
			},
			RootFS: v1.RootFS{Type: "layers"},
		}
		img, err := mutate.ConfigFile(empty.Image, cfg)
		if err != nil {
			return err
		}
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer, History: v1.History{Created: v1.Time{Time: o.created}, CreatedBy: "scripts/release.sh"}})
		if err != nil {
			return err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	if err := os.RemoveAll(o.layout); err != nil {
		return err
	}
	p, err := layout.Write(o.layout, empty.Index)
	if err != nil {
		return err
	}
	ref := strings.NewReplacer("+", "-").Replace(o.version)
	return p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref}))
}

// rootfsLayer is the image's one layer, as an uncompressed tar that
// go-containerregistry compresses.
func rootfsLayer(bin, certs []byte, created time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64, uid int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: uid, Gid: uid, ModTime: created, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(b)), ModTime: created, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", imageUID, imageUID)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", imageUID)
	steps := []func() error{
		func() error { return dir("etc/", 0o755, 0) },
		func() error { return file("etc/passwd", 0o644, []byte(passwd)) },
		func() error { return file("etc/group", 0o644, []byte(group)) },
		func() error { return dir("etc/ssl/", 0o755, 0) },
		func() error { return dir("etc/ssl/certs/", 0o755, 0) },
		func() error { return file("etc/ssl/certs/ca-certificates.crt", 0o644, certs) },
		func() error { return dir("home/", 0o755, 0) },
		func() error { return dir("home/nonroot/", 0o700, imageUID) },
		func() error { return dir("tmp/", 0o1777, 0) },
		func() error { return file("keysweep", 0o755, bin) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, tarball.WithMediaType(types.OCILayer))
}

// imageIndex is the image index the layout holds (release.sh's layout has
// exactly one).
func imageIndex(dir string) (v1.ImageIndex, error) {
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	m, err := top.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 || !m.Manifests[0].MediaType.IsIndex() {
		return nil, fmt.Errorf("%s: want one image index in the layout, found %d entries", dir, len(m.Manifests))
	}
	return top.ImageIndex(m.Manifests[0].Digest)
}

// inspectImage prints, as JSON, the index's digest and for each platform
// the config release.sh checks; with extract=OS/ARCH=FILE it also writes
// that platform's /keysweep to FILE.
func inspectImage(dir, extract string, stdout io.Writer) error {
	idx, err := imageIndex(dir)
	if err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	type platform struct {
		Digest     string            `json:"digest"`
		Entrypoint []string          `json:"entrypoint"`
		User       string            `json:"user"`
		Labels     map[string]string `json:"labels"`
		Files      []string          `json:"files"`
	}
	out := struct {
		Digest    string              `json:"digest"`
		MediaType string              `json:"mediaType"`
		Platforms map[string]platform `json:"platforms"`
	}{Digest: digest.String(), MediaType: string(im.MediaType), Platforms: map[string]platform{}}
	wantPlat, wantFile, _ := strings.Cut(extract, "=")
	extracted := false
	for _, d := range im.Manifests {
		if d.Platform == nil {
			return fmt.Errorf("manifest %s has no platform", d.Digest)
		}
		plat := d.Platform.OS + "/" + d.Platform.Architecture
		img, err := idx.Image(d.Digest)
		if err != nil {
			return err
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return err
		}
		if cfg.OS+"/"+cfg.Architecture != plat {
			return fmt.Errorf("%s: the config says %s/%s", plat, cfg.OS, cfg.Architecture)
		}
		var files []string
		rc := mutate.Extract(img)
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				return err
			}
			files = append(files, fmt.Sprintf("%s %o %d:%d", h.Name, h.Mode, h.Uid, h.Gid))
			if plat == wantPlat && h.Name == "keysweep" {
				if err := writeExecutable(wantFile, tr); err != nil {
					rc.Close()
					return err
				}
				extracted = true
			}
		}
		rc.Close()
		out.Platforms[plat] = platform{Digest: d.Digest.String(), Entrypoint: cfg.Config.Entrypoint, User: cfg.Config.User, Labels: cfg.Config.Labels, Files: files}
	}
	if extract != "" && !extracted {
		return fmt.Errorf("no /keysweep for %s in the image", wantPlat)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeExecutable(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// push uploads the layout's image index to each REF (the registry's login
// from docker's config or the environment's keychain) and prints its
// digest.
func push(ctx context.Context, dir string, refs []string, stdout io.Writer) error {
	idx, err := imageIndex(dir)
	if err != nil {
		return err
	}
	for _, r := range refs {
		ref, err := name.ParseReference(r, name.StrictValidation)
		if err != nil {
			return err
		}
		if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return fmt.Errorf("push %s: %w", r, err)
		}
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, d)
	return nil
}

// pullAnonymously fetches REF (a tag) without credentials, checks that it
// names the image index want, and fetches every platform's manifest, config
// and layers, as a user's `docker pull` would: a private package, a tag
// that moved or a missing blob fails here rather than in users' jobs.
func pullAnonymously(ctx context.Context, r, want string, stdout io.Writer) error {
	ref, err := name.ParseReference(r, name.StrictValidation)
	if err != nil {
		return err
	}
	idx, err := remote.Index(ref, remote.WithContext(ctx), remote.WithAuth(authn.Anonymous))
	if err != nil {
		return fmt.Errorf("anonymous pull of %s: %w", r, err)
	}
	got, err := idx.Digest()
	if err != nil {
		return err
	}
	if got.String() != want {
		return fmt.Errorf("%s is %s, not the pushed %s", r, got, want)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil {
				return fmt.Errorf("anonymous pull of %s (%s): %w", r, d.Platform, err)
			}
		}
		fmt.Fprintf(stdout, "pulled %s %s anonymously\n", d.Platform, d.Digest)
	}
	return nil
}
