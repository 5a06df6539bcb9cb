package pipeline

import (
	"bytes"
	"fmt"
	"io"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/safefile"
	"github.com/keysweep/keysweep/report"
	"github.com/keysweep/keysweep/sarif"
)

// Render writes the report in the chosen format to stdout or --output,
// and SARIF to --sarif when asked.
func Render(rep *finding.Report, cfg Config, stdout io.Writer) error {
	out := stdout
	if cfg.Output != "" {
		// Never through a link: the path may be one a repository controls.
		f, err := safefile.Create(cfg.Output)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		defer f.Close()
		out = f
	}
	var err error
	switch cfg.Format {
	case "json":
		err = report.JSON(out, rep)
	case "sarif":
		err = sarif.Write(out, rep, sarif.Options{})
	case "markdown":
		err = report.Markdown(out, rep)
	default:
		err = report.Text(out, rep, cfg.Color)
		if err == nil {
			_, err = fmt.Fprintf(out, "%s\n", ExitLine(rep, cfg))
		}
	}
	if err != nil {
		return fmt.Errorf("write %s report: %w", cfg.Format, err)
	}
	if cfg.SARIF != "" {
		var buf bytes.Buffer
		if err := sarif.Write(&buf, rep, sarif.Options{}); err != nil {
			return fmt.Errorf("write SARIF %s: %w", cfg.SARIF, err)
		}
		if err := safefile.WriteFile(cfg.SARIF, buf.Bytes()); err != nil {
			return fmt.Errorf("write SARIF %s: %w", cfg.SARIF, err)
		}
	}
	return nil
}
