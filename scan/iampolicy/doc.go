// Package iampolicy evaluates AWS IAM policy documents the way IAM does,
// as pure functions: it parses documents (URL-encoded as IAM returns them,
// or plain JSON), and answers whether a set of policies allows an action
// on a resource: Allow and Deny, Action and NotAction, Resource and
// NotResource, "*" and "?" wildcards (actions case-insensitive, resources
// case-sensitive), an explicit Deny wins, a statement with a Condition (or
// a policy variable) grants only conditionally, and a permissions boundary
// and the service control policies of every level of an organization
// intersect with the identity's policies.
//
// A query may itself hold wildcards ("iam:*", "*"): an Allow answers it
// only if it covers every request the query stands for, and a Deny
// restricts it if it touches any of them. So Evaluate(docs, "*", "*") is
// Allowed only for a policy that grants everything, and a policy that
// grants all but one action is Conditional for it, never silently full.
//
// Resource-based policies, session policies and the implicit permissions
// of the root user are out of scope: keysweep judges IAM users' keys.
package iampolicy
