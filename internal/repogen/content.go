package repogen

import (
	"math/rand/v2"
	"path"
	"strconv"
	"strings"
)

// Words are lower case on purpose: generated text must never contain a
// 20-character run of upper-case letters and digits by accident, or the
// repository would hold credentials the manifest does not list.
var words = strings.Fields(`
	account action adapter agent alert archive audit backend batch bucket
	buffer build bundle cache client cluster codec config consumer context
	cursor daemon decode digest driver encode engine event export filter
	format gateway handler header index ingest job journal kernel layer
	ledger lease limit loader logger mailer manifest mapper meter metric
	monitor mutex node notify order packet parser patch payload pipeline
	planner policy pool probe proxy queue quota reader record region
	registry relay replica report request resolver retry router sampler
	schema scope sequence session shard signal snapshot socket source
	stream syncer table tenant ticket timer token tracer tracker upload
	user vault verifier watcher worker writer zone`)

var dirs = strings.Fields(`src pkg internal cmd lib web docs scripts services tools test`)

var types = strings.Fields(`int string bool error []byte float64 time.Duration context.Context`)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func ident(r *rand.Rand) string {
	a, b := pick(r, words), pick(r, words)
	switch r.IntN(3) {
	case 0:
		return a
	case 1:
		return a + strings.ToUpper(b[:1]) + b[1:]
	default:
		return a + "_" + b
	}
}

func exported(r *rand.Rand) string {
	a, b := pick(r, words), pick(r, words)
	return strings.ToUpper(a[:1]) + a[1:] + strings.ToUpper(b[:1]) + b[1:]
}

func num(r *rand.Rand) string { return strconv.Itoa(r.IntN(5000)) }

// line returns one line of text in the style of ext, without newline.
func line(r *rand.Rand, ext string) string {
	switch ext {
	case ".go":
		switch r.IntN(10) {
		case 0:
			return "\t" + ident(r) + " := " + ident(r) + "(" + ident(r) + ", " + num(r) + ")"
		case 1:
			return "\tif err := " + ident(r) + "." + exported(r) + "(ctx); err != nil {"
		case 2:
			return "\t\treturn nil, fmt.Errorf(\"" + pick(r, words) + " " + pick(r, words) + ": %w\", err)"
		case 3:
			return "\t}"
		case 4:
			return "func (" + pick(r, words)[:1] + " *" + exported(r) + ") " + exported(r) + "(" + pick(r, words) + " " + pick(r, types) + ") error {"
		case 5:
			return "// " + exported(r) + " " + pick(r, words) + "s the " + pick(r, words) + " of a " + pick(r, words) + "."
		case 6:
			return "\t" + pick(r, words) + "." + exported(r) + " = " + ident(r)
		case 7:
			return "\tfor _, " + pick(r, words) + " := range " + ident(r) + " {"
		case 8:
			return ""
		default:
			return "\t" + exported(r) + " " + pick(r, types) + " `json:\"" + ident(r) + "\"`"
		}
	case ".py":
		switch r.IntN(8) {
		case 0:
			return "    " + ident(r) + " = " + ident(r) + "(" + ident(r) + ", " + num(r) + ")"
		case 1:
			return "def " + ident(r) + "(self, " + pick(r, words) + ", " + pick(r, words) + "=None):"
		case 2:
			return "    if " + pick(r, words) + " is None:"
		case 3:
			return "        return " + ident(r)
		case 4:
			return "# " + pick(r, words) + " " + pick(r, words) + " before " + pick(r, words)
		case 5:
			return ""
		case 6:
			return "    self." + ident(r) + " = " + pick(r, words)
		default:
			return "    for " + pick(r, words) + " in self." + ident(r) + ":"
		}
	case ".js", ".ts":
		switch r.IntN(6) {
		case 0:
			return "  const " + ident(r) + " = await " + ident(r) + "(" + pick(r, words) + ");"
		case 1:
			return "export function " + ident(r) + "(" + pick(r, words) + ", " + pick(r, words) + ") {"
		case 2:
			return "  }"
		case 3:
			return "  // " + pick(r, words) + " " + pick(r, words) + " " + num(r)
		case 4:
			return ""
		default:
			return "  " + pick(r, words) + "." + ident(r) + "(" + num(r) + ");"
		}
	case ".yaml":
		switch r.IntN(4) {
		case 0:
			return pick(r, words) + ":"
		case 1:
			return "  " + ident(r) + ": " + num(r)
		case 2:
			return "  " + pick(r, words) + ": " + pick(r, words)
		default:
			return "    - " + ident(r)
		}
	case ".sql":
		return "INSERT INTO " + pick(r, words) + "s VALUES (" + num(r) + ", '" + ident(r) + "', '" + pick(r, words) + "', " + num(r) + ");"
	default: // prose
		var b strings.Builder
		for i, n := 0, 6+r.IntN(10); i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(pick(r, words))
		}
		b.WriteByte('.')
		return b.String()
	}
}

var exts = []string{".go", ".go", ".go", ".go", ".py", ".py", ".js", ".ts", ".yaml", ".md"}

// newPath returns a fresh path one to four directories deep, with names
// from a small vocabulary so that directories are shared.
func newPath(r *rand.Rand, exists func(string) bool) string {
	for {
		parts := []string{pick(r, dirs)}
		for i, n := 0, r.IntN(4); i < n; i++ {
			parts = append(parts, pick(r, words[:40]))
		}
		parts = append(parts, ident(r)+pick(r, exts))
		p := path.Join(parts...)
		if !exists(p) {
			return p
		}
	}
}

// newLines returns the body of a new file: mostly small, a few long, as in
// real source trees.
func newLines(r *rand.Rand, ext string) []string {
	n := 8 + r.IntN(60)
	if r.IntN(10) == 0 {
		n += r.IntN(400)
	}
	lines := make([]string, n)
	for i := range lines {
		lines[i] = line(r, ext)
	}
	return lines
}
