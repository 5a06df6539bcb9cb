package detect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

var words = strings.Fields(`server client request response handler config cache
	buffer reader writer token session account user group policy role bucket object
	region endpoint retry timeout context error status header body stream index table
	record event message queue topic worker pool manager store repository commit tree
	blob branch remote origin digest hash value name path file line column offset`)

// corpus returns n bytes of text that looks like what a repository holds:
// Go, JSON, lock files, YAML, SQL, C headers, Markdown, hashes and UUIDs.
// With every > 0 it plants a key ID and secret about every that many
// bytes.
func corpus(n, every int) []byte {
	r := rand.New(rand.NewPCG(42, 7))
	word := func() string { return words[r.IntN(len(words))] }
	title := func() string { w := word(); return strings.ToUpper(w[:1]) + w[1:] }
	camel := func() string { return word() + title() }
	hex := func(n int, digits string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = digits[r.IntN(16)]
		}
		return string(b)
	}
	b64 := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphaB64[r.IntN(64)]
		}
		return string(b)
	}
	uuid := func() string {
		h := hex(32, "0123456789abcdef")
		if r.IntN(4) == 0 {
			h = strings.ToUpper(h)
		}
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	lines := []func() string{
		func() string {
			return fmt.Sprintf("func (s *%s) %s(ctx context.Context, req *%sRequest) (*%sResponse, error) {", title(), title(), title(), title())
		},
		func() string {
			return fmt.Sprintf("\tif err := s.%s.%s(ctx, req.%sID); err != nil {", camel(), title(), title())
		},
		func() string { return fmt.Sprintf("\t\treturn nil, fmt.Errorf(\"%s %s: %%w\", err)", word(), word()) },
		func() string { return "\t}" },
		func() string {
			return fmt.Sprintf("// %s returns the %s of the %s, or an error if the %s is not known.", title(), word(), word(), word())
		},
		func() string { return fmt.Sprintf("const Max%s%s = %d", title(), title(), r.IntN(100000)) },
		func() string {
			return fmt.Sprintf("\tHTTPStatus%s = %d // RFC 7231, section 6.%d", title(), 200+r.IntN(400), r.IntN(7))
		},
		func() string { return fmt.Sprintf("  %q: %q,", camel(), uuid()) },
		func() string {
			return fmt.Sprintf("  \"%sAt\": \"2024-%02d-%02dT09:41:27Z\",", word(), 1+r.IntN(12), 1+r.IntN(28))
		},
		func() string {
			return fmt.Sprintf("      \"integrity\": \"sha512-%s==\",", b64(86))
		},
		func() string {
			return fmt.Sprintf("github.com/%s/%s v1.%d.%d h1:%s=", word(), word(), r.IntN(20), r.IntN(9), b64(43))
		},
		func() string {
			return fmt.Sprintf("  - name: %s-%s\n    image: registry.example.com/%s:%d.%d", word(), word(), word(), r.IntN(9), r.IntN(30))
		},
		func() string {
			return fmt.Sprintf("SELECT id, %s_id, created_at FROM %ss WHERE org_id = $1 AND status = 'ACTIVE' ORDER BY created_at DESC;", word(), word())
		},
		func() string {
			return fmt.Sprintf("#define REG_%s_%s 0x%s", strings.ToUpper(word()), strings.ToUpper(word()), hex(8, "0123456789ABCDEF"))
		},
		func() string {
			return fmt.Sprintf("The %s keeps a %s for every %s, so a %s that is read twice costs nothing. See RFC %d.", word(), word(), word(), word(), 1000+r.IntN(8000))
		},
		func() string { return fmt.Sprintf("commit %s", hex(40, "0123456789abcdef")) },
		func() string {
			return fmt.Sprintf("Merge: %s %s", hex(7, "0123456789abcdef"), hex(7, "0123456789abcdef"))
		},
		func() string { return fmt.Sprintf("| %s | `%s` | %s |", title(), uuid(), strings.ToUpper(word())) },
		func() string { return "" },
	}
	var b strings.Builder
	b.Grow(n + 256)
	next, seed := every, uint64(1000)
	for b.Len() < n {
		b.WriteString(lines[r.IntN(len(lines))]())
		b.WriteByte('\n')
		if every > 0 && b.Len() >= next {
			fmt.Fprintf(&b, "aws_access_key_id = %s\naws_secret_access_key = %s\n", fakeKey("AKIA", seed), fakeSecret(seed))
			next += every
			seed++
		}
	}
	return []byte(b.String()[:n])
}

var benchInputs = sync.OnceValue(func() map[string][]byte {
	const size = 8 << 20
	var b64, hexDump strings.Builder
	for i := 0; b64.Len() < size; i++ {
		b64.WriteString(randString(uint64(i), 76, alphaB64))
		b64.WriteByte('\n')
		hexDump.WriteString(strings.ToUpper(randString(uint64(i), 64, "0123456789abcdef")))
		hexDump.WriteByte('\n')
	}
	return map[string][]byte{
		"source":      corpus(size, 0),
		"sparse-keys": corpus(size, 64<<10),
		"base64":      []byte(b64.String()),
		"upper-hex":   []byte(hexDump.String()),
	}
})

func BenchmarkFind(b *testing.B) {
	for _, name := range []string{"source", "sparse-keys", "base64", "upper-hex"} {
		buf := benchInputs()[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				Find(buf)
			}
		})
	}
}

func BenchmarkMayContain(b *testing.B) {
	for _, name := range []string{"source", "base64"} {
		buf := benchInputs()[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				MayContain(buf)
			}
		})
	}
}

func TestCorpus(t *testing.T) {
	if ms := Find(benchInputs()["source"]); len(ms) != 0 {
		t.Fatalf("clean corpus has %d matches: %s", len(ms), describe(ms[:1]))
	}
	ms := Find(benchInputs()["sparse-keys"])
	if len(ms) < 100 {
		t.Fatalf("sparse corpus has %d matches, want about 128", len(ms))
	}
	for _, m := range ms[:len(ms)-1] { // the last may be cut off
		if m.Secret == "" {
			t.Errorf("%s has no secret", m.KeyID)
		}
	}
	for _, name := range []string{"base64", "upper-hex"} {
		if ms := Find(benchInputs()[name]); len(ms) != 0 {
			t.Errorf("%s has %d matches", name, len(ms))
		}
	}
}

func BenchmarkMayContainEncoded(b *testing.B) {
	for _, name := range []string{"source", "base64"} {
		buf := benchInputs()[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				MayContainEncoded(buf)
			}
		})
	}
}
