package iampolicy

import (
	"slices"
	"strings"
)

// Level is how much a principal can do, from the worst down.
type Level string

// Levels. Unknown is for callers whose policies could not all be read;
// Assess never returns it.
const (
	LevelAdmin      Level = "admin"
	LevelEscalation Level = "privilege-escalation"
	LevelWrite      Level = "write"
	LevelRead       Level = "read"
	LevelNone       Level = "none"
	LevelUnknown    Level = "unknown"
)

// Rank orders levels by urgency: admin 5 … none 1, unknown 0.
func (l Level) Rank() int {
	switch l {
	case LevelAdmin:
		return 5
	case LevelEscalation:
		return 4
	case LevelWrite:
		return 3
	case LevelRead:
		return 2
	case LevelNone:
		return 1
	}
	return 0
}

// Escalation is a known privilege-escalation path the principal holds:
// every action of it is granted.
type Escalation struct {
	Path    string   `json:"path"`
	Actions []string `json:"actions"`
	// Conditional: some action of the path is granted only conditionally.
	Conditional bool `json:"conditional,omitempty"`
}

// Assessment is what a principal can do.
type Assessment struct {
	Level Level `json:"level"`
	// Conditional: the level rests on conditional grants only.
	Conditional bool         `json:"conditional,omitempty"`
	Escalations []Escalation `json:"escalations,omitempty"`
	// HighImpact are the high-impact actions granted, each with the
	// resource ("iam:CreateAccessKey on *").
	HighImpact []string `json:"highImpact,omitempty"`
	Grants     []Grant  `json:"grants"`
	Truncated  bool     `json:"truncated,omitempty"`
}

// path is one escalation path: the actions that together let a principal
// gain permissions it was not given. others marks actions that escalate
// only when aimed at another user (a key or password for oneself gains
// nothing).
type path struct {
	name    string
	actions []string
	others  bool
}

// escalationPaths are the published IAM privilege-escalation methods
// (Rhino Security Labs' list, Bishop Fox's, pathfinding.cloud), each
// reduced to the permissions that suffice.
var escalationPaths = []path{
	{name: "new default version of a managed policy", actions: []string{"iam:CreatePolicyVersion"}},
	{name: "switch a managed policy's default version", actions: []string{"iam:SetDefaultPolicyVersion"}},
	{name: "attach a policy to a user", actions: []string{"iam:AttachUserPolicy"}},
	{name: "attach a policy to a group", actions: []string{"iam:AttachGroupPolicy"}},
	{name: "attach a policy to a role", actions: []string{"iam:AttachRolePolicy"}},
	{name: "put an inline user policy", actions: []string{"iam:PutUserPolicy"}},
	{name: "put an inline group policy", actions: []string{"iam:PutGroupPolicy"}},
	{name: "put an inline role policy", actions: []string{"iam:PutRolePolicy"}},
	{name: "add a user to a group", actions: []string{"iam:AddUserToGroup"}},
	{name: "rewrite a role's trust policy", actions: []string{"iam:UpdateAssumeRolePolicy"}},
	{name: "remove a permissions boundary", actions: []string{"iam:DeleteUserPermissionsBoundary"}},
	{name: "create access keys for other users", actions: []string{"iam:CreateAccessKey"}, others: true},
	{name: "create a console password for other users", actions: []string{"iam:CreateLoginProfile"}, others: true},
	{name: "change other users' console password", actions: []string{"iam:UpdateLoginProfile"}, others: true},
	{name: "pass a role to a new EC2 instance", actions: []string{"iam:PassRole", "ec2:RunInstances"}},
	{name: "pass a role to a new Lambda function", actions: []string{"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"}},
	{name: "pass a role to a new Lambda function run by an event source", actions: []string{"iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"}},
	{name: "change the code of a function that runs with a role", actions: []string{"lambda:UpdateFunctionCode"}},
	{name: "pass a role to a CloudFormation stack", actions: []string{"iam:PassRole", "cloudformation:CreateStack"}},
	{name: "pass a role to a Glue development endpoint", actions: []string{"iam:PassRole", "glue:CreateDevEndpoint"}},
	{name: "pass a role to an ECS task", actions: []string{"iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"}},
	{name: "pass a role to a CodeBuild project", actions: []string{"iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"}},
	{name: "pass a role to a SageMaker notebook", actions: []string{"iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"}},
	{name: "pass a role to an Auto Scaling launch configuration", actions: []string{"iam:PassRole", "autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup"}},
	{name: "pass a role to a Data Pipeline", actions: []string{"iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"}},
}

