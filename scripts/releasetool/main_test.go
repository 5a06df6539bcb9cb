package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// TestImagePushPull: the image written as a layout has the config
// release.sh checks and the binary it was given; pushed to a registry
// (go-containerregistry's, on a loopback port), an anonymous pull by tag
// gets the same digest, and a tag that names another image is refused.
func TestImagePushPull(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "keysweep")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho keysweep v1.2.3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	certs := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(certs, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	write := func(out string) {
		t.Helper()
		err := writeImage(imageOptions{layout: out, version: "v1.2.3", revision: "abc", source: "https://github.com/keysweep/keysweep",
			certs: certs, created: created, binaries: []string{"linux/amd64=" + bin, "linux/arm64=" + bin}})
		if err != nil {
			t.Fatal(err)
		}
	}
	layoutDir := filepath.Join(dir, "oci")
	write(layoutDir)

	var out bytes.Buffer
	extracted := filepath.Join(dir, "extracted")
	if err := inspectImage(layoutDir, "linux/arm64="+extracted, &out); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Digest    string
		Platforms map[string]struct {
			Entrypoint []string
			User       string
			Labels     map[string]string
			Files      []string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Platforms) != 2 {
		t.Fatalf("platforms: %v", got.Platforms)
	}
	for plat, p := range got.Platforms {
		if strings.Join(p.Entrypoint, " ") != "/keysweep" || p.User != "65532:65532" || p.Labels["org.opencontainers.image.version"] != "v1.2.3" {
			t.Errorf("%s: %+v", plat, p)
		}
		if !strings.Contains(strings.Join(p.Files, "\n"), "home/nonroot 700 65532:65532") {
			t.Errorf("%s: no home for the non-root user in %v", plat, p.Files)
		}
	}
	if b, err := os.ReadFile(extracted); err != nil || !bytes.Equal(b, mustRead(t, bin)) {
		t.Errorf("extracted /keysweep differs from the binary (%v)", err)
	}
	// The same inputs give the same digest.
	again := filepath.Join(dir, "oci2")
	write(again)
	var out2 bytes.Buffer
	if err := inspectImage(again, "", &out2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), out2.Bytes()) {
		t.Errorf("two builds differ:\n%s\n%s", out.Bytes(), out2.Bytes())
	}

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/keysweep/keysweep"
	var pushed bytes.Buffer
	ctx := context.Background()
	if err := push(ctx, layoutDir, []string{repo + ":v1.2.3", repo + ":v1"}, &pushed); err != nil {
		t.Fatal(err)
	}
	if d := strings.TrimSpace(pushed.String()); d != got.Digest {
		t.Fatalf("push printed %s, the layout's index is %s", d, got.Digest)
	}
	var pulled bytes.Buffer
	if err := pullAnonymously(ctx, repo+":v1", got.Digest, &pulled); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(pulled.String(), "pulled "); n != 2 {
		t.Errorf("pulled %d platforms:\n%s", n, pulled.String())
	}
	other := "sha256:" + strings.Repeat("0", 64)
	if err := pullAnonymously(ctx, repo+":v1", other, &pulled); err == nil || !strings.Contains(err.Error(), "not the pushed") {
		t.Errorf("a tag naming another image: %v", err)
	}
	if err := pullAnonymously(ctx, repo+":v9", got.Digest, &pulled); err == nil {
		t.Error("a missing tag pulled")
	}
}

// TestArchiveReproducible: an archive of the same files at the same time is
// the same bytes, whatever the files' own dates.
func TestArchiveReproducible(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "keysweep")
	if err := os.WriteFile(f, []byte("binary"), 0o700); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1700000000, 0).UTC()
	for _, ext := range []string{".tar.gz", ".zip"} {
		a, b := filepath.Join(dir, "a"+ext), filepath.Join(dir, "b"+ext)
		if err := writeArchive(a, []string{"keysweep=" + f}, at); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, time.Now(), time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := writeArchive(b, []string{"keysweep=" + f}, at); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mustRead(t, a), mustRead(t, b)) {
			t.Errorf("%s: two archives of the same files differ", ext)
		}
	}
	if err := writeArchive(filepath.Join(dir, "x.tar.gz"), []string{"../evil=" + f}, at); err == nil {
		t.Error("an entry name with .. was written")
	}
}

// TestSBOM: the SBOM of a Go binary (this test's own) names its main module
// and every module linked in, with go.sum hashes.
func TestSBOM(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "sbom.json")
	if err := writeSBOM(out, exe, "v1.2.3", time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	var bom cdxBOM
	if err := json.Unmarshal(mustRead(t, out), &bom); err != nil {
		t.Fatal(err)
	}
	names := map[string]cdxComponent{}
	for _, c := range bom.Components {
		names[c.Name] = c
	}
	if bom.BOMFormat != "CycloneDX" || bom.Metadata.Component.Name != "github.com/keysweep/keysweep/scripts/releasetool" || bom.Metadata.Component.Version != "v1.2.3" {
		t.Errorf("metadata: %+v", bom.Metadata)
	}
	c, ok := names["github.com/google/go-containerregistry"]
	if !ok || c.Version != "v0.22.1" || c.PURL != "pkg:golang/github.com/google/go-containerregistry@v0.22.1" || len(c.Properties) != 1 || !strings.HasPrefix(c.Properties[0].Value, "h1:") {
		t.Errorf("go-containerregistry: %+v", c)
	}
	if _, ok := names["std"]; !ok {
		t.Error("no std component")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
