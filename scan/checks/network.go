package checks

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/scan/snapshot"
)

// worldPrefixes are the address spaces whose cover means "anyone on the
// internet".
var worldPrefixes = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}

// span is an inclusive range of addresses of one family.
type span struct{ from, to netip.Addr }

func spanOf(p netip.Prefix) span {
	p = p.Masked()
	from := p.Addr()
	bits := from.BitLen()
	b := from.AsSlice()
	for i := p.Bits(); i < bits; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	to, _ := netip.AddrFromSlice(b)
	return span{from, to}
}

// covers reports whether the union of cidrs covers all of world: the whole
// IPv4 or IPv6 internet, however it is split ("0.0.0.0/1" and
// "128.0.0.0/1"). Unparsable entries cover nothing. It sorts the ranges
// once and sweeps them, O(n log n).
func covers(world netip.Prefix, cidrs []string) bool {
	w := spanOf(world)
	var spans []span
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil || p.Addr().Is4() != w.from.Is4() {
			continue
		}
		spans = append(spans, spanOf(p))
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	next := w.from // the first address not yet covered
	for _, s := range spans {
		if s.from.Compare(next) > 0 {
			return false
		}
		if s.to.Compare(next) >= 0 {
			if s.to == w.to {
				return true
			}
			next = s.to.Next()
		}
	}
	return false
}

// exposure is one world-open ingress: the ports and the sources that add
// up to the whole internet.
type exposure struct {
	in      snapshot.Ingress
	sources []string
	world   string // "0.0.0.0/0" or "::/0"
}

func (x exposure) String() string {
	src := strings.Join(x.sources, ", ")
	if len(x.sources) > 1 {
		src += " (together " + x.world + ")"
	}
	return ports(x.in) + " from " + src
}

// web reports whether the ingress opens only a web port (tcp 80 or 443),
// the one exposure a public naming pattern may declare intended.
func (x exposure) web() bool {
	return x.in.Protocol == "tcp" && x.in.FromPort == x.in.ToPort && (x.in.FromPort == 80 || x.in.FromPort == 443)
}

// worldOpen returns each ingress of g open to the whole internet, through
// its CIDRs, the managed prefix lists it references, or several rules of
// the same ports together. A rule for all traffic adds its sources to
// every other rule. Unread prefix lists are named in unread.
func worldOpen(g snapshot.SecurityGroup, lists map[string]snapshot.PrefixList) (open []exposure, unread []string) {
	type key struct {
		proto    string
		from, to int32
	}
	sources := map[key][]string{}
	var order []key
	var all []string
	for _, in := range g.Ingress {
		k := key{strings.ToLower(in.Protocol), in.FromPort, in.ToPort}
		if k.proto == "-1" || k.proto == "all" {
			k = key{proto: "-1"}
		}
		var src []string
		src = append(src, in.CIDRs...)
		for _, id := range in.PrefixLists {
			pl, ok := lists[id]
			if !ok {
				unread = append(unread, id)
				continue
			}
			for _, c := range pl.CIDRs {
				src = append(src, c+" in "+id)
			}
		}
		if _, ok := sources[k]; !ok {
			order = append(order, k)
		}
		sources[k] = append(sources[k], src...)
		if k.proto == "-1" {
			all = append(all, src...)
		}
	}
	for _, k := range order {
		src := sources[k]
		if k.proto != "-1" {
			src = append(slices.Clone(src), all...)
		}
		cidrs := make([]string, len(src))
		for i, s := range src {
			cidrs[i], _, _ = strings.Cut(s, " in ")
		}
		for _, w := range worldPrefixes {
			if !covers(w, cidrs) {
				continue
			}
			// Name the source that is the world by itself, or else every
			// range of the family that adds up to it.
			var used, whole []string
			for i, c := range cidrs {
				if p, err := netip.ParsePrefix(c); err == nil && p.Addr().Is4() == w.Addr().Is4() {
					used = append(used, src[i])
					if p.Bits() == 0 {
						whole = append(whole, src[i])
					}
				}
			}
			if len(whole) > 0 {
				used = whole
			}
			slices.Sort(used)
			open = append(open, exposure{in: snapshot.Ingress{Protocol: cmp.Or(k.proto, "-1"), FromPort: k.from, ToPort: k.to},
				sources: slices.Compact(used), world: w.String()})
		}
	}
	slices.Sort(unread)
	return open, slices.Compact(unread)
}