// highImpact are actions worth naming when granted: they read secrets or
// data, create identities or compute, or blind the account's monitoring.
var highImpact = []string{
	"iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:CreatePolicyVersion",
	"iam:PassRole", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole",
	"organizations:LeaveOrganization",
	"secretsmanager:GetSecretValue", "ssm:GetParameter", "kms:Decrypt",
	"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutBucketPolicy", "dynamodb:Scan",
	"ec2:RunInstances", "lambda:CreateFunction", "lambda:UpdateFunctionCode", "ssm:SendCommand",
	"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector", "config:StopConfigurationRecorder",
}

// Assess classifies what the principal can do: admin (every action, or
// a way to grant itself every action), privilege-escalation (a known
// path), write, read or none, with the escalation paths, the high-impact
// actions and every grant.
func Assess(p Principal) Assessment {
	grants, truncated := p.Grants()
	a := Assessment{Grants: grants, Truncated: truncated}
	if a.Grants == nil {
		a.Grants = []Grant{}
	}
	for _, act := range highImpact {
		if g, ok := p.Allows(grants, act); ok {
			s := act + " on " + g.Resource
			if g.Conditional {
				s += " (conditional)"
			}
			a.HighImpact = append(a.HighImpact, s)
		}
	}
	for _, e := range escalationPaths {
		if esc, ok := p.holds(grants, e); ok {
			a.Escalations = append(a.Escalations, esc)
		}
	}
	switch d := p.admin(grants); {
	case d.Allows():
		a.Level, a.Conditional = LevelAdmin, d != Allowed
	case len(a.Escalations) > 0:
		a.Level = LevelEscalation
		a.Conditional = !slices.ContainsFunc(a.Escalations, func(e Escalation) bool { return !e.Conditional })
	case len(grants) == 0:
		a.Level = LevelNone
	default:
		var writes, reads []Grant
		for _, g := range grants {
			if g.NotAction != nil || !ReadOnly(g.Action) {
				writes = append(writes, g)
			} else {
				reads = append(reads, g)
			}
		}
		a.Level, a.Conditional = LevelRead, allConditional(reads)
		if len(writes) > 0 {
			a.Level, a.Conditional = LevelWrite, allConditional(writes)
		}
	}
	return a
}

// admin says whether the principal can do everything, or make itself able
// to: every action on every resource, all of IAM, or policies on its own
// user, when no boundary or SCP would still hold a self-granted policy back.
func (p Principal) admin(grants []Grant) Decision {
	if d := p.Evaluate("*", "*"); d.Allows() {
		return d
	}
	if p.Boundary != nil {
		return Denied
	}
	for _, l := range p.SCPs {
		if allow, _ := layer(l, "*", "*"); !allow.Allows() {
			return Denied
		}
	}
	best := p.Evaluate("iam:*", "*")
	if best == Allowed {
		return best
	}
	if p.ARN != "" {
		for _, act := range []string{"iam:AttachUserPolicy", "iam:PutUserPolicy"} {
			best = max(best, p.Evaluate(act, p.ARN))
		}
	}
	if !best.Allows() {
		return Denied
	}
	return best
}

// holds reports whether the principal has every action of the path.
func (p Principal) holds(grants []Grant, e path) (Escalation, bool) {
	esc := Escalation{Path: e.name, Actions: e.actions}
	for _, act := range e.actions {
		g, ok := p.Allows(othersOnly(grants, p.ARN, e.others), act)
		if !ok {
			return esc, false
		}
		esc.Conditional = esc.Conditional || g.Conditional
	}
	return esc, true
}

// othersOnly leaves out, when aimed must be at other users, the grants
// whose resource is the principal itself (its ARN or ${aws:username}).
func othersOnly(grants []Grant, self string, others bool) []Grant {
	if !others {
		return grants
	}
	var out []Grant
	for _, g := range grants {
		if g.Resource == self || strings.Contains(g.Resource, "${aws:username}") {
			continue
		}
		out = append(out, g)
	}
	return out
}

// readVerbs begin the names of actions that only read.
var readVerbs = []string{"get", "list", "describe", "batchget", "search", "lookup", "view", "query", "scan", "select", "head"}

// ReadOnly reports whether an action (or action pattern) only reads: its
// name, after the service prefix, begins with a read verb (Get, List,
// Describe, …) before any wildcard. "s3:*" and "*" are not read-only.
func ReadOnly(action string) bool {
	_, name, ok := strings.Cut(action, ":")
	if !ok {
		return false
	}
	name = strings.ToLower(name)
	for _, v := range readVerbs {
		if strings.HasPrefix(name, v) && !strings.ContainsAny(name[:len(v)], "*?") {
			return true
		}
	}
	return false
}

func allConditional(gs []Grant) bool {
	return !slices.ContainsFunc(gs, func(g Grant) bool { return !g.Conditional })
}
