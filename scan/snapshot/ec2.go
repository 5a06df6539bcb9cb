package snapshot

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// imageBatch is how many AMI IDs one DescribeImages call asks for.
const imageBatch = 100

// enabledRegions lists the regions the account can use. If that fails the
// home region is still collected, and the failure says the rest was not.
func (c *collector) enabledRegions(ctx context.Context) []string {
	out, err := ec2.NewFromConfig(c.regionConfig(c.snap.HomeRegion)).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		c.fail(SrcRegions, c.snap.HomeRegion, "", "ec2:DescribeRegions", err)
		return []string{c.snap.HomeRegion}
	}
	var rs []string
	for _, r := range out.Regions {
		rs = append(rs, aws.ToString(r.RegionName))
	}
	return rs
}

// region collects one region. Each source fails on its own, so a denied
// DescribeInstances still leaves the security groups to judge.
func (c *collector) region(ctx context.Context, name string) {
	cl := ec2.NewFromConfig(c.regionConfig(name))
	r := &Region{Name: name}
	if c.opts.wants(SrcSecurityGroups) {
		r.SecurityGroups = regional(ctx, c, SrcSecurityGroups, name, "ec2:DescribeSecurityGroups",
			ec2.NewDescribeSecurityGroupsPaginator(cl, &ec2.DescribeSecurityGroupsInput{}), securityGroups)
	}
	if c.opts.wants(SrcInterfaces) {
		r.NetworkInterfaces = regional(ctx, c, SrcInterfaces, name, "ec2:DescribeNetworkInterfaces",
			ec2.NewDescribeNetworkInterfacesPaginator(cl, &ec2.DescribeNetworkInterfacesInput{}), networkInterfaces)
	}
	if c.opts.wants(SrcSecurityGroups, SrcPrefixLists) {
		r.PrefixLists = c.prefixLists(ctx, cl, name, r.SecurityGroups)
	}
	if c.opts.wants(SrcInstances, SrcImages, SrcAddresses) {
		// One listing holds the running instances and the stopped ones,
		// which matter for the Elastic IPs they hold.
		all := regional(ctx, c, SrcInstances, name, "ec2:DescribeInstances",
			ec2.NewDescribeInstancesPaginator(cl, &ec2.DescribeInstancesInput{
				Filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running", "stopping", "stopped"}}},
			}), instances)
		for _, in := range all {
			if in.State == "running" {
				r.Instances = append(r.Instances, in)
			} else {
				r.Stopped = append(r.Stopped, in)
			}
		}
	}
	if c.opts.wants(SrcAddresses) {
		out, err := cl.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
		if err != nil {
			c.fail(SrcAddresses, name, "", "ec2:DescribeAddresses", err)
		} else {
			for _, a := range out.Addresses {
				r.Addresses = append(r.Addresses, Address{PublicIP: aws.ToString(a.PublicIp), AllocationID: aws.ToString(a.AllocationId),
					Instance: aws.ToString(a.InstanceId), Interface: aws.ToString(a.NetworkInterfaceId)})
			}
		}
	}
	if c.opts.wants(SrcImages) {
		r.Images = c.images(ctx, cl, name, r.Instances)
	}
	if c.opts.wants(SrcTrails, SrcTrailStatus, SrcEventSelectors) {
		c.describeTrails(ctx, name)
	}

	c.mu.Lock()
	c.snap.Regional[name] = r
	c.mu.Unlock()
}

// regional drains a paginator of one region into snapshot values, keeping
// what was read before a failure and recording the failure.
func regional[T, Out, Opt any](ctx context.Context, c *collector, src Source, region, op string, p pager[Out, Opt], conv func(*Out) []T) []T {
	items, err := drain(ctx, p, conv)
	if err != nil {
		c.fail(src, region, "", op, err)
	}
	return items
}

func securityGroups(o *ec2.DescribeSecurityGroupsOutput) []SecurityGroup {
	out := make([]SecurityGroup, 0, len(o.SecurityGroups))
	for _, g := range o.SecurityGroups {
		sg := SecurityGroup{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), VPC: aws.ToString(g.VpcId)}
		for _, p := range g.IpPermissions {
			in := Ingress{Protocol: aws.ToString(p.IpProtocol), FromPort: aws.ToInt32(p.FromPort), ToPort: aws.ToInt32(p.ToPort)}
			for _, r := range p.IpRanges {
				in.CIDRs = append(in.CIDRs, aws.ToString(r.CidrIp))
			}
			for _, r := range p.Ipv6Ranges {
				in.CIDRs = append(in.CIDRs, aws.ToString(r.CidrIpv6))
			}
			for _, pl := range p.PrefixListIds {
				in.PrefixLists = append(in.PrefixLists, aws.ToString(pl.PrefixListId))
			}
			in.Groups = len(p.UserIdGroupPairs)
			sg.Ingress = append(sg.Ingress, in)
		}
		sg.Egress = len(g.IpPermissionsEgress)
		out = append(out, sg)
	}
	return out
}

