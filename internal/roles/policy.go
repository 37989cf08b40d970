package roles

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"

	"github.com/qbrole/qbrole/internal/schema"
)

// PolicyVersion is the only IAM policy language version the documents use.
const PolicyVersion = "2012-10-17"

// PolicyDocument is an IAM policy document built from Go values, so that no
// property value can change its structure.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument. Fields that IAM allows as a
// string or a list keep the form the reference page uses.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    any        `json:"Action"`
	Resource  any        `json:"Resource,omitempty"`
	Condition Condition  `json:"Condition,omitempty"`
}

// Principal names the service a trust policy lets assume the role.
type Principal struct {
	Service string `json:"Service"`
}

// Condition maps a condition operator to its keys and values.
type Condition map[string]map[string]string

// Placeholders are the values that fill the reference page's placeholders
// ({{region}}, {{account_id}}, {{source_account}}, {{application_id}},
// {{subscription_id}}), plus the partition of the ARNs (the page writes aws).
type Placeholders struct {
	Partition      string
	Region         string
	AccountID      string
	SourceAccount  string
	ApplicationID  string
	SubscriptionID string
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

// JSON returns the document as compact JSON, the form sent to IAM.
func (d PolicyDocument) JSON() string {
	b, err := json.Marshal(d)
	if err != nil {
		// Only strings, slices and maps of strings: marshalling cannot fail.
		panic(fmt.Sprintf("marshalling policy document: %v", err))
	}
	return string(b)
}

// SameDocument reports whether an IAM policy document as IAM returns it
// (URL-encoded JSON, in GetRole and GetRolePolicy) means the same as want.
// IAM may reorder keys, turn a one-element list into a string or the other way
// round; none of that counts as a difference.
func SameDocument(actual string, want PolicyDocument) bool {
	if decoded, err := url.QueryUnescape(actual); err == nil {
		actual = decoded
	}
	var a, w any
	if err := json.Unmarshal([]byte(actual), &a); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want.JSON()), &w); err != nil {
		return false
	}
	return reflect.DeepEqual(normalize(a), normalize(w))
}

// normalize puts a decoded JSON policy into a canonical form: lists of strings
// sorted, and one-element lists of strings collapsed to the string.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalize(e)
		}
		return out
	case []any:
		strs := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				out := make([]any, len(t))
				for i, e := range t {
					out[i] = normalize(e)
				}
				return out
			}
			strs = append(strs, s)
		}
		if len(strs) == 1 {
			return strs[0]
		}
		sort.Strings(strs)
		return strs
	default:
		return v
	}
}
