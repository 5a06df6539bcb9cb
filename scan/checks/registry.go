package checks

import (
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// tags builds a rule's tags: "security", "aws", then the FSBP control IDs
// ("fsbp/IAM.7") and CIS AWS Foundations Benchmark v3.0.0 sections ("cis/1.8").
func tags(refs ...string) []string { return append([]string{"security", "aws"}, refs...) }

// registry is every account check in catalogue order. It is the package's
// only global and is never modified.
var registry = []check{
	{
		rule: finding.Rule{
			ID: "iam-password-policy", Title: "IAM password policy is weak or missing", Severity: finding.SeverityMedium,
			Description: "The account password policy should require long passwords (14+ characters by default) with upper and lower case letters, numbers and symbols, let users change their own password, and not lock users out on expiry. Without a policy, the AWS default applies.",
			Help: `Set a strong password policy.

**Console:** IAM → Account settings → Password policy → Edit.

` + "```sh" + `
aws iam update-account-password-policy --minimum-password-length 14 \
  --require-uppercase-characters --require-lowercase-characters \
  --require-numbers --require-symbols --allow-users-to-change-password \
  --password-reuse-prevention 24 --no-hard-expiry
` + "```",
			Tags: tags("fsbp/IAM.7", "cis/1.8"),
		},
		needs: []snapshot.Source{snapshot.SrcPasswordPolicy},
		run:   passwordPolicy,
	},
	{
		rule: finding.Rule{
			ID: "iam-root-access-key", Title: "Root user has an active access key", Severity: finding.SeverityCritical,
			Description: "An access key of the root user has unrestricted access to the account and cannot be limited by any policy. The root user should have no access keys.",
			Help: `Delete the root user's access keys (after moving anything that uses them to an IAM role).

**Console:** sign in as the root user → account menu → Security credentials → Access keys → Actions → Delete.

Root access keys cannot be managed by an IAM principal; with root credentials:
` + "```sh" + `
aws iam list-access-keys            # as root
aws iam delete-access-key --access-key-id AKIA...
` + "```",
			Tags: tags("fsbp/IAM.4", "cis/1.4"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport},
		run:   rootAccessKey,
	},
	{
		rule: finding.Rule{
			ID: "iam-root-mfa", Title: "Root user has no MFA", Severity: finding.SeverityCritical,
			Description: "Without multi-factor authentication, the root user is protected by its password alone.",
			Help: `Enable MFA on the root user (a hardware key or passkey is best).

**Console:** sign in as the root user → account menu → Security credentials → Multi-factor authentication (MFA) → Assign MFA device.

There is no CLI for the root user's MFA; ` + "`aws iam get-account-summary`" + ` shows ` + "`AccountMFAEnabled`" + `.`,
			Tags: tags("fsbp/IAM.9", "cis/1.5"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport},
		run:   rootMFA,
	},
	{
		rule: finding.Rule{
			ID: "iam-user-mfa", Title: "IAM user with a console password has no MFA", Severity: finding.SeverityHigh,
			Description: "An IAM user who can sign in to the console with a password should have an MFA device.",
			Help: `Assign an MFA device to the user, or remove the console password if they do not need the console.

**Console:** IAM → Users → *user* → Security credentials → Multi-factor authentication (MFA) → Assign MFA device.

` + "```sh" + `
aws iam create-virtual-mfa-device --virtual-mfa-device-name USER --outfile qr.png --bootstrap-method QRCodePNG
aws iam enable-mfa-device --user-name USER --serial-number arn:aws:iam::ACCOUNT:mfa/USER \
  --authentication-code1 123456 --authentication-code2 789012
# or, if the user does not need the console:
aws iam delete-login-profile --user-name USER
` + "```",
			Tags: tags("fsbp/IAM.5", "cis/1.10"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport},
		run:   userMFA,
	},
	{
		rule: finding.Rule{
			ID: "iam-access-key-rotation", Title: "Active access key is older than the rotation limit", Severity: finding.SeverityMedium,
			Description: "Active access keys should be rotated (90 days by default): the older a key, the more places it may have leaked to.",
			Help: `Create a new key, move its users to it, then deactivate and delete the old one. Better: replace long-lived keys with IAM roles (OIDC for CI, instance profiles for EC2).

**Console:** IAM → Users → *user* → Security credentials → Access keys.

` + "```sh" + `
aws iam create-access-key --user-name USER
aws iam update-access-key --user-name USER --access-key-id OLD_KEY_ID --status Inactive
aws iam delete-access-key --user-name USER --access-key-id OLD_KEY_ID
` + "```",
			Tags: tags("fsbp/IAM.3", "cis/1.14"),
		},
		reads: []snapshot.Source{snapshot.SrcAccessKeys, snapshot.SrcCredentialReport},
		run:   keyRotation,
	},
	{
		rule: finding.Rule{
			ID: "iam-unused-credentials", Title: "Password or access key unused for too long", Severity: finding.SeverityMedium,
			Description: "Console passwords and active access keys not used for 45 days (by default) should be removed: nobody will notice if they are abused.",
			Help: `Deactivate or delete credentials that are not used.

**Console:** IAM → Users → *user* → Security credentials → Console sign-in → Manage (disable), and Access keys → Actions → Deactivate.

` + "```sh" + `
aws iam delete-login-profile --user-name USER
aws iam update-access-key --user-name USER --access-key-id KEY_ID --status Inactive
` + "```",
			Tags: tags("fsbp/IAM.22", "cis/1.12"),
		},
		reads: []snapshot.Source{snapshot.SrcAccessKeys, snapshot.SrcCredentialReport},
		run:   unusedCredentials,
	},
	{
		rule: finding.Rule{
			ID: "iam-user-two-active-keys", Title: "IAM user has two active access keys", Severity: finding.SeverityLow,
			Description: "A user should have at most one active access key; a second is only for the duration of a rotation.",
			Help: `Finish the rotation: deactivate and delete the key that is no longer used.

**Console:** IAM → Users → *user* → Security credentials → Access keys.

` + "```sh" + `
aws iam list-access-keys --user-name USER
aws iam update-access-key --user-name USER --access-key-id KEY_ID --status Inactive
aws iam delete-access-key --user-name USER --access-key-id KEY_ID
` + "```",
			Tags: tags("cis/1.13"),
		},
		reads: []snapshot.Source{snapshot.SrcAccessKeys, snapshot.SrcCredentialReport},
		run:   twoActiveKeys,
	},
	{
		rule: finding.Rule{
			ID: "ec2-security-group-open", Title: "Security group in use allows ingress from the internet", Severity: finding.SeverityHigh,
			Description: "A security group attached to at least one network interface allows ingress from 0.0.0.0/0 or ::/0. Groups whose name declares them public (e.g. *_everywhere, public-*) and groups used only by load balancers are exempt.",
			Help: `Restrict the rule to the addresses that need access (a VPN range, a load balancer's security group), or use Session Manager instead of opening SSH/RDP. If the exposure is intended, name the group accordingly (e.g. ` + "`https_everywhere`" + `).

**Console:** EC2 → Network & Security → Security groups → *group* → Inbound rules → Edit inbound rules.

` + "```sh" + `
aws ec2 revoke-security-group-ingress --region REGION --group-id sg-... \
  --ip-permissions 'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]'
aws ec2 revoke-security-group-ingress --region REGION --group-id sg-... \
  --ip-permissions 'IpProtocol=tcp,FromPort=22,ToPort=22,Ipv6Ranges=[{CidrIpv6=::/0}]'
` + "```",
			Tags: tags("fsbp/EC2.18", "fsbp/EC2.19", "cis/5.2", "cis/5.3"),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcSecurityGroups, snapshot.SrcInterfaces},
		run:   securityGroupOpen,
	},
	{
		rule: finding.Rule{
			ID: "ec2-instance-public-ip", Title: "Running instance has a public IPv4 address", Severity: finding.SeverityMedium,
			Description: "A running EC2 instance with a public IPv4 address (or an Elastic IP) is directly reachable from the internet, guarded only by its security groups.",
			Help: `Put the instance in a private subnet behind a load balancer or NAT, and reach it with Session Manager. Release or disassociate Elastic IPs that are not needed.

**Console:** EC2 → Instances → *instance* → Networking; VPC → Subnets → *subnet* → Edit subnet settings → uncheck "Enable auto-assign public IPv4 address".

` + "```sh" + `
aws ec2 disassociate-address --region REGION --association-id eipassoc-...
aws ec2 modify-subnet-attribute --region REGION --subnet-id subnet-... --no-map-public-ip-on-launch
` + "```",
			Tags: tags("fsbp/EC2.9"),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcInstances},
		run:   instancePublicIP,
	},
	{
		rule: finding.Rule{
			ID: "cloudtrail-enabled", Title: "No multi-region CloudTrail trail is logging", Severity: finding.SeverityHigh,
			Description: "Without a multi-region trail that is logging, API activity in some regions is not recorded and an intrusion leaves no trace.",
			Help: `Create a multi-region trail (or an organization trail from the management account) and start logging.

**Console:** CloudTrail → Trails → Create trail (applies to all regions by default).

` + "```sh" + `
aws cloudtrail create-trail --name management-events --s3-bucket-name BUCKET \
  --is-multi-region-trail --enable-log-file-validation
aws cloudtrail start-logging --name management-events
` + "```",
			Tags: tags("fsbp/CloudTrail.1", "cis/3.1"),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcTrails, snapshot.SrcTrailStatus},
		run:   cloudTrailEnabled,
	},
	{
		rule: finding.Rule{
			ID: "cloudtrail-log-validation", Title: "Trail does not validate its log files", Severity: finding.SeverityMedium,
			Description: "Log file validation writes signed digest files, so tampering with or deleting delivered logs can be detected.",
			Help: `Enable log file validation on the trail.

**Console:** CloudTrail → Trails → *trail* → General details → Edit → Log file validation: Enabled.

` + "```sh" + `
aws cloudtrail update-trail --name TRAIL --enable-log-file-validation
` + "```",
			Tags: tags("fsbp/CloudTrail.4", "cis/3.2"),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcTrails},
		run:   trailLogValidation,
	},
	{
		rule: finding.Rule{
			ID: "cloudtrail-delivery", Title: "Trail is not delivering its logs", Severity: finding.SeverityMedium,
			Description: "A logging trail whose last delivery is older than a day, or that reports a delivery error, is recording nothing that can be read.",
			Help: `Fix the cause of ` + "`LatestDeliveryError`" + ` — usually the S3 bucket policy, a deleted bucket, or a KMS key policy that does not allow CloudTrail.

**Console:** CloudTrail → Trails → *trail* → look for the delivery error banner; S3 → *bucket* → Permissions → Bucket policy.

` + "```sh" + `
aws cloudtrail get-trail-status --name TRAIL_ARN
aws s3api get-bucket-policy --bucket BUCKET
` + "```",
			Tags: tags(),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcTrails, snapshot.SrcTrailStatus},
		run:   trailDelivery,
	},
	{
		rule: finding.Rule{
			ID: "ec2-outdated-ami", Title: "Running instance uses a deprecated or old AMI", Severity: finding.SeverityMedium,
			Description: "A running instance launched from an AMI that is deprecated, no longer available, or older than 180 days (by default) probably misses security patches and cannot be rebuilt identically.",
			Help: `Rebuild the instance from a current AMI (or patch it and create a new AMI), then replace it.

**Console:** EC2 → Instances → *instance* → Details → AMI ID; EC2 → AMIs to find a current image.

` + "```sh" + `
aws ec2 describe-images --region REGION --image-ids ami-...
aws ssm get-parameter --region REGION --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
` + "```",
			Tags: tags(),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcInstances, snapshot.SrcImages},
		run:   outdatedAMI,
	},
	{
		rule: finding.Rule{
			ID: "trusted-advisor", Title: "Trusted Advisor check is in warning or error", Severity: finding.SeverityInfo,
			Description: "A Trusted Advisor check (security category by default) reports flagged resources. Red (error) results are high, yellow (warning) medium. Needs a Business, Enterprise On-Ramp or Enterprise support plan.",
			Help: `Open the check in Trusted Advisor and follow its recommended action for each flagged resource.

**Console:** Trusted Advisor → Recommendations → Security.

` + "```sh" + `
aws support describe-trusted-advisor-check-result --region us-east-1 --check-id CHECK_ID
` + "```",
			Tags: tags(),
		},
		needs: []snapshot.Source{snapshot.SrcTrustedAdvisor},
		run:   trustedAdvisor,
	},
	{
		rule: finding.Rule{
			ID: "iam-admin-policy", Title: "Principal is allowed every action on every resource", Severity: finding.SeverityHigh,
			Description: "A user, role or group whose managed or inline policies allow \"*\" on \"*\" is an administrator; grant least privilege instead.",
			Help: `Replace the policy with one that allows only what the principal needs (IAM Access Analyzer can generate one from CloudTrail activity).

**Console:** IAM → Users/Roles/User groups → *principal* → Permissions → remove the policy.

` + "```sh" + `
aws iam detach-user-policy  --user-name USER  --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
aws iam detach-role-policy  --role-name ROLE  --policy-arn POLICY_ARN
aws iam detach-group-policy --group-name GROUP --policy-arn POLICY_ARN
aws iam delete-role-policy  --role-name ROLE  --policy-name INLINE_POLICY
` + "```",
			Tags: tags("fsbp/IAM.1", "cis/1.16"),
		},
		needs: []snapshot.Source{snapshot.SrcPolicies},
		run:   adminPolicy,
	},
	{
		rule: finding.Rule{
			ID: "iam-unused-services", Title: "Principal is allowed services it does not use", Severity: finding.SeverityLow,
			Description: "IAM Access Advisor shows services a user or role is allowed but has not used for 90 days (by default); those permissions only widen what a stolen credential can do.",
			Help: `Remove the unused services from the principal's policies.

**Console:** IAM → Users/Roles → *principal* → Last Accessed.

` + "```sh" + `
JOB=$(aws iam generate-service-last-accessed-details --arn PRINCIPAL_ARN --query JobId --output text)
aws iam get-service-last-accessed-details --job-id "$JOB"
` + "```",
			Tags: tags(),
		},
		needs: []snapshot.Source{snapshot.SrcPolicies, snapshot.SrcServiceAccess},
		run:   unusedServices,
	},
	{
		rule: finding.Rule{
			ID: "billing-alarm", Title: "No billing alarm", Severity: finding.SeverityMedium,
			Description: "An enabled CloudWatch alarm with an action on AWS/Billing EstimatedCharges (us-east-1) is the cheapest intrusion detector: a stolen key is usually spent on compute. Member accounts of an organization may legitimately have none (the alarm belongs in the management account).",
			Help: `Enable billing alerts, then create an alarm that notifies an SNS topic.

**Console:** Billing and Cost Management → Billing preferences → Alert preferences → Receive CloudWatch billing alerts; then CloudWatch (us-east-1) → Alarms → Create alarm → Billing → Total Estimated Charge.

` + "```sh" + `
aws cloudwatch put-metric-alarm --region us-east-1 --alarm-name billing-over-100 \
  --namespace AWS/Billing --metric-name EstimatedCharges --dimensions Name=Currency,Value=USD \
  --statistic Maximum --period 21600 --evaluation-periods 1 --threshold 100 \
  --comparison-operator GreaterThanThreshold --alarm-actions arn:aws:sns:us-east-1:ACCOUNT:billing
` + "```",
			Tags: tags(),
		},
		needs: []snapshot.Source{snapshot.SrcBillingAlarms},
		run:   billingAlarm,
	},
}