func securityGroupOpen(e *env) {
	for r := range e.regions(snapshot.SrcSecurityGroups, snapshot.SrcInterfaces) {
		for _, g := range r.SecurityGroups {
			open, unread := worldOpen(g, r.PrefixLists)
			if len(open) == 0 {
				if len(unread) > 0 {
					continue // the prefix lists' failures are could-not-run results
				}
				e.pass(r.Name, g.ID, "security group %s (%s) allows no ingress from the internet", g.ID, g.Name)
				continue
			}
			var users, lbs, unreachable int
			for _, n := range r.NetworkInterfaces {
				if !slices.Contains(n.Groups, g.ID) {
					continue
				}
				switch {
				case n.Unreachable():
					unreachable++
				case n.LoadBalancer():
					users++
					lbs++
				default:
					users++
				}
			}
			var all, notWeb []string
			for _, x := range open {
				all = append(all, x.String())
				if !x.web() {
					notWeb = append(notWeb, x.String())
				}
			}
			what := fmt.Sprintf("security group %s (%s) allows ingress from the internet (%s)", g.ID, g.Name, strings.Join(all, "; "))
			pat := publicPattern(e.th.PublicGroupPatterns, g.Name)
			switch {
			case users == 0 && unreachable > 0:
				e.pass(r.Name, g.ID, "%s but is used only by %s the internet cannot reach (VPC endpoints and other AWS-managed interfaces with private addresses only)", what, plural(unreachable, "network interface"))
			case users == 0:
				e.pass(r.Name, g.ID, "%s but no network interface uses it", what)
			case pat != "" && len(notWeb) == 0:
				e.pass(r.Name, g.ID, "%s on %s; its name matches the public pattern %q", what, plural(users, "network interface"), pat)
			case lbs == users:
				e.pass(r.Name, g.ID, "%s, used only by %s of load balancers", what, plural(users, "network interface"))
			case pat != "":
				e.fail(r.Name, g.ID, "%s and is used by %s; its name matches the public pattern %q, which exempts web ports (tcp 80, 443) only, not %s",
					what, plural(users-lbs, "network interface"), pat, strings.Join(notWeb, "; "))
			default:
				e.fail(r.Name, g.ID, "%s and is used by %s", what, plural(users-lbs, "network interface"))
			}
		}
	}
}

// defaultSecurityGroup fails a VPC's default security group that has any
// rule (CIS 5.4, FSBP EC2.2): resources land in it when nobody chose a
// group, and its default rules let them all talk to each other and out.
func defaultSecurityGroup(e *env) {
	for r := range e.regions(snapshot.SrcSecurityGroups) {
		for _, g := range r.SecurityGroups {
			if !g.Default() {
				continue
			}
			vpc := cmp.Or(g.VPC, "EC2-Classic")
			if len(g.Ingress) == 0 && g.Egress == 0 {
				e.pass(r.Name, g.ID, "the default security group %s of %s has no rules", g.ID, vpc)
				continue
			}
			e.fail(r.Name, g.ID, "the default security group %s of %s does not restrict all traffic: %s and %s",
				g.ID, vpc, plural(len(g.Ingress), "inbound rule"), plural(g.Egress, "outbound rule"))
		}
	}
}

// elasticIPs fails an Elastic IP that is not associated with anything, or
// is associated with a stopped instance: it is billed while idle, and a
// released address can be claimed by anyone for the DNS names still
// pointing at it.
func elasticIPs(e *env) {
	for r := range e.regions(snapshot.SrcAddresses, snapshot.SrcInstances) {
		stopped := map[string]snapshot.Instance{}
		for _, in := range r.Stopped {
			stopped[in.ID] = in
		}
		for _, a := range r.Addresses {
			res := cmp.Or(a.AllocationID, a.PublicIP)
			switch in, ok := stopped[a.Instance]; {
			case a.Instance == "" && a.Interface == "":
				e.fail(r.Name, res, "Elastic IP %s is not associated with any instance or network interface", a.PublicIP)
			case ok:
				e.fail(r.Name, res, "Elastic IP %s is held by instance %s, which is %s", a.PublicIP, label(in), cmp.Or(in.State, "stopped"))
			default:
				e.pass(r.Name, res, "Elastic IP %s is associated with %s", a.PublicIP, cmp.Or(a.Instance, a.Interface))
			}
		}
	}
}
