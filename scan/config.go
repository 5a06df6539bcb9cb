package scan

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sethvargo/go-githubactions"
)

// DefaultRegion is used when neither Options nor the environment name a
// region: IAM is global, and STS answers in every region, so any works.
const DefaultRegion = "us-east-1"

// DefaultAudience is the audience AWS's documentation has the IAM OIDC
// provider for GitHub accept.
const DefaultAudience = "sts.amazonaws.com"

// Options chooses how to get AWS credentials. The zero value is the
// standard SDK chain: environment, shared config and credentials files
// (profiles, SSO), web identity token file, container and instance role.
// AWS_REGION, AWS_PROFILE and AWS_ENDPOINT_URL are honoured as the SDK
// does; fields set here win over them.
type Options struct {
	// Region for STS and regional services; "" means AWS_REGION or the
	// profile's region, else DefaultRegion.
	Region string
	// Profile of the shared config files; "" means AWS_PROFILE or default.
	Profile string
	// RoleToAssume is an IAM role ARN. In GitHub Actions it is assumed
	// with the job's OIDC ID token (AssumeRoleWithWebIdentity); elsewhere
	// with sts:AssumeRole from the chain's credentials.
	RoleToAssume string
	// Audience of the GitHub ID token; "" means DefaultAudience.
	Audience string
	// SessionName of the assumed role session; "" means
	// keysweep-<GITHUB_RUN_ID>, so CloudTrail ties calls to the run.
	SessionName string
	// GitHubActions forces OIDC for RoleToAssume, so a job that lacks
	// `id-token: write` fails with that reason instead of falling back
	// to sts:AssumeRole. Without it OIDC is used when the runner offers
	// an ID token (ACTIONS_ID_TOKEN_REQUEST_URL is set).
	GitHubActions bool
	// HTTPClient for AWS and the ID token request; nil means defaults.
	HTTPClient *http.Client
}

// LoadConfig resolves credentials and region as Options describes. It makes
// no network call: credentials are fetched on the first request, whose
// error Classify explains. Call CallerIdentity to check them up front.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, &Error{
			Op:    "load AWS config",
			Cause: oneLine(err.Error(), 300),
			Hint:  "check AWS_PROFILE, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE",
			Err:   err,
		}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if onlyInstanceRole(cfg.Credentials) {
		cfg.Credentials = lastResort{cfg.Credentials}
	}
	if o.RoleToAssume == "" {
		return cfg, nil
	}

	// The STS client is built from the chain's config so the endpoint and
	// region (regional STS) apply to the role assumption too.
	client := sts.NewFromConfig(cfg)
	session := sessionName(o.SessionName)
	if o.GitHubActions || os.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "" {
		audience := o.Audience
		if audience == "" {
			audience = DefaultAudience
		}
		var ghOpts []githubactions.Option
		if o.HTTPClient != nil {
			ghOpts = append(ghOpts, githubactions.WithHTTPClient(o.HTTPClient))
		}
		cfg.Credentials = aws.NewCredentialsCache(&oidcProvider{
			action:   githubactions.New(ghOpts...),
			audience: audience,
			role:     o.RoleToAssume,
			session:  session,
			client:   client,
		})
		return cfg, nil
	}
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, o.RoleToAssume,
		func(ao *stscreds.AssumeRoleOptions) { ao.RoleSessionName = session }))
	return cfg, nil
}

// onlyInstanceRole reports whether the chain fell through to its last
// resort, the EC2 instance role: nothing in the environment or the shared
// files held credentials.
func onlyInstanceRole(p aws.CredentialsProvider) bool {
	src, ok := p.(aws.CredentialProviderSource)
	if !ok {
		return false
	}
	s := src.ProviderSources()
	return len(s) == 1 && s[0] == aws.CredentialSourceIMDS
}

// lastResort explains the failure of the chain's last resort: off EC2 the
// SDK reports an unreachable metadata service, which reads like a network
// fault when the cause is that no credentials were configured at all.
type lastResort struct{ aws.CredentialsProvider }

func (p lastResort) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.CredentialsProvider.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		return c, &Error{Cause: "no AWS credentials", Hint: hintNoCredentials, Err: err}
	}
	return c, err
}

func (p lastResort) ProviderSources() []aws.CredentialSource {
	return p.CredentialsProvider.(aws.CredentialProviderSource).ProviderSources()
}

var invalidSessionChars = regexp.MustCompile(`[^\w+=,.@-]`)

// sessionName returns a valid RoleSessionName: 2-64 characters of
// [\w+=,.@-], as STS requires.
func sessionName(name string) string {
	if name == "" {
		name = "keysweep"
		if id := os.Getenv("GITHUB_RUN_ID"); id != "" {
			name += "-" + id
		}
	}
	name = invalidSessionChars.ReplaceAllString(name, "-")
	if len(name) > 64 {
		name = name[:64]
	}
	if len(name) < 2 {
		name = "keysweep"
	}
	return name
}

// oidcProvider assumes a role with the GitHub Actions ID token. It fetches
// a fresh token on every retrieval because the token lives only minutes
// while the cache outlives it, and it keeps the token at hand so that a
// refusal can be explained by the claims STS saw.
type oidcProvider struct {
	action   *githubactions.Action
	audience string
	role     string
	session  string
	client   stscreds.AssumeRoleWithWebIdentityAPIClient
}

func (p *oidcProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	// The runtime's token service has no timeout of its own; a hung
	// request must not hang the scan.
	tctx, cancel := context.WithTimeout(ctx, tokenTimeout)
	token, err := p.action.GetIDToken(tctx, p.audience)
	cancel()
	if err != nil {
		return aws.Credentials{}, Classify("GitHub OIDC token", err)
	}
	prov := stscreds.NewWebIdentityRoleProvider(p.client, p.role, staticToken(token),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = p.session })
	creds, err := prov.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, classifyWebIdentity(err, p.role, token)
	}
	return creds, nil
}

const tokenTimeout = 30 * time.Second

type staticToken string

func (t staticToken) GetIdentityToken() ([]byte, error) { return []byte(t), nil }

// CallerIdentity returns the account and ARN the credentials act as
// (sts:GetCallerIdentity, which needs no permission): the check that AWS
// can be reached at all, and the account the inventory belongs to.
func CallerIdentity(ctx context.Context, cfg aws.Config) (account, arn string, err error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", Classify("sts:GetCallerIdentity", err)
	}
	return aws.ToString(out.Account), aws.ToString(out.Arn), nil
}