func networkInterfaces(o *ec2.DescribeNetworkInterfacesOutput) []NetworkInterface {
	out := make([]NetworkInterface, 0, len(o.NetworkInterfaces))
	for _, n := range o.NetworkInterfaces {
		ni := NetworkInterface{
			ID:          aws.ToString(n.NetworkInterfaceId),
			Type:        string(n.InterfaceType),
			RequesterID: aws.ToString(n.RequesterId),
			Description: aws.ToString(n.Description),
			Groups:      groupIDs(n.Groups),
		}
		if n.Attachment != nil {
			ni.Instance = aws.ToString(n.Attachment.InstanceId)
		}
		if n.Association != nil {
			ni.PublicIP = aws.ToString(n.Association.PublicIp)
		}
		// An Elastic IP may sit on any private IP of the interface.
		for _, p := range n.PrivateIpAddresses {
			if p.Association != nil && aws.ToString(p.Association.PublicIp) != "" {
				ni.PublicIPs = appendNew(ni.PublicIPs, aws.ToString(p.Association.PublicIp))
			}
		}
		if ni.PublicIP != "" {
			ni.PublicIPs = appendNew(ni.PublicIPs, ni.PublicIP)
		}
		out = append(out, ni)
	}
	return out
}

func instances(o *ec2.DescribeInstancesOutput) []Instance {
	var out []Instance
	for _, res := range o.Reservations {
		for _, in := range res.Instances {
			i := Instance{
				ID:       aws.ToString(in.InstanceId),
				State:    stateName(in.State),
				ImageID:  aws.ToString(in.ImageId),
				Launched: aws.ToTime(in.LaunchTime),
				PublicIP: aws.ToString(in.PublicIpAddress),
				Groups:   groupIDs(in.SecurityGroups),
			}
			for _, t := range in.Tags {
				if aws.ToString(t.Key) == "Name" {
					i.Name = aws.ToString(t.Value)
				}
			}
			// An Elastic IP on a secondary interface, or on a secondary
			// private IP of any interface, is not in PublicIpAddress.
			for _, n := range in.NetworkInterfaces {
				if i.PublicIP == "" && n.Association != nil {
					i.PublicIP = aws.ToString(n.Association.PublicIp)
				}
				for _, p := range n.PrivateIpAddresses {
					if i.PublicIP == "" && p.Association != nil {
						i.PublicIP = aws.ToString(p.Association.PublicIp)
					}
				}
			}
			out = append(out, i)
		}
	}
	return out
}

func stateName(s *types.InstanceState) string {
	if s == nil {
		return ""
	}
	return string(s.Name)
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// prefixLists reads the entries of every managed prefix list the groups'
// rules reference: one paginated call a list, only for lists in use.
func (c *collector) prefixLists(ctx context.Context, cl *ec2.Client, region string, groups []SecurityGroup) map[string]PrefixList {
	var ids []string
	for _, g := range groups {
		for _, in := range g.Ingress {
			ids = append(ids, in.PrefixLists...)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	out := make(map[string]PrefixList, len(ids))
	for _, id := range ids {
		entries, err := drain(ctx, ec2.NewGetManagedPrefixListEntriesPaginator(cl, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id)}),
			func(o *ec2.GetManagedPrefixListEntriesOutput) []string {
				var cidrs []string
				for _, e := range o.Entries {
					cidrs = append(cidrs, aws.ToString(e.Cidr))
				}
				return cidrs
			})
		if err != nil {
			c.fail(SrcPrefixLists, region, id, "ec2:GetManagedPrefixListEntries", err)
			continue
		}
		out[id] = PrefixList{ID: id, CIDRs: entries}
	}
	return out
}

func groupIDs(gs []types.GroupIdentifier) []string {
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		ids = append(ids, aws.ToString(g.GroupId))
	}
	return ids
}

// images describes the AMIs the instances run, in batches.
func (c *collector) images(ctx context.Context, cl *ec2.Client, region string, insts []Instance) map[string]Image {
	var ids []string
	for _, in := range insts {
		if in.ImageID != "" {
			ids = append(ids, in.ImageID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	imgs := make(map[string]Image, len(ids))
	for _, batch := range chunks(ids, imageBatch) {
		if err := describeImages(ctx, cl, batch, imgs); err != nil {
			c.fail(SrcImages, region, "", "ec2:DescribeImages", err)
		}
	}
	return imgs
}

// describeImages fills imgs for ids. One deregistered AMI makes the whole
// call fail with InvalidAMIID.NotFound, so a failing batch is split in
// halves until the missing IDs are isolated and marked Missing.
func describeImages(ctx context.Context, cl *ec2.Client, ids []string, imgs map[string]Image) error {
	out, err := cl.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: ids, IncludeDeprecated: aws.Bool(true)})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "InvalidAMIID.NotFound" || ae.ErrorCode() == "InvalidAMIID.Unavailable") {
		if len(ids) == 1 {
			imgs[ids[0]] = Image{ID: ids[0], Missing: true}
			return nil
		}
		mid := len(ids) / 2
		return errors.Join(describeImages(ctx, cl, ids[:mid], imgs), describeImages(ctx, cl, ids[mid:], imgs))
	}
	if err != nil {
		return err
	}
	for _, im := range out.Images {
		id := aws.ToString(im.ImageId)
		imgs[id] = Image{
			ID:         id,
			Name:       aws.ToString(im.Name),
			Owner:      aws.ToString(im.OwnerId),
			Created:    parseEC2Time(aws.ToString(im.CreationDate)),
			Deprecated: parseEC2Time(aws.ToString(im.DeprecationTime)),
		}
	}
	// An ID the call silently left out (not shared any more) is missing too.
	for _, id := range ids {
		if _, ok := imgs[id]; !ok {
			imgs[id] = Image{ID: id, Missing: true}
		}
	}
	return nil
}

// parseEC2Time parses the string timestamps of DescribeImages
// ("2024-03-02T10:00:00.000Z").
func parseEC2Time(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
