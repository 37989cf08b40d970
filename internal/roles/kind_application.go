// The application role (RoleType ApplicationRole, the default): the role an
// Amazon Q Business application assumes (AWS::QBusiness::Application
// RoleArn), trusting every application of the stack's account, since the
// application does not exist before its role.

package roles

import (
	"fmt"
	"slices"

	"github.com/qbrole/qbrole/internal/schema"
)

// applicationRolePage is the AWS page the application role follows.
const applicationRolePage = `Amazon Q Business User Guide, "IAM role for an Amazon Q Business application", ` +
	"https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/create-application-iam-role.html"

var applicationRoleKind = roleKind{
	page: applicationRolePage,
	properties: []string{schema.PropApplicationID, schema.PropSubscriptionID, schema.PropRegion,
		schema.PropSourceAccount, schema.PropSubscriptionPermissions},
	description: DefaultApplicationRoleDesc,
	policyName:  DefaultPolicyName,
	read: func(p *propReader, s *Spec, stack Stack) {
		p.placeholders(s, stack)
		p.subscription(s)
	},
	trust: func(s Spec) PolicyDocument { return TrustPolicy(s.Placeholders) },
	permissions: func(s Spec) PolicyDocument {
		if s.SubscriptionPermissions == schema.ExcludeSubscriptionPermissions {
			return CurrentPermissionsPolicy(s.Placeholders)
		}
		return PermissionsPolicy(s.Placeholders)
	},
}

// TrustPolicy returns the application role's trust policy: Amazon Q Business
// may assume the role only for applications of the stack's own account
// (confused-deputy protection through aws:SourceAccount and aws:SourceArn).
func TrustPolicy(p Placeholders) PolicyDocument {
	return PolicyDocument{
		Version: PolicyVersion,
		Statement: []Statement{{
			Sid:       "AmazonQApplicationPermission",
			Effect:    "Allow",
			Principal: &Principal{Service: schema.ServicePrincipal},
			Action:    "sts:AssumeRole",
			Condition: Condition{
				"StringEquals": {"aws:SourceAccount": p.AccountID},
				"ArnLike": {"aws:SourceArn": fmt.Sprintf("arn:%s:qbusiness:%s:%s:application/*",
					p.Partition, p.Region, p.AccountID)},
			},
		}},
	}
}

