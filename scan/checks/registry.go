package checks

import (
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// tags builds a rule's tags: "security", "aws", then the controls the rule
// implements: CIS AWS Foundations Benchmark sections of v7.0 (the newest
// Prowler encodes) and v4.0 ("cis-v7.0/2.8", "cis-v4.0/1.8") and AWS
// Foundational Security Best Practices controls ("fsbp/IAM.7").
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
			Tags: tags("cis-v7.0/2.8", "cis-v4.0/1.8", "fsbp/IAM.7", "fsbp/IAM.15"),
		},
		needs: []snapshot.Source{snapshot.SrcPasswordPolicy},
		run:   passwordPolicy,
	},
	{
		rule: finding.Rule{
			ID: "iam-password-reuse", Title: "IAM password policy allows password reuse", Severity: finding.SeverityMedium,
			Description: "The account password policy should remember the last 24 passwords, so a leaked old password cannot be set again.",
			Help: `Set password reuse prevention to 24.

**Console:** IAM → Account settings → Password policy → Edit → Prevent password reuse: 24.

` + "```sh" + `
# update-account-password-policy replaces the whole policy: repeat the other settings
aws iam update-account-password-policy --password-reuse-prevention 24 --minimum-password-length 14 \
  --require-uppercase-characters --require-lowercase-characters --require-numbers --require-symbols \
  --allow-users-to-change-password
` + "```",
			Tags: tags("cis-v7.0/2.9", "cis-v4.0/1.9", "fsbp/IAM.16"),
		},
		needs: []snapshot.Source{snapshot.SrcPasswordPolicy},
		run:   passwordReuse,
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
			Tags: tags("cis-v7.0/2.4", "cis-v4.0/1.4", "fsbp/IAM.4"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport},
		run:   rootAccessKey,
	},
	{
		rule: finding.Rule{
			ID: "iam-root-mfa", Title: "Root user has no MFA", Severity: finding.SeverityCritical,
			Description: "Without multi-factor authentication, a root user that has a password or an access key is protected by that alone. A root user with no credential (member accounts created by Organizations, centralized root access) passes: there is nothing to sign in with.",
			Help: `Enable MFA on the root user (a hardware key or passkey is best).

**Console:** sign in as the root user → account menu → Security credentials → Multi-factor authentication (MFA) → Assign MFA device.

There is no CLI for the root user's MFA; ` + "`aws iam get-account-summary`" + ` shows ` + "`AccountMFAEnabled`" + `.`,
			Tags: tags("cis-v7.0/2.5", "cis-v4.0/1.5", "fsbp/IAM.9"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport},
		reads: []snapshot.Source{snapshot.SrcCredentialReport, snapshot.SrcOrgFeatures, snapshot.SrcAccountSummary},
		run:   rootMFA,
	},
	{
		rule: finding.Rule{
			ID: "iam-root-hardware-mfa", Title: "Root user's MFA is not a hardware device", Severity: finding.SeverityHigh,
			Description: "A root user that has a password or an access key should be protected by a hardware MFA device (or passkey), not a virtual one on a phone that may be lost, cloned or compromised. Root users with no credential at all (member accounts under centralized root access) pass.",
			Help: `Replace the root user's virtual MFA device with a hardware security key or passkey, or remove the root user's credentials (centralized root access in AWS Organizations).

**Console:** sign in as the root user → account menu → Security credentials → Multi-factor authentication (MFA) → Assign MFA device → Passkey or security key / Hardware TOTP token; then remove the virtual device.

` + "```sh" + `
aws iam list-virtual-mfa-devices --assignment-status Assigned \
  --query "VirtualMFADevices[?User.Arn=='arn:aws:iam::ACCOUNT:root']"
` + "```",
			Tags: tags("cis-v7.0/2.6", "cis-v4.0/1.6", "fsbp/IAM.6"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport, snapshot.SrcMFADevices},
		reads: []snapshot.Source{snapshot.SrcCredentialReport, snapshot.SrcMFADevices, snapshot.SrcAccountSummary},
		run:   rootHardwareMFA,
	},
	{
		rule: finding.Rule{
			ID: "iam-root-credentials-management", Title: "Organization does not manage root credentials centrally", Severity: finding.SeverityMedium,
			Description: "With centralized root access (RootCredentialsManagement), member accounts of an AWS Organization have no root password or access keys, and the management account performs the rare root-only tasks. Judged in the management account (or IAM's delegated administrator); members and standalone accounts are not applicable.",
			Help: `Enable trusted access for IAM in AWS Organizations, then centralized root credentials management, from the management account.

**Console:** IAM → Root access management → Enable.

` + "```sh" + `
aws organizations enable-aws-service-access --service-principal iam.amazonaws.com
aws iam enable-organizations-root-credentials-management
aws iam list-organizations-features
` + "```",
			Tags: tags("cis-v7.0/2.1.1"),
		},
		needs: []snapshot.Source{snapshot.SrcOrgFeatures},
		run:   rootCredentialsManagement,
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
			Tags: tags("cis-v7.0/2.10", "cis-v4.0/1.10", "fsbp/IAM.5"),
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
			Tags: tags("cis-v7.0/2.12", "cis-v4.0/1.14", "fsbp/IAM.3"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport},
		run:   keyRotation,
	},
	{
		rule: finding.Rule{
			ID: "iam-unused-credentials", Title: "Password or access key unused for too long", Severity: finding.SeverityMedium,
			Description: "Console passwords and active access keys not used for 45 days or more (by default) should be removed: nobody will notice if they are abused. A password never used counts from when it was set (password_last_changed), a key never used from its creation.",
			Help: `Deactivate or delete credentials that are not used.

**Console:** IAM → Users → *user* → Security credentials → Console sign-in → Manage (disable), and Access keys → Actions → Deactivate.

` + "```sh" + `
aws iam delete-login-profile --user-name USER
aws iam update-access-key --user-name USER --access-key-id KEY_ID --status Inactive
` + "```",
			Tags: tags("cis-v7.0/2.11", "cis-v4.0/1.12", "fsbp/IAM.22", "fsbp/IAM.8"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport},
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
			Tags: tags("cis-v4.0/1.13"),
		},
		needs: []snapshot.Source{snapshot.SrcCredentialReport},
		run:   twoActiveKeys,
	},
	{
		rule: finding.Rule{
			ID: "ec2-security-group-open", Title: "Security group in use allows ingress from the internet", Severity: finding.SeverityHigh,
			Description: "A security group attached to at least one internet-reachable network interface allows ingress from the whole IPv4 or IPv6 internet: 0.0.0.0/0 or ::/0, any set of ranges that adds up to them (0.0.0.0/1 and 128.0.0.0/1), or a managed prefix list holding them. Groups used only by load balancers are exempt, and so are web ports (tcp 80, 443) of groups whose name declares them public (e.g. *_everywhere, public-*); interface VPC endpoints and other AWS-managed interfaces with private addresses only are not internet-reachable.",
			Help: `Restrict the rule to the addresses that need access (a VPN range, a load balancer's security group), or use Session Manager instead of opening SSH/RDP. If the exposure is intended, name the group accordingly (e.g. ` + "`https_everywhere`" + `).

**Console:** EC2 → Network & Security → Security groups → *group* → Inbound rules → Edit inbound rules.

` + "```sh" + `
aws ec2 revoke-security-group-ingress --region REGION --group-id sg-... \
  --ip-permissions 'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]'
aws ec2 revoke-security-group-ingress --region REGION --group-id sg-... \
  --ip-permissions 'IpProtocol=tcp,FromPort=22,ToPort=22,Ipv6Ranges=[{CidrIpv6=::/0}]'
` + "```",
			Tags: tags("cis-v7.0/6.3", "cis-v7.0/6.4", "cis-v4.0/5.3", "cis-v4.0/5.4", "fsbp/EC2.13", "fsbp/EC2.18", "fsbp/EC2.19", "fsbp/EC2.53", "fsbp/EC2.54"),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcSecurityGroups, snapshot.SrcInterfaces, snapshot.SrcPrefixLists},
		run:   securityGroupOpen,
	},
	{
		rule: finding.Rule{
			ID: "ec2-default-security-group", Title: "Default security group does not restrict all traffic", Severity: finding.SeverityMedium,
			Description: "A VPC's default security group should have no inbound and no outbound rules: anything launched without a chosen group lands in it, and its default rules let those resources reach each other and the internet.",
			Help: `Remove every rule of the default security group, and give resources groups of their own (least privilege).

**Console:** VPC → Security groups → *default* (of each VPC) → Inbound rules / Outbound rules → Edit → Delete all.

` + "```sh" + `
aws ec2 describe-security-groups --region REGION --filters Name=group-name,Values=default
aws ec2 revoke-security-group-ingress --region REGION --group-id sg-... --security-group-rule-ids sgr-...
aws ec2 revoke-security-group-egress  --region REGION --group-id sg-... --security-group-rule-ids sgr-...
` + "```",
			Tags: tags("cis-v7.0/6.5", "cis-v4.0/5.5", "fsbp/EC2.2"),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcSecurityGroups},
		run:   defaultSecurityGroup,
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
			ID: "ec2-elastic-ip-unused", Title: "Elastic IP is idle or held by a stopped instance", Severity: finding.SeverityLow,
			Description: "An Elastic IP associated with nothing, or with a stopped instance, serves nobody: it is billed by the hour, and DNS records still pointing at it are taken over by whoever gets the address once it is released carelessly.",
			Help: `Release the address if nothing needs it (after removing DNS records that point at it), or start the instance that holds it.

**Console:** EC2 → Network & Security → Elastic IPs → *address* → Actions → Disassociate / Release Elastic IP addresses.

` + "```sh" + `
aws ec2 describe-addresses --region REGION
aws ec2 disassociate-address --region REGION --association-id eipassoc-...
aws ec2 release-address --region REGION --allocation-id eipalloc-...
` + "```",
			Tags: tags("fsbp/EC2.12"),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcAddresses, snapshot.SrcInstances},
		run:   elasticIPs,
	},
	{
		rule: finding.Rule{
			ID: "cloudtrail-enabled", Title: "No multi-region CloudTrail trail is logging management events", Severity: finding.SeverityHigh,
			Description: "Without a multi-region trail that is logging read and write management events (basic or advanced event selectors), API activity in some regions is not recorded and an intrusion leaves no trace. An organization trail of the management account counts in its members; when it falls short, members are told the fix belongs in the management account.",
			Help: `Create a multi-region trail (or an organization trail from the management account) and start logging.

**Console:** CloudTrail → Trails → Create trail (applies to all regions by default).

` + "```sh" + `
aws cloudtrail create-trail --name management-events --s3-bucket-name BUCKET \
  --is-multi-region-trail --enable-log-file-validation
aws cloudtrail start-logging --name management-events
# an existing trail: record read and write management events
aws cloudtrail put-event-selectors --trail-name TRAIL \
  --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'

` + "```",
			Tags: tags("cis-v7.0/4.1", "cis-v4.0/3.1", "fsbp/CloudTrail.1"),
		},
		needs: []snapshot.Source{snapshot.SrcRegions, snapshot.SrcTrails, snapshot.SrcTrailStatus, snapshot.SrcEventSelectors},
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
			Tags: tags("cis-v7.0/4.2", "cis-v4.0/3.2", "fsbp/CloudTrail.4"),
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
			Description: "A user, role or group with a managed or inline policy that allows \"*\" on \"*\" (conditions or not), or has the shape of one and still allows IAM's actions (Allow with NotAction, Action \"*\" with NotResource), is an administrator: with IAM it grants itself whatever was left out. Grant least privilege instead. Policies are evaluated as IAM does (package iampolicy); AWS's PowerUserAccess is not admin.",
			Help: `Replace the policy with one that allows only what the principal needs (IAM Access Analyzer can generate one from CloudTrail activity).

**Console:** IAM → Users/Roles/User groups → *principal* → Permissions → remove the policy.

` + "```sh" + `
aws iam detach-user-policy  --user-name USER  --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
aws iam detach-role-policy  --role-name ROLE  --policy-arn POLICY_ARN
aws iam detach-group-policy --group-name GROUP --policy-arn POLICY_ARN
aws iam delete-role-policy  --role-name ROLE  --policy-name INLINE_POLICY
` + "```",
			Tags: tags("cis-v7.0/2.14", "cis-v4.0/1.16", "fsbp/IAM.1"),
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
			Description: "An enabled CloudWatch alarm with an action on AWS/Billing EstimatedCharges (us-east-1), or where there is none an AWS Budgets budget with an alert, is the cheapest intrusion detector: a stolen key is usually spent on compute. Member accounts of an organization may legitimately have none (the alarm belongs in the management account).",
			Help: `Enable billing alerts, then create an alarm that notifies an SNS topic.

**Console:** Billing and Cost Management → Billing preferences → Alert preferences → Receive CloudWatch billing alerts; then CloudWatch (us-east-1) → Alarms → Create alarm → Billing → Total Estimated Charge.

` + "```sh" + `
aws cloudwatch put-metric-alarm --region us-east-1 --alarm-name billing-over-100 \
  --namespace AWS/Billing --metric-name EstimatedCharges --dimensions Name=Currency,Value=USD \
  --statistic Maximum --period 21600 --evaluation-periods 1 --threshold 100 \
  --comparison-operator GreaterThanThreshold --alarm-actions arn:aws:sns:us-east-1:ACCOUNT:billing
# or an AWS Budgets alert (Billing and Cost Management → Budgets → Create budget)
aws budgets create-budget --account-id ACCOUNT --budget file://budget.json \
  --notifications-with-subscribers file://alerts.json
` + "```",
			Tags: tags(),
		},
		reads: []snapshot.Source{snapshot.SrcBillingAlarms, snapshot.SrcBudgets},
		run:   billingAlarm,
	},
}
