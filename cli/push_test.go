package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/pipeline"
)

func TestReadUpdates(t *testing.T) {
	zero := strings.Repeat("0", 40)
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 64)
	for _, c := range []struct {
		name, in string
		n        int
		err      string
	}{
		{"create", zero + " " + a + " refs/heads/main\n", 1, ""},
		{"delete and sha256", zero + " " + a + " refs/heads/x\n" + b + " " + zero + " refs/heads/y\n", 2, ""},
		{"empty", "", 0, ""},
		{"two fields", zero + " " + a + "\n", 0, "want 3 fields"},
		{"tabs", zero + "\t" + a + "\trefs/heads/main\n", 0, "want 3 fields"},
		{"not hex", strings.Repeat("g", 40) + " " + a + " refs/heads/main\n", 0, "not an object name"},
		{"long line", zero + " " + a + " refs/heads/" + strings.Repeat("x", 5000) + "\n", 0, "too long"},
		{"empty ref", zero + " " + a + " \n", 0, "empty ref"},
	} {
		us, err := readUpdates(strings.NewReader(c.in), func(f []string) (pipeline.RefUpdate, error) { return parseUpdate(f[2], f[0], f[1]) }, 3)
		switch {
		case c.err == "" && (err != nil || len(us) != c.n):
			t.Errorf("%s: %d updates, %v; want %d", c.name, len(us), err, c.n)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.err)
		}
	}
	// Many lines are refused past the bound, not read without end.
	var many bytes.Buffer
	for range maxUpdates + 1 {
		many.WriteString(zero + " " + a + " refs/heads/main\n")
	}
	if _, err := readUpdates(&many, func(f []string) (pipeline.RefUpdate, error) { return parseUpdate(f[2], f[0], f[1]) }, 3); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("%d updates: %v", maxUpdates+1, err)
	}
}

func TestPushAllows(t *testing.T) {
	env := map[string]string{
		"GIT_PUSH_OPTION_COUNT": "4",
		"GIT_PUSH_OPTION_0":     "ci.skip",
		"GIT_PUSH_OPTION_1":     "keysweep.allow=abc123:reviewed: a doc example",
		"GIT_PUSH_OPTION_2":     "keysweep.allow=def456",
		"GIT_PUSH_OPTION_3":     "keysweep.allow=",
	}
	getenv := func(k string) string { return env[k] }
	got, ignored := pushAllows(getenv, true)
	if ignored != 0 || len(got) != 2 || got["abc123"] != "reviewed: a doc example" || got["def456"] != "" {
		t.Errorf("allowed: %v, %d ignored", got, ignored)
	}
	got, ignored = pushAllows(getenv, false)
	if got != nil || ignored != 3 {
		t.Errorf("without --allow-bypass: %v, %d ignored; want none honoured, 3 ignored", got, ignored)
	}
	env["GIT_PUSH_OPTION_COUNT"] = "999999999"
	if got, _ := pushAllows(getenv, true); len(got) != 2 {
		t.Errorf("a huge count: %v", got)
	}
}

func TestPusher(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GITHUB_USER_LOGIN": "octo", "USER": "git"}, "octo"},
		{map[string]string{"GL_USERNAME": "gl", "USER": "git"}, "gl"},
		{map[string]string{"GITEA_PUSHER_NAME": "tea"}, "tea"},
		{map[string]string{"SSH_CONNECTION": "1 2 3 4", "USER": "dev"}, "dev (ssh)"},
		{map[string]string{}, ""},
	} {
		if got := pusher(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}

func TestPreReceiveFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--aws"}, "runs offline"},
		{[]string{"--verify"}, "runs offline"},
		{[]string{"--on-deadline", "maybe"}, "want reject or accept"},
		{[]string{"--fail-on", "info"}, "--fail-on"},
		{[]string{"extra"}, "takes no arguments"},
		{[]string{"--known-keys-complete"}, "give --known-keys"},
	} {
		var stdout, stderr bytes.Buffer
		code := preReceiveCommand(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
		if code != ExitError || !strings.Contains(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want exit 2 and one line with %q", c.args, code, stderr.String(), c.want)
		}
	}
}