// PermissionsPolicy returns the application role's inline permissions policy,
// statement for statement the one of AWS's page as copied in
// testdata/reference/ (Amazon Q Business User Guide, "IAM role for an Amazon
// Q Business application",
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/create-application-iam-role.html;
// the page has since dropped the user-subscription statement, which this
// policy keeps: testdata/reference/README.md says what differs).
func PermissionsPolicy(p Placeholders) PolicyDocument {
	logGroup := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/qbusiness/*", p.Partition, p.Region, p.AccountID)
	application := fmt.Sprintf("arn:%s:qbusiness:%s:%s:application/%s",
		p.Partition, p.Region, p.SourceAccount, p.ApplicationID)
	return PolicyDocument{
		Version: PolicyVersion,
		Statement: []Statement{
			{
				Sid:       "AmazonQApplicationPutMetricDataPermission",
				Effect:    "Allow",
				Action:    []string{"cloudwatch:PutMetricData"},
				Resource:  "*",
				Condition: Condition{"StringEquals": {"cloudwatch:namespace": "AWS/QBusiness"}},
			},
			{
				Sid:      "AmazonQApplicationDescribeLogGroupsPermission",
				Effect:   "Allow",
				Action:   []string{"logs:DescribeLogGroups"},
				Resource: "*",
			},
			{
				Sid:      "AmazonQApplicationCreateLogGroupPermission",
				Effect:   "Allow",
				Action:   []string{"logs:CreateLogGroup"},
				Resource: []string{logGroup},
			},
			{
				Sid:      "AmazonQApplicationLogStreamPermission",
				Effect:   "Allow",
				Action:   []string{"logs:DescribeLogStreams", "logs:CreateLogStream", "logs:PutLogEvents"},
				Resource: []string{logGroup + ":log-stream:*"},
			},
			{
				Sid:    subscriptionSid,
				Effect: "Allow",
				Action: []string{
					"qbusiness:CreateSubscription",
					"qbusiness:UpdateSubscription",
					"qbusiness:CancelSubscription",
					"qbusiness:ListSubscriptions",
					"user-subscriptions:CreateClaim",
					"user-subscriptions:UpdateClaim",
					"user-subscriptions:CommitClaim",
				},
				Resource: []string{
					application,
					application + "/subscription/" + p.SubscriptionID,
				},
			},
		},
	}
}

// CurrentPermissionsPolicy returns the application role's inline permissions
// policy as AWS's page shows it now: PermissionsPolicy without the
// user-subscription statement, 4 statements (testdata/reference/
// application-role-policy-current.json; Amazon Q Business User Guide, "IAM
// role for an Amazon Q Business application",
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/create-application-iam-role.html).
func CurrentPermissionsPolicy(p Placeholders) PolicyDocument {
	doc := PermissionsPolicy(p)
	doc.Statement = slices.DeleteFunc(doc.Statement, func(s Statement) bool { return s.Sid == subscriptionSid })
	return doc
}

// subscriptionSid names the user-subscription statement the page has dropped.
const subscriptionSid = "QBusinessUserSubscriptionPermissions"

// subscription reads SubscriptionPermissions. Without the subscription
// statement, the properties that fill only its placeholders would change
// nothing, and are refused as meaningless.
func (p *propReader) subscription(s *Spec) {
	s.SubscriptionPermissions = schema.SubscriptionPermissions(p.str(schema.PropSubscriptionPermissions, string(schema.IncludeSubscriptionPermissions)))
	switch s.SubscriptionPermissions {
	case schema.IncludeSubscriptionPermissions:
	case schema.ExcludeSubscriptionPermissions:
		for _, only := range []string{schema.PropApplicationID, schema.PropSubscriptionID, schema.PropSourceAccount} {
			if _, given := p.props[only]; given {
				p.fail(only, fmt.Sprintf("fills only the subscription statement, which %s %s leaves out",
					schema.PropSubscriptionPermissions, schema.ExcludeSubscriptionPermissions))
			}
		}
		if !s.DescriptionGiven {
			s.Description = DefaultCurrentApplicationRoleDesc
		}
	default:
		p.fail(schema.PropSubscriptionPermissions, fmt.Sprintf("must be %s or %s, not %q",
			schema.IncludeSubscriptionPermissions, schema.ExcludeSubscriptionPermissions, s.SubscriptionPermissions))
	}
}

// placeholders reads what fills the documented policies' placeholders.
func (p *propReader) placeholders(s *Spec, stack Stack) {
	s.Placeholders = Placeholders{
		Partition:      stack.Partition,
		AccountID:      stack.AccountID,
		Region:         p.str(schema.PropRegion, stack.Region),
		SourceAccount:  p.str(schema.PropSourceAccount, stack.AccountID),
		ApplicationID:  p.str(schema.PropApplicationID, "*"),
		SubscriptionID: p.str(schema.PropSubscriptionID, "*"),
	}
	if !regionPattern.MatchString(s.Placeholders.Region) {
		p.fail(schema.PropRegion, fmt.Sprintf("%q is not an AWS region name such as us-east-1", s.Placeholders.Region))
	}
	if !accountPattern.MatchString(s.Placeholders.SourceAccount) {
		p.fail(schema.PropSourceAccount, fmt.Sprintf("%q must be a 12-digit AWS account id", s.Placeholders.SourceAccount))
	}
	if id := s.Placeholders.ApplicationID; id != "*" && !resourceIDPattern.MatchString(id) {
		p.fail(schema.PropApplicationID, fmt.Sprintf("%q must be * or a Q Business application id (36 letters, digits and hyphens)", id))
	}
	if id := s.Placeholders.SubscriptionID; id != "*" && (len(id) > maxSubscriptionID || !subscriptionPat.MatchString(id)) {
		p.fail(schema.PropSubscriptionID, fmt.Sprintf("%q must be * or a Q Business subscription id (letters, digits and hyphens)", id))
	}
}
