package mototest

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// CredentialReport makes moto's IAM credential report the one AWS
// documents, which moto's is not: AWS's always opens with the
// <root_account> row, and its password_last_changed is "N/A" for a user
// without a password (moto writes the user's creation time). It also lets
// a test set any cell AWS would hold but moto cannot produce (a password
// set three days ago on a user created a year ago, a key last used 45 days
// and 5 hours ago). Use Answer as (or chain it into) a Proxy's AnswerFunc.
type CredentialReport struct {
	// Account is the account of the root row; default 123456789012,
	// moto's default account.
	Account string
	// Root sets cells of the root row over AWS's defaults for a root user
	// with a password, no MFA and no access key.
	Root map[string]string
	// NoRoot leaves the root row out (a report moto's way, for tests of
	// what a missing row does).
	NoRoot bool
	// Cells sets cells of users' rows: user name → column → value.
	Cells map[string]map[string]string
}

// rootDefaults are the cells of AWS's root row for an account whose root
// user has a password and nothing else.
var rootDefaults = map[string]string{
	"user_creation_time": "2019-01-01T00:00:00+00:00", "password_enabled": "true", "password_last_used": "no_information",
	"password_last_changed": "not_supported", "password_next_rotation": "not_supported", "mfa_active": "false",
	"access_key_1_active": "false", "access_key_1_last_rotated": "N/A", "access_key_1_last_used_date": "N/A",
	"access_key_1_last_used_region": "N/A", "access_key_1_last_used_service": "N/A",
	"access_key_2_active": "false", "access_key_2_last_rotated": "N/A", "access_key_2_last_used_date": "N/A",
	"access_key_2_last_used_region": "N/A", "access_key_2_last_used_service": "N/A",
	"cert_1_active": "false", "cert_1_last_rotated": "N/A", "cert_2_active": "false", "cert_2_last_rotated": "N/A",
}

var reportContent = regexp.MustCompile(`<Content>([^<]*)</Content>`)

// Answer rewrites moto's GetCredentialReport answer.
func (cr *CredentialReport) Answer(w http.ResponseWriter, c *Call) bool {
	if c.Action != "GetCredentialReport" {
		return false
	}
	resp, body, err := c.Forward()
	if err != nil || resp.StatusCode != http.StatusOK {
		return false // let the proxy forward it again and show moto's answer
	}
	m := reportContent.FindSubmatchIndex(body)
	if m == nil {
		http.Error(w, "mototest: no Content in GetCredentialReport", http.StatusBadGateway)
		return true
	}
	raw, err := base64.StdEncoding.DecodeString(string(body[m[2]:m[3]]))
	if err != nil {
		http.Error(w, "mototest: credential report is not base64: "+err.Error(), http.StatusBadGateway)
		return true
	}
	fixed, err := cr.rewrite(raw)
	if err != nil {
		http.Error(w, "mototest: "+err.Error(), http.StatusBadGateway)
		return true
	}
	out := slices.Concat(body[:m[2]], []byte(base64.StdEncoding.EncodeToString(fixed)), body[m[3]:])
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(out)
	return true
}

