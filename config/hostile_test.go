package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHostileFiles(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY1"
	for _, tt := range []struct {
		name, in, want string
	}{
		{"second document", "fail-on: high\n---\nfail-on: none\n", "x.yml:2: a second YAML document"},
		{"explicit document start", "---\nfail-on: high\n", ""},
		{"long line", "fail-on: high\nexclude-paths: [" + strings.Repeat("a", 70<<10) + "]\n", "x.yml:2: line longer than 64 KiB"},
		{"a copy of the environment", "AWS_SECRET_ACCESS_KEY=" + secret + "\n", "the file must be a mapping"},
		{"passwd", "root:x:0:0:root:/root:/bin/bash\n", "the file must be a mapping"},
		{"secret as a key", "AWS_SECRET_ACCESS_KEY: " + secret + "\n", `unknown key "AWS_SECRET_ACCESS_KEY"`},
		{"secret as an anchor", "fail-on: *" + strings.ReplaceAll(secret, "/", "x") + "\n", `unknown anchor "[41 characters]" referenced`},
		{"secret as a value", "fail-on: " + secret + "\n", "fail-on \"[41 characters]\""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yml", []byte(tt.in))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			msg := err.Error()
			if strings.Contains(msg, secret[:8]) || strings.Contains(msg, "/bin/bash") || len(msg) > 400 {
				t.Errorf("error quotes the file: %q", msg)
			}
		})
	}
}

func TestFindRefusesLinksAndFIFOs(t *testing.T) {
	for _, target := range []string{"/etc/passwd", "/dev/zero", "/proc/self/environ", "/dev/stdin"} {
		dir := t.TempDir()
		if err := os.Symlink(target, filepath.Join(dir, FileName)); err != nil {
			t.Fatal(err)
		}
		_, err := Find(dir)
		if err == nil || !strings.Contains(err.Error(), "symbolic link") || strings.Contains(err.Error(), "root:") {
			t.Errorf("%s -> %s: %v", FileName, target, err)
		}
	}
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, FileName), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := Find(dir); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("FIFO: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("FIFO took %s", time.Since(start))
	}
	if _, err := Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "device") {
		t.Errorf("--config /dev/zero: %v", err)
	}
}

// FuzzParse: any settings file is a Config or one FILE:LINE error line
// that quotes no long value of it; never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{full, "", "# only a comment\n", "fail-on: high\n---\nfail-on: none\n", "a: &x [*x]\n", "checks: {unused-days: -1}\n",
		"exclude-paths: ['[']\n", "allowed-accounts: [1e3]\n", "\xff\xfe", "root:x:0:0:root:/root:/bin/bash\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("f.yml", b)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "f.yml") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one FILE:LINE line", msg)
			}
			return
		}
		if c == nil || c.Path != "f.yml" {
			t.Fatalf("Parse = %+v", c)
		}
	})
}
