package snapshot_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/checks"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// recorder answers chosen AWS calls with recorded responses in AWS's
// documented wire format and passes every other call to moto. Answers are
// keyed "service:Operation", "service:Operation@region" or
// "service:*@region" (the region the request was signed for).
type recorder struct {
	moto    *httputil.ReverseProxy
	mu      sync.Mutex
	answers map[string]http.HandlerFunc
	seen    map[string]int
}

// recording is a recorder's server and what it saw.
type recording struct {
	*httptest.Server
	r *recorder
}

// calls is how many calls of key ("iam:ListUsers") the recorder saw.
func (rec recording) calls(key string) int {
	rec.r.mu.Lock()
	defer rec.r.mu.Unlock()
	return rec.r.seen[key]
}

func newRecorder(t *testing.T, motoURL string, answers map[string]http.HandlerFunc) recording {
	t.Helper()
	target, err := url.Parse(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{moto: httputil.NewSingleHostReverseProxy(target), answers: answers, seen: map[string]int{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return recording{srv, r}
}

var scopeRE = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/([^/]+)/aws4_request`)

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	var region, service, op string
	if m := scopeRE.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		region, service = m[1], m[2]
	}
	if target := req.Header.Get("X-Amz-Target"); target != "" { // JSON protocols
		op = target[strings.LastIndex(target, ".")+1:]
	} else if form, err := url.ParseQuery(string(body)); err == nil { // query protocol
		op = form.Get("Action")
	}
	key := service + ":" + op
	r.mu.Lock()
	r.seen[key]++
	var h http.HandlerFunc
	for _, k := range []string{key + "@" + region, service + ":*@" + region, key} {
		if h = r.answers[k]; h != nil {
			break
		}
	}
	r.mu.Unlock()
	if h == nil {
		r.moto.ServeHTTP(w, req)
		return
	}
	h(w, req)
}

// iamXML answers in the IAM query protocol's XML envelope.
func iamXML(action, result string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%[1]sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <%[1]sResult>%[2]s</%[1]sResult>
  <ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>
</%[1]sResponse>`, action, result)
	}
}

// jsonAnswer answers in the AWS JSON 1.1 protocol.
func jsonAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-RequestId", "c0ffee00-0000-4000-8000-000000000000")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// sequence answers with each handler in turn, repeating the last.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hs[min(n, len(hs)-1)]
		n++
		mu.Unlock()
		h(w, r)
	}
}

// awsReport is a credential report as AWS writes it: the root row first,
// "not_supported" in its password columns, "N/A" for absent keys, and
// "no_information" for a password never used.
const awsReport = `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::123456789012:root,2014-09-01T22:28:48+00:00,not_supported,2024-05-01T10:00:00+00:00,not_supported,not_supported,false,true,2019-01-01T00:00:00+00:00,2024-04-30T08:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::123456789012:user/alice,2023-02-01T09:00:00+00:00,true,no_information,2023-02-01T09:05:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
`

func reportAnswers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"iam:GenerateCredentialReport": sequence(
			iamXML("GenerateCredentialReport", `<State>STARTED</State><Description>No report exists. Starting a new report generation task</Description>`),
			iamXML("GenerateCredentialReport", `<State>COMPLETE</State>`)),
		"iam:GetCredentialReport": iamXML("GetCredentialReport", `<Content>`+base64.StdEncoding.EncodeToString([]byte(awsReport))+
			`</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>2024-05-01T10:00:00Z</GeneratedTime>`),
	}
}

// enc URL-encodes a policy document the way IAM returns them.
func enc(doc string) string { return url.PathEscape(doc) }

