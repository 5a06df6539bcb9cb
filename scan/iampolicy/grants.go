package iampolicy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/finding"
)

// Grant is one action and resource an identity's Allow statement grants
// that the boundary and the SCPs let through. A statement of NotAction
// (NotResource) is one grant of Action (Resource) "*" with the exceptions
// listed.
type Grant = finding.Grant

// MaxGrants bounds the grants a principal's evaluation lists; past it,
// Grants says it truncated. Documents are bounded, so their statements'
// actions times resources are too, but not small.
const MaxGrants = 2000

// Grants lists what the principal is granted: each action and resource of
// its identity's Allow statements, narrowed to what the boundary and every
// SCP level allow, without what an unconditional Deny covers. truncated
// is set when MaxGrants was reached.
func (p Principal) Grants() (grants []Grant, truncated bool) {
	layers := p.layers()
	seen := map[string]bool{}
	for _, pol := range p.Identity {
		for _, s := range pol.Statements {
			if s.Effect != Allow {
				continue
			}
			for _, g := range statementGrants(pol.Name, s) {
				gs := []Grant{g}
				for _, l := range layers {
					gs = narrow(gs, l)
				}
				if len(gs) > MaxGrants {
					gs, truncated = gs[:MaxGrants], true
				}
				for _, g := range gs {
					switch p.denyReach(g) {
					case covered:
						continue
					case touched:
						g.Conditional = true
					}
					if k := grantKey(g); !seen[k] {
						if len(grants) == MaxGrants {
							return grants, true
						}
						seen[k] = true
						grants = append(grants, g)
					}
				}
			}
		}
	}
	return grants, false
}

// grantKey identifies a grant for deduplication (actions are
// case-insensitive).
func grantKey(g Grant) string {
	return fmt.Sprintf("%s\x00%s\x00%t\x00%q\x00%q", strings.ToLower(g.Action), g.Resource, g.Conditional, g.NotAction, g.NotResource)
}

// statementGrants splits an Allow statement into its grants.
func statementGrants(policy string, s Statement) []Grant {
	type act struct {
		a   string
		not []string
	}
	var acts []act
	if s.NotAction != nil {
		acts = []act{{"*", s.NotAction}}
	} else {
		for _, a := range s.Action {
			acts = append(acts, act{a, nil})
		}
	}
	type res struct {
		r   string
		not []string
	}
	var rs []res
	switch {
	case s.NotResource != nil:
		rs = []res{{"*", s.NotResource}}
	case s.Resource == nil:
		rs = []res{{"*", nil}}
	default:
		for _, r := range s.Resource {
			rs = append(rs, res{r, nil})
		}
	}
	out := make([]Grant, 0, len(acts)*len(rs))
	for _, a := range acts {
		for _, r := range rs {
			out = append(out, Grant{Action: actionPattern(a.a), NotAction: a.not, Resource: r.r, NotResource: r.not, Conditional: s.Conditional, Policy: policy})
		}
	}
	return out
}

// narrow keeps of gs what one layer (the boundary, an SCP level) allows: a
// grant the layer allows whole stays; one it allows in part becomes the
// part, when one pattern holds the other, or stays marked conditional.
func narrow(gs []Grant, l []Policy) []Grant {
	var out []Grant
	for _, g := range gs {
		switch allow, _ := layer(l, g.Action, resourcePattern(g.Resource)); allow {
		case Allowed:
			if g.NotAction == nil && g.NotResource == nil {
				out = append(out, g)
				continue
			}
		case Conditional:
			g.Conditional = true
			out = append(out, g)
			continue
		}
		for _, pol := range l {
			for _, s := range pol.Statements {
				if s.Effect != Allow {
					continue
				}
				for _, b := range statementGrants(pol.Name, s) {
					if n, ok := intersect(g, b); ok {
						out = append(out, n)
					}
				}
			}
		}
	}
	return out
}

