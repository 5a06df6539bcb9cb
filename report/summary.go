package report

import "github.com/keysweep/keysweep/finding"

// Summary counts a report's findings the way its closing line does:
// unsuppressed findings by severity, and apart from them the suppressed
// ones, those the baseline hid and the checks that could not run.
type Summary struct {
	Critical       int `json:"critical"`
	High           int `json:"high"`
	Medium         int `json:"medium"`
	Low            int `json:"low"`
	Info           int `json:"info"`
	Suppressed     int `json:"suppressed"`
	BaselineHidden int `json:"baselineHidden"`
	CouldNotRun    int `json:"couldNotRun"`
}

// Summarize counts r's findings.
func Summarize(r *finding.Report) Summary {
	s := Summary{BaselineHidden: r.BaselineHidden}
	for _, k := range r.Keys {
		if k.Suppressed != nil {
			s.Suppressed++
			continue
		}
		s.add(k.Severity)
	}
	for _, c := range r.Checks {
		switch {
		case c.State == finding.CheckCouldNotRun:
			s.CouldNotRun++
		case c.State != finding.CheckFail:
		case c.Suppressed != nil:
			s.Suppressed++
		default:
			s.add(c.Severity)
		}
	}
	return s
}

func (s *Summary) field(sev finding.Severity) *int {
	switch sev {
	case finding.SeverityCritical:
		return &s.Critical
	case finding.SeverityHigh:
		return &s.High
	case finding.SeverityMedium:
		return &s.Medium
	case finding.SeverityLow:
		return &s.Low
	case finding.SeverityInfo:
		return &s.Info
	}
	return nil
}

func (s *Summary) add(sev finding.Severity) {
	if f := s.field(sev); f != nil {
		*f++
	}
}

func (s Summary) count(sev finding.Severity) int {
	if f := s.field(sev); f != nil {
		return *f
	}
	return 0
}