// authorizationAnswers is an account whose user alice has the AWS managed
// AdministratorAccess, a role with an inline s3:* policy, a service-linked
// role, and a group with a NotAction policy, as IAM returns them
// (documents URL-encoded).
func authorizationAnswers() map[string]http.HandlerFunc {
	admin := enc(`{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}`)
	return map[string]http.HandlerFunc{
		"iam:GetAccountAuthorizationDetails": iamXML("GetAccountAuthorizationDetails", `<IsTruncated>false</IsTruncated>
    <UserDetailList>
      <member>
        <GroupList><member>ops</member></GroupList>
        <AttachedManagedPolicies>
          <member><PolicyName>AdministratorAccess</PolicyName><PolicyArn>arn:aws:iam::aws:policy/AdministratorAccess</PolicyArn></member>
        </AttachedManagedPolicies>
        <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Path>/</Path><UserName>alice</UserName>
        <Arn>arn:aws:iam::123456789012:user/alice</Arn><CreateDate>2013-10-14T18:32:24Z</CreateDate>
        <UserPolicyList/>
      </member>
    </UserDetailList>
    <GroupDetailList>
      <member>
        <GroupId>AGPACKCEVSQ6C2EXAMPLE</GroupId><GroupName>ops</GroupName><Path>/</Path>
        <Arn>arn:aws:iam::123456789012:group/ops</Arn><CreateDate>2013-10-14T18:32:24Z</CreateDate>
        <GroupPolicyList>
          <member><PolicyName>not-iam</PolicyName><PolicyDocument>`+enc(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)+`</PolicyDocument></member>
        </GroupPolicyList>
        <AttachedManagedPolicies/>
      </member>
    </GroupDetailList>
    <RoleDetailList>
      <member>
        <RolePolicyList>
          <member><PolicyName>s3</PolicyName><PolicyDocument>`+enc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)+`</PolicyDocument></member>
        </RolePolicyList>
        <AttachedManagedPolicies/><InstanceProfileList/>
        <Path>/</Path><RoleName>app</RoleName><RoleId>AROACKCEVSQ6C2EXAMPLE</RoleId>
        <Arn>arn:aws:iam::123456789012:role/app</Arn><CreateDate>2020-01-01T00:00:00Z</CreateDate>
        <AssumeRolePolicyDocument>`+enc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)+`</AssumeRolePolicyDocument>
      </member>
      <member>
        <RolePolicyList/><AttachedManagedPolicies/><InstanceProfileList/>
        <Path>/aws-service-role/support.amazonaws.com/</Path><RoleName>AWSServiceRoleForSupport</RoleName><RoleId>AROAEXAMPLESUPPORT00</RoleId>
        <Arn>arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport</Arn><CreateDate>2019-01-01T00:00:00Z</CreateDate>
      </member>
    </RoleDetailList>
    <Policies/>`),
		"iam:GetPolicy": iamXML("GetPolicy", `<Policy><PolicyName>AdministratorAccess</PolicyName><DefaultVersionId>v1</DefaultVersionId>
      <PolicyId>ANPAIWMBCKSKIEE64ZLYK</PolicyId><Path>/</Path><Arn>arn:aws:iam::aws:policy/AdministratorAccess</Arn>
      <AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable>
      <CreateDate>2015-02-06T18:39:46Z</CreateDate><UpdateDate>2015-02-06T18:39:46Z</UpdateDate></Policy>`),
		"iam:GetPolicyVersion": iamXML("GetPolicyVersion", `<PolicyVersion><Document>`+admin+`</Document>
      <IsDefaultVersion>true</IsDefaultVersion><VersionId>v1</VersionId><CreateDate>2015-02-06T18:39:46Z</CreateDate></PolicyVersion>`),
	}
}