// intersect is what both g and the layer's grant b allow, as one grant: the
// narrower pattern when one holds the other, g marked conditional when
// they only overlap.
func intersect(g, b Grant) (Grant, bool) {
	n := g
	n.Conditional = g.Conditional || b.Conditional
	switch {
	case b.NotAction != nil:
		// "all but" on both sides cannot be one pattern: keep g, in part.
		if slices.ContainsFunc(b.NotAction, func(p string) bool { return covers(p, g.Action, true) }) {
			return n, false
		}
		if g.NotAction == nil && !slices.ContainsFunc(b.NotAction, func(p string) bool { return overlaps(p, g.Action, true) }) {
			break // b allows all of g's action
		}
		n.Conditional = true
	case !overlaps(g.Action, b.Action, true) || excluded(g.NotAction, b.Action):
		return n, false
	case covers(g.Action, b.Action, true):
		n.Action = b.Action
		if slices.ContainsFunc(g.NotAction, func(p string) bool { return overlaps(p, b.Action, true) }) {
			n.Conditional = true
		}
		n.NotAction = nil
	case covers(b.Action, g.Action, true):
	default:
		n.Conditional = true
	}
	gr, br := resourcePattern(g.Resource), resourcePattern(b.Resource)
	switch {
	case b.NotResource != nil:
		if slices.ContainsFunc(b.NotResource, func(p string) bool { return covers(resourcePattern(p), gr, false) }) {
			return n, false
		}
		if g.NotResource != nil || slices.ContainsFunc(b.NotResource, func(p string) bool { return overlaps(resourcePattern(p), gr, false) }) {
			n.Conditional = true
		}
	case !overlaps(gr, br, false):
		return n, false
	case covers(gr, br, false):
		n.Resource = b.Resource
		if len(g.NotResource) > 0 {
			n.Conditional = true
		}
		n.NotResource = nil
	case covers(br, gr, false):
	default:
		n.Conditional = true
	}
	return n, true
}

// excluded reports whether a "NotAction" list removes every action the
// pattern stands for.
func excluded(not []string, action string) bool {
	return slices.ContainsFunc(not, func(p string) bool { return covers(p, action, true) })
}

// denyReach is how far the Deny statements of every layer reach a grant.
func (p Principal) denyReach(g Grant) touch {
	reach := untouched
	each := func(ps []Policy) {
		for _, pol := range ps {
			for _, s := range pol.Statements {
				if s.Effect != Deny {
					continue
				}
				reach = max(reach, s.reach(g))
			}
		}
	}
	each(p.Identity)
	for _, l := range p.layers() {
		each(l)
	}
	return reach
}

// reach is how far one Deny statement reaches a grant.
func (s Statement) reach(g Grant) touch {
	res := resourcePattern(g.Resource)
	if !s.touchesResource(res) {
		return untouched
	}
	// A Deny of actions the grant already leaves out does not touch it.
	if s.NotAction == nil && g.NotAction != nil &&
		!slices.ContainsFunc(s.Action, func(a string) bool { return !excluded(g.NotAction, a) && overlaps(a, g.Action, true) }) {
		return untouched
	}
	if !s.touchesAction(g.Action) {
		return untouched
	}
	if !s.Conditional && s.coversAction(g.Action) && s.coversResource(res) {
		return covered
	}
	return touched
}

// Allows returns the principal's grant that allows a (literal) action on
// some resource, preferring an unconditional one, with ok false when none
// does. A Deny that covers the action on the grant's resource rules the
// grant out; one that touches it makes it conditional.
func (p Principal) Allows(grants []Grant, action string) (Grant, bool) {
	var best Grant
	found := false
	for _, g := range grants {
		if !covers(g.Action, action, true) || slices.ContainsFunc(g.NotAction, func(n string) bool { return overlaps(n, action, true) }) {
			continue
		}
		d := p.Evaluate(action, resourcePattern(g.Resource))
		switch {
		case d == ExplicitlyDenied:
			continue
		case d != Allowed:
			g.Conditional = true
		}
		g.Action = action
		g.NotAction = nil
		if !found || (best.Conditional && !g.Conditional) {
			best, found = g, true
		}
	}
	return best, found
}
