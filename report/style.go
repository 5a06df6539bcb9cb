package report

import (
	"fmt"
	"strings"

	"github.com/keysweep/keysweep/finding"
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

func (p *printer) paint(style, s string) string {
	if !p.color || style == "" {
		return s
	}
	return style + s + reset
}

// severityLabel pads before painting so columns line up either way.
func (p *printer) severityLabel(s finding.Severity) string {
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
