package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/scan/snapshot"
)

// regions yields each collected region whose sources all were read; the
// failures of the others are already could-not-run results.
func (e *env) regions(srcs ...snapshot.Source) func(func(*snapshot.Region) bool) {
	return func(yield func(*snapshot.Region) bool) {
		for _, name := range e.snap.Regions {
			r := e.snap.Regional[name]
			if r == nil || slices.ContainsFunc(srcs, func(s snapshot.Source) bool { return e.snap.Failed(s, name) }) {
				continue
			}
			if !yield(r) {
				return
			}
		}
	}
}

func ports(in snapshot.Ingress) string {
	switch {
	case in.Protocol == "-1" || strings.EqualFold(in.Protocol, "all"):
		return "all traffic"
	case in.Protocol == "icmp" || in.Protocol == "icmpv6" || in.Protocol == "1" || in.Protocol == "58":
		return in.Protocol
	case in.FromPort == in.ToPort:
		return fmt.Sprintf("%s/%d", in.Protocol, in.FromPort)
	case in.FromPort <= 0 && in.ToPort >= 65535:
		return in.Protocol + "/all ports"
	default:
		return fmt.Sprintf("%s/%d-%d", in.Protocol, in.FromPort, in.ToPort)
	}
}

// publicPattern returns the first pattern name matches, case-insensitively.
func publicPattern(patterns []string, name string) string {
	for _, p := range patterns {
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(name)); err == nil && ok {
			return p
		}
	}
	return ""
}

func instancePublicIP(e *env) {
	for r := range e.regions(snapshot.SrcInstances) {
		for _, in := range r.Instances {
			if in.PublicIP != "" {
				e.fail(r.Name, in.ID, "running instance %s has the public IPv4 address %s", label(in), in.PublicIP)
				continue
			}
			e.pass(r.Name, in.ID, "running instance %s has no public IPv4 address", label(in))
		}
	}
}

func label(in snapshot.Instance) string {
	if in.Name != "" {
		return fmt.Sprintf("%s (%s)", in.ID, in.Name)
	}
	return in.ID
}

func outdatedAMI(e *env) {
	for r := range e.regions(snapshot.SrcInstances, snapshot.SrcImages) {
		for _, in := range r.Instances {
			im, ok := r.Images[in.ImageID]
			switch {
			case !ok || im.Missing:
				e.fail(r.Name, in.ID, "running instance %s was launched from %s, which no longer exists or is no longer shared with this account", label(in), in.ImageID)
			case !im.Deprecated.IsZero() && !im.Deprecated.After(e.now):
				e.fail(r.Name, in.ID, "running instance %s runs %s (%s), deprecated since %s", label(in), im.ID, im.Name, im.Deprecated.Format(time.DateOnly))
			case !im.Created.IsZero() && e.days(im.Created) > e.th.AMIMaxAgeDays:
				e.fail(r.Name, in.ID, "running instance %s runs %s (%s), created %d days ago (limit %d)", label(in), im.ID, im.Name, e.days(im.Created), e.th.AMIMaxAgeDays)
			default:
				e.pass(r.Name, in.ID, "running instance %s runs %s (%s), created %d days ago", label(in), im.ID, im.Name, e.days(im.Created))
			}
		}
	}
}