func (cr *CredentialReport) rewrite(raw []byte) ([]byte, error) {
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, fmt.Errorf("credential report: %v", err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	set := func(rec []string, cells map[string]string) error {
		for k, v := range cells {
			i, ok := col[k]
			if !ok {
				return fmt.Errorf("credential report has no column %q", k)
			}
			rec[i] = v
		}
		return nil
	}
	out := [][]string{recs[0]}
	if !cr.NoRoot {
		root := make([]string, len(recs[0]))
		account := cr.Account
		if account == "" {
			account = "123456789012"
		}
		cells := map[string]string{"user": "<root_account>", "arn": "arn:aws:iam::" + account + ":root"}
		for k, v := range rootDefaults {
			cells[k] = v
		}
		for k, v := range cr.Root {
			cells[k] = v
		}
		if err := set(root, cells); err != nil {
			return nil, err
		}
		out = append(out, root)
	}
	for _, rec := range recs[1:] {
		if rec[col["password_enabled"]] != "true" {
			rec[col["password_last_changed"]] = "N/A"
		}
		if err := set(rec, cr.Cells[rec[col["user"]]]); err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	var b bytes.Buffer
	wr := csv.NewWriter(&b)
	_ = wr.WriteAll(out)
	return b.Bytes(), wr.Error()
}

// ReportTime formats t as the credential report's cells do.
func ReportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// OrganizationsFeatures answers iam:ListOrganizationsFeatures, which moto
// lacks, as AWS does for the management account of an organization with
// the given centralized root access features enabled
// ("RootCredentialsManagement", "RootSessions"); with code set it answers
// that error instead (OrganizationNotFoundException for an account in no
// organization, AccountNotManagementOrDelegatedAdministrator for a
// member).
func OrganizationsFeatures(code string, features ...string) AnswerFunc {
	return func(w http.ResponseWriter, c *Call) bool {
		if c.Action != "ListOrganizationsFeatures" {
			return false
		}
		if code != "" {
			WriteError(w, http.StatusBadRequest, code, "mototest: "+code)
			return true
		}
		var b strings.Builder
		for _, f := range features {
			fmt.Fprintf(&b, "<member>%s</member>", f)
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<ListOrganizationsFeaturesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListOrganizationsFeaturesResult><OrganizationId>o-aa111bb222</OrganizationId><EnabledFeatures>%s</EnabledFeatures></ListOrganizationsFeaturesResult><ResponseMetadata><RequestId>3c4e2a1f-2b7e-4b6e-9f0a-1d2c3b4a5e6f</RequestId></ResponseMetadata></ListOrganizationsFeaturesResponse>`, b.String())
		return true
	}
}

// InterfaceTypes makes DescribeNetworkInterfaces give the named interfaces
// the InterfaceType AWS gives them (eni-… → "vpc_endpoint"): moto creates
// an interface VPC endpoint's interfaces as plain "interface" ones.
func InterfaceTypes(types map[string]string) AnswerFunc {
	return func(w http.ResponseWriter, c *Call) bool {
		if c.Action != "DescribeNetworkInterfaces" {
			return false
		}
		resp, body, err := c.Forward()
		if err != nil || resp.StatusCode != http.StatusOK {
			return false
		}
		for id, typ := range types {
			// EC2 writes an item's interfaceType before its networkInterfaceId.
			at := bytes.Index(body, []byte("<networkInterfaceId>"+id+"</networkInterfaceId>"))
			if at < 0 {
				continue
			}
			open := bytes.LastIndex(body[:at], []byte("<interfaceType>"))
			end := bytes.Index(body[open:], []byte("</interfaceType>"))
			if open < 0 || end < 0 {
				continue
			}
			body = slices.Concat(body[:open], []byte("<interfaceType>"+typ), body[open+end:])
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(body)
		return true
	}
}

// EnabledRegions answers ec2:DescribeRegions as AWS does for an account
// with exactly these regions enabled (moto enables every region it knows).
func EnabledRegions(regions ...string) AnswerFunc {
	return func(w http.ResponseWriter, c *Call) bool {
		if c.Action != "DescribeRegions" {
			return false
		}
		var b strings.Builder
		for _, r := range regions {
			fmt.Fprintf(&b, "<item><regionName>%s</regionName><regionEndpoint>ec2.%s.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>", r, r)
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId><regionInfo>%s</regionInfo></DescribeRegionsResponse>`, b.String())
		return true
	}
}

// AccountSummary adds entries to iam:GetAccountSummary's SummaryMap that
// moto does not produce, such as AccountPasswordPresent (whether the root
// user has a password, 1 or 0).
func AccountSummary(entries map[string]int) AnswerFunc {
	return func(w http.ResponseWriter, c *Call) bool {
		if c.Action != "GetAccountSummary" {
			return false
		}
		resp, body, err := c.Forward()
		if err != nil || resp.StatusCode != http.StatusOK {
			return false
		}
		end := bytes.Index(body, []byte("</SummaryMap>"))
		if end < 0 {
			http.Error(w, "mototest: no SummaryMap in GetAccountSummary", http.StatusBadGateway)
			return true
		}
		var add strings.Builder
		for k, v := range entries {
			fmt.Fprintf(&add, "<entry><key>%s</key><value>%d</value></entry>", k, v)
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(slices.Concat(body[:end], []byte(add.String()), body[end:]))
		return true
	}
}