func merge(ms ...map[string]http.HandlerFunc) map[string]http.HandlerFunc {
	out := map[string]http.HandlerFunc{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func collect(t *testing.T, endpoint string, opts snapshot.Options) (*snapshot.Snapshot, []finding.CheckResult) {
	t.Helper()
	snap, err := snapshot.Collect(context.Background(), snapshot.NewReader(testConfig(endpoint), "123456789012", opts), opts)
	if err != nil {
		t.Fatal(err)
	}
	rs := checks.Run(snap, checks.Selection{}, checks.Thresholds{}, snap.CollectedAt)
	logResults(t, rs)
	return snap, rs
}

func results(rs []finding.CheckResult, rule string) []finding.CheckResult {
	var out []finding.CheckResult
	for _, r := range rs {
		if r.RuleID == rule {
			out = append(out, r)
		}
	}
	return out
}

func TestRecordedRootRowAccessAdvisorTrustedAdvisor(t *testing.T) {
	srv := freshMoto(t)
	const job = "examplef-1305-c245-eba4-71fe298bcda7"
	rec := newRecorder(t, srv.Endpoint, merge(reportAnswers(), authorizationAnswers(), map[string]http.HandlerFunc{
		"iam:GenerateServiceLastAccessedDetails": iamXML("GenerateServiceLastAccessedDetails", `<JobId>`+job+`</JobId>`),
		"iam:GetServiceLastAccessedDetails": sequence(
			iamXML("GetServiceLastAccessedDetails", `<JobStatus>IN_PROGRESS</JobStatus><JobCreationDate>2024-05-01T10:00:00Z</JobCreationDate><ServicesLastAccessed/><IsTruncated>false</IsTruncated>`),
			iamXML("GetServiceLastAccessedDetails", `<IsTruncated>false</IsTruncated>
    <JobCompletionDate>2024-05-01T10:00:04.241Z</JobCompletionDate>
    <JobCreationDate>2024-05-01T10:00:00.466Z</JobCreationDate>
    <ServicesLastAccessed>
      <member>
        <LastAuthenticatedEntity>arn:aws:iam::123456789012:user/alice</LastAuthenticatedEntity>
        <LastAuthenticated>2018-10-24T19:11:00Z</LastAuthenticated>
        <ServiceNamespace>iam</ServiceNamespace>
        <ServiceName>AWS Identity and Access Management</ServiceName>
        <TotalAuthenticatedEntities>2</TotalAuthenticatedEntities>
      </member>
      <member>
        <ServiceNamespace>s3</ServiceNamespace>
        <ServiceName>Amazon Simple Storage Service</ServiceName>
        <TotalAuthenticatedEntities>0</TotalAuthenticatedEntities>
      </member>
    </ServicesLastAccessed>
    <JobStatus>COMPLETED</JobStatus>`)),
		"support:DescribeTrustedAdvisorChecks": jsonAnswer(200, `{"checks":[
			{"id":"Pfx0RwqBli","name":"Amazon S3 Bucket Permissions","description":"Checks buckets","category":"security","metadata":["Region Name","Bucket Name"]},
			{"id":"HCP4007jGY","name":"Security Groups - Specific Ports Unrestricted","description":"Checks groups","category":"security","metadata":["Region","Security Group Name"]},
			{"id":"7DAFEmoDos","name":"MFA on Root Account","description":"Checks root","category":"security","metadata":["Account"]},
			{"id":"Qch7DwouX1","name":"Low Utilization Amazon EC2 Instances","description":"Checks usage","category":"cost_optimizing","metadata":["Region"]}]}`),
		"support:DescribeTrustedAdvisorCheckSummaries": jsonAnswer(200, `{"summaries":[
			{"checkId":"Pfx0RwqBli","timestamp":"2024-05-01T09:00:00Z","status":"error","hasFlaggedResources":true,"resourcesSummary":{"resourcesProcessed":12,"resourcesFlagged":2,"resourcesIgnored":0,"resourcesSuppressed":0},"categorySpecificSummary":{}},
			{"checkId":"HCP4007jGY","timestamp":"2024-05-01T09:00:00Z","status":"warning","hasFlaggedResources":true,"resourcesSummary":{"resourcesProcessed":30,"resourcesFlagged":1,"resourcesIgnored":0,"resourcesSuppressed":0},"categorySpecificSummary":{}},
			{"checkId":"7DAFEmoDos","timestamp":"2024-05-01T09:00:00Z","status":"ok","hasFlaggedResources":false,"resourcesSummary":{"resourcesProcessed":1,"resourcesFlagged":0,"resourcesIgnored":0,"resourcesSuppressed":0},"categorySpecificSummary":{}},
			{"checkId":"Qch7DwouX1","timestamp":"2024-05-01T09:00:00Z","status":"warning","hasFlaggedResources":true,"resourcesSummary":{"resourcesProcessed":3,"resourcesFlagged":3,"resourcesIgnored":0,"resourcesSuppressed":0},"categorySpecificSummary":{"costOptimizing":{"estimatedMonthlySavings":42.0,"estimatedPercentMonthlySavings":0.2}}}]}`),
	}))

	snap, rs := collect(t, rec.URL, fastOptions)

	root := snap.CredentialReport[0]
	if !root.Root() || root.PasswordEnabled || root.PasswordLastChanged.Placeholder != "not_supported" ||
		!root.Keys[0].Active || root.Keys[0].LastUsedService != "s3" || root.Keys[1].LastRotated.Placeholder != "N/A" {
		t.Errorf("root row parsed as %+v", root)
	}
	if alice := snap.CredentialReport[1]; alice.PasswordLastUsed.Placeholder != "no_information" || !alice.PasswordEnabled {
		t.Errorf("alice row parsed as %+v", alice)
	}
	if got := results(rs, "iam-root-access-key"); len(got) != 1 || got[0].State != finding.CheckFail || !strings.Contains(got[0].Message, "last used 2024-04-30") {
		t.Errorf("root access key: %+v", got)
	}
	if got := results(rs, "iam-root-mfa"); len(got) != 1 || got[0].State != finding.CheckFail {
		t.Errorf("root mfa: %+v", got)
	}
	// Access Advisor ran for alice and the app role, not the service-linked
	// role. iam was last used in 2018; s3 never, by principals years old.
	if got := results(rs, "iam-unused-services"); len(got) != 2 || got[0].State != finding.CheckFail ||
		!strings.HasSuffix(got[0].Message, "2 services it has not used for 90+ days: iam, s3") {
		t.Errorf("unused services: %+v", got)
	}
	if n := rec.calls("iam:GenerateServiceLastAccessedDetails"); n != 2 {
		t.Errorf("%d Access Advisor jobs, want 2", n)
	}
	// AdministratorAccess (AWS managed, read with GetPolicy and
	// GetPolicyVersion) and nothing else: s3:* and NotAction are not admin.
	if got := results(rs, "iam-admin-policy"); len(got) != 1 || got[0].State != finding.CheckFail ||
		got[0].Resource != "arn:aws:iam::123456789012:user/alice" || !strings.Contains(got[0].Message, "arn:aws:iam::aws:policy/AdministratorAccess") {
		t.Errorf("admin policy: %+v", got)
	}
	ta := results(rs, "trusted-advisor")
	if len(ta) != 3 || ta[0].Severity != finding.SeverityHigh || ta[1].Severity != finding.SeverityMedium || ta[2].State != finding.CheckPass {
		t.Errorf("trusted advisor (security only): %+v", ta)
	}
	for _, r := range rs {
		if r.State == finding.CheckCouldNotRun {
			t.Errorf("could-not-run with every gap recorded: %s %s", r.RuleID, r.Message)
		}
	}
}

func TestRecordedSubscriptionRequired(t *testing.T) {
	srv := freshMoto(t)
	rec := newRecorder(t, srv.Endpoint, map[string]http.HandlerFunc{
		"support:DescribeTrustedAdvisorChecks": jsonAnswer(400,
			`{"__type":"SubscriptionRequiredException","message":"AWS Premium Support Subscription is required to use this service."}`),
	})
	snap, rs := collect(t, rec.URL, fastOptions)
	if snap.Advisor == nil || snap.Advisor.Available || snap.Failed(snapshot.SrcTrustedAdvisor, "") {
		t.Errorf("advisor %+v failures %v", snap.Advisor, snap.Failures)
	}
	got := results(rs, "trusted-advisor")
	if len(got) != 1 || got[0].State != finding.CheckNotApplicable || !strings.Contains(got[0].Message, "not available on this support plan") {
		t.Errorf("trusted advisor: %+v", got)
	}
}

func TestRecordedDenialsAndTimeout(t *testing.T) {
	srv := freshMoto(t)
	cfg := testConfig(srv.Endpoint)
	createBucket(t, srv.Endpoint, "trail-logs")
	ct := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = "eu-west-1" })
	ok(t)(ct.CreateTrail(context.Background(), &cloudtrail.CreateTrailInput{Name: aws.String("all"), S3BucketName: aws.String("trail-logs"), IsMultiRegionTrail: aws.Bool(true)}))

	rec := newRecorder(t, srv.Endpoint, map[string]http.HandlerFunc{
		// A policy that allows GetTrailStatus in us-east-1 only.
		"cloudtrail:GetTrailStatus@eu-west-1": jsonAnswer(400,
			`{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/keysweep/gha is not authorized to perform: cloudtrail:GetTrailStatus"}`),
		// No EC2 at all in eu-west-1 (as an SCP would have it), which also
		// spares moto creating that region's EC2 backend.
		"ec2:*@eu-west-1": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>b1f0e1ae-0000-4000-8000-000000000000</RequestID></Response>`)
		},
		// A report that never completes.
		"iam:GenerateCredentialReport": iamXML("GenerateCredentialReport", `<State>INPROGRESS</State>`),
	})
	opts := fastOptions
	opts.Regions = []string{"eu-west-1", "us-east-1"}
	opts.JobTimeout = 200 * time.Millisecond
	snap, rs := collect(t, rec.URL, opts)

	want := map[string]string{
		"cloudtrail-enabled":      "could not run: AccessDenied on cloudtrail:GetTrailStatus in eu-west-1 — add it to the role's policy",
		"cloudtrail-delivery":     "could not run: AccessDenied on cloudtrail:GetTrailStatus in eu-west-1 — add it to the role's policy",
		"ec2-security-group-open": "could not run: AccessDenied on ec2:DescribeSecurityGroups in eu-west-1 — add it to the role's policy",
		"iam-user-mfa":            "could not run: Timeout on iam:GenerateCredentialReport: credential report not complete after 200ms",
	}
	for rule, msg := range want {
		found := false
		for _, r := range results(rs, rule) {
			found = found || (r.State == finding.CheckCouldNotRun && r.Message == msg)
		}
		if !found {
			t.Errorf("%s: no could-not-run %q in\n%+v", rule, msg, results(rs, rule))
		}
	}
	// The denial in eu-west-1 hides nothing else: us-east-1's groups are judged.
	var usEast int
	for _, r := range results(rs, "ec2-security-group-open") {
		if r.Region == "us-east-1" && r.State == finding.CheckPass {
			usEast++
		}
	}
	if usEast == 0 || len(results(rs, "cloudtrail-log-validation")) != 1 {
		t.Errorf("other results missing: us-east-1 groups %d, validation %v", usEast, results(rs, "cloudtrail-log-validation"))
	}
	if f := snap.FailuresOf(snapshot.SrcTrailStatus); len(f) != 1 || f[0].Code != "AccessDeniedException" || f[0].Resource == "" {
		t.Errorf("trail status failure kept as %+v", f)
	}
}
