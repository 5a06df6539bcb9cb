package iampolicy

import "slices"

// Decision is IAM's answer to a request (or to every request a query
// with wildcards stands for).
type Decision int

// Decisions, ordered so that the lesser of two layers' is their
// intersection.
const (
	// Denied: no statement allows it (IAM's implicit deny).
	Denied Decision = iota
	// ExplicitlyDenied: a Deny statement without a condition covers it.
	ExplicitlyDenied
	// Conditional: allowed only under a condition (of the Allow, or of a
	// Deny that touches it), or only for part of the requests a wildcard
	// query stands for.
	Conditional
	// Allowed: allowed, whatever the request's context.
	Allowed
)

// Allows reports whether d allows the request at least conditionally.
func (d Decision) Allows() bool { return d >= Conditional }

func (d Decision) String() string {
	switch d {
	case ExplicitlyDenied:
		return "explicitly denied"
	case Conditional:
		return "conditionally allowed"
	case Allowed:
		return "allowed"
	}
	return "denied"
}

// Evaluate decides a request against identity-based policies (the union
// of their statements): an unconditional Deny that covers it wins, then an
// Allow that covers it, conditional if the Allow has a condition or a Deny
// touches the request. action and resource may be wildcard patterns.
func Evaluate(ps []Policy, action, resource string) Decision {
	allow, deny := layer(ps, action, resource)
	return combine(allow, deny)
}

// GrantsFullAdmin reports whether the policies together allow every action
// on every resource without condition (AdministratorAccess, or a statement
// of "*" on "*" no Deny restricts). A policy of NotAction or NotResource
// grants all but something and is not full admin; FullAdminLike says
// whether it comes close.
func GrantsFullAdmin(ps []Policy) bool { return Evaluate(ps, "*", "*") == Allowed }

// FullAdminLike reports whether some Allow statement grants every action
// but those it names in NotAction, on every resource ("*" or NotResource),
// or every action on every resource but those in NotResource: the shapes
// that hand out administration while avoiding the literal "*:*". Conditions
// and Deny statements are not considered; it judges the statement's shape.
func FullAdminLike(ps []Policy) bool {
	for _, p := range ps {
		for _, s := range p.Statements {
			if s.Effect != Allow {
				continue
			}
			allActions := s.NotAction != nil || slices.ContainsFunc(s.Action, isStar)
			allResources := s.NotResource != nil || s.Resource == nil || slices.ContainsFunc(s.Resource, isStar)
			if allActions && allResources {
				return true
			}
		}
	}
	return false
}

func isStar(s string) bool { return s == "*" || s == "*:*" }

// Principal is an IAM identity's policies as IAM combines them: the
// identity's own (inline, attached, and its groups'), an optional
// permissions boundary, and the service control policies that apply to its
// account, one slice per level of the organization (root, each OU, the
// account), every level of which must allow.
type Principal struct {
	// ARN of the identity; a grant on that resource is about itself.
	ARN      string
	Identity []Policy
	// Boundary is the permissions boundary, nil when there is none.
	Boundary *Policy
	// SCPs are the levels of service control policies; nil outside an
	// organization or when they could not be read.
	SCPs [][]Policy
}

// layers returns every layer after the identity's: the boundary and the
// SCP levels.
func (p Principal) layers() [][]Policy {
	var out [][]Policy
	if p.Boundary != nil {
		out = append(out, []Policy{*p.Boundary})
	}
	return append(out, p.SCPs...)
}

// Evaluate decides a request for the principal: an explicit Deny in any
// layer wins; otherwise the identity's policies, the boundary and each SCP
// level must all allow it, and the result is the least of their answers.
func (p Principal) Evaluate(action, resource string) Decision {
	allow, deny := layer(p.Identity, action, resource)
	for _, l := range p.layers() {
		a, d := layer(l, action, resource)
		allow = min(allow, a)
		deny = max(deny, d)
	}
	return combine(allow, deny)
}

// touch is how far a layer's Deny statements reach a query.
type touch int

const (
	untouched touch = iota
	touched         // a conditional Deny, or one covering part of the query
	covered         // an unconditional Deny covering all of it
)

// layer returns how one layer's Allow statements answer the query
// (Denied, Conditional or Allowed) and how far its Deny statements reach.
func layer(ps []Policy, action, resource string) (Decision, touch) {
	allow, deny := Denied, untouched
	for _, p := range ps {
		for _, s := range p.Statements {
			switch s.Effect {
			case Allow:
				if s.coversAction(action) && s.coversResource(resource) {
					if s.Conditional {
						allow = max(allow, Conditional)
					} else {
						allow = Allowed
					}
				}
			case Deny:
				if !s.touchesAction(action) || !s.touchesResource(resource) {
					continue
				}
				if !s.Conditional && s.coversAction(action) && s.coversResource(resource) {
					deny = covered
				} else {
					deny = max(deny, touched)
				}
			}
		}
	}
	return allow, deny
}

func combine(allow Decision, deny touch) Decision {
	switch {
	case deny == covered:
		return ExplicitlyDenied
	case deny == touched && allow == Allowed:
		return Conditional
	}
	return allow
}

// coversAction reports whether the statement's actions include every
// action the query stands for. IAM actions are case-insensitive.
func (s Statement) coversAction(q string) bool {
	if s.NotAction != nil {
		return !slices.ContainsFunc(s.NotAction, func(p string) bool { return overlaps(actionPattern(p), q, true) })
	}
	return slices.ContainsFunc(s.Action, func(p string) bool { return covers(actionPattern(p), q, true) })
}

// touchesAction reports whether the statement's actions include some
// action the query stands for.
func (s Statement) touchesAction(q string) bool {
	if s.NotAction != nil {
		return !slices.ContainsFunc(s.NotAction, func(p string) bool { return covers(actionPattern(p), q, true) })
	}
	return slices.ContainsFunc(s.Action, func(p string) bool { return overlaps(actionPattern(p), q, true) })
}

func (s Statement) coversResource(q string) bool {
	switch {
	case s.NotResource != nil:
		return !slices.ContainsFunc(s.NotResource, func(p string) bool { return overlaps(resourcePattern(p), q, false) })
	case s.Resource == nil:
		return true
	}
	return slices.ContainsFunc(s.Resource, func(p string) bool { return covers(resourcePattern(p), q, false) })
}

func (s Statement) touchesResource(q string) bool {
	switch {
	case s.NotResource != nil:
		return !slices.ContainsFunc(s.NotResource, func(p string) bool { return covers(resourcePattern(p), q, false) })
	case s.Resource == nil:
		return true
	}
	return slices.ContainsFunc(s.Resource, func(p string) bool { return overlaps(resourcePattern(p), q, false) })
}

// actionPattern is an action as a pattern: every action has a service
// prefix, so "*:*" means what "*" does.
func actionPattern(p string) string {
	if p == "*:*" {
		return "*"
	}
	return p
}
