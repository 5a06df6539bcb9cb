package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
)

// ANSI styles; used only when the caller says the output is a terminal.
const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
)

var severityStyle = map[finding.Severity]string{
	finding.SeverityCritical: bold + red,
	finding.SeverityHigh:     red,
	finding.SeverityMedium:   yellow,
	finding.SeverityLow:      cyan,
	finding.SeverityInfo:     dim,
}

// styled is text keysweep composed itself, ANSI styles and all: the
// printer writes it as it is. Every other string it is given is data —
// a file name, an author, a commit subject, a reason from an ignore file —
// and is written through escape.Text, so no byte of it can move the
// cursor, recolour the terminal or start a new line (in the job log, a
// line of its own could be a workflow command).
type styled string

func (p *printer) paint(style, s string) styled {
	s = escape.Text(s)
	if !p.color || style == "" {
		return styled(s)
	}
	return styled(style + s + reset)
}

// safeArgs escapes every argument but styled text for the terminal.
func safeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case styled:
			out[i] = string(v)
		case string:
			out[i] = escape.Text(v)
		case error:
			out[i] = escape.Text(v.Error())
		case fmt.Stringer:
			out[i] = escape.Text(v.String())
		default:
			out[i] = a
		}
	}
	return out
}

// fprintf is fmt.Fprintf with safeArgs, for the tabwriters.
func fprintf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format, safeArgs(args)...)
}

// severityLabel pads before painting so columns line up either way.
func (p *printer) severityLabel(s finding.Severity) styled {
	return p.paint(severityStyle[s], fmt.Sprintf("%-8s", strings.ToUpper(s.String())))
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func short(hash string) string {
	if len(hash) > 7 {
		return hash[:7]
	}
	return hash
}
