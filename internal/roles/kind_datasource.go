// The data-source role (RoleType DataSourceRole): the role Amazon Q Business
// assumes to ingest one application's documents into one index
// (AWS::QBusiness::DataSource RoleArn). Without BucketName its permissions
// are the page's generic data-source policy, plus the page's secret statement
// with SecretArn; with BucketName, the page's Amazon S3 data-source policy.

package roles

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/qbrole/qbrole/internal/schema"
)

// Defaults of a data-source role.
const (
	DefaultDataSourceRoleDesc   = "Role that Amazon Q Business assumes to ingest an application's documents into its index (managed by qbrole)"
	DefaultDataSourcePolicyName = "QBusinessDataSourcePolicy"
)

var dataSourceRoleKind = roleKind{
	page: `Amazon Q Business User Guide, "IAM role for Amazon Q Business data source connectors", ` +
		"https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/iam-roles-ds.html",
	properties:  []string{schema.PropApplicationID, schema.PropIndexID, schema.PropBucketName, schema.PropSecretArn},
	description: DefaultDataSourceRoleDesc,
	policyName:  DefaultDataSourcePolicyName,
	read: func(p *propReader, s *Spec, stack Stack) {
		p.targetApplication(s)
		s.Placeholders.IndexID = p.requiredID(s.Type, schema.PropIndexID, "the id of the Q Business index the data source writes to")
		_, bucket := p.props[schema.PropBucketName]
		if bucket {
			s.Placeholders.BucketName = p.bucketName()
		}
		if _, secret := p.props[schema.PropSecretArn]; secret {
			if bucket {
				p.fail(schema.PropSecretArn, "not with BucketName: AWS's Amazon S3 data-source policy has no secret statement")
			} else {
				p.secret(s, stack)
			}
		}
	},
	trust: func(s Spec) PolicyDocument {
		return applicationTrust("AllowsAmazonQToAssumeRoleForServicePrincipal", "ArnLike", s.Placeholders)
	},
	permissions: func(s Spec) PolicyDocument { return DataSourcePolicy(s.Placeholders) },
}

// DataSourcePolicy returns the data-source role's permissions policy,
// statement for statement one of the page's (Amazon Q Business User Guide,
// "IAM role for Amazon Q Business data source connectors",
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/iam-roles-ds.html,
// copied in testdata/reference/roles/): with p.BucketName the Amazon S3
// data-source policy, else the generic one, with the secret statement when
// p.SecretID is set.
func DataSourcePolicy(p Placeholders) PolicyDocument {
	application := fmt.Sprintf("arn:%s:qbusiness:%s:%s:application/%s", p.Partition, p.Region, p.AccountID, p.ApplicationID)
	index := application + "/index/" + p.IndexID
	ingest := Statement{
		Sid:      "AllowsAmazonQToIngestDocuments",
		Effect:   "Allow",
		Action:   []string{"qbusiness:BatchPutDocument", "qbusiness:BatchDeleteDocument"},
		Resource: []string{application, index},
	}
	principals := Statement{
		Effect:   "Allow",
		Action:   []string{"qbusiness:PutGroup", "qbusiness:CreateUser", "qbusiness:DeleteGroup", "qbusiness:UpdateUser", "qbusiness:ListGroups"},
		Resource: []string{application, index, index + "/data-source/*"},
	}
	if p.BucketName == "" {
		principals.Sid = "AllowsAmazonQToIngestPrincipalMapping"
		doc := PolicyDocument{Version: PolicyVersion, Statement: []Statement{ingest, principals}}
		if p.SecretID != "" {
			doc.Statement = append(doc.Statement, secretStatement("AllowsAmazonQToGetSecret", p))
		}
		return doc
	}
	principals.Sid = "AllowsAmazonQToCallPrincipalMappingAPIs"
	bucket := fmt.Sprintf("arn:%s:s3:::%s", p.Partition, p.BucketName)
	ownAccount := Condition{"StringEquals": {"aws:ResourceAccount": p.AccountID}}
	return PolicyDocument{Version: PolicyVersion, Statement: []Statement{
		{Sid: "AllowsAmazonQToGetObjectfromS3", Effect: "Allow", Action: []string{"s3:GetObject"},
			Resource: []string{bucket + "/*"}, Condition: ownAccount},
		{Sid: "AllowsAmazonQToListS3Buckets", Effect: "Allow", Action: []string{"s3:ListBucket"},
			Resource: []string{bucket}, Condition: ownAccount},
		ingest,
		principals,
	}}
}

// bucketNamePattern is a general purpose bucket's name as S3's rules allow
// it now: 3 to 63 lowercase letters, digits, dots and hyphens, beginning and
// ending with a letter or digit (Amazon S3 User Guide, "General purpose bucket
// naming rules", https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
// The older rules of us-east-1 (uppercase letters, underscores, up to 255
// characters) are not accepted.
var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// Prefixes and suffixes the same page reserves.
var (
	reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// bucketName reads BucketName, refusing what S3's naming rules refuse.
func (p *propReader) bucketName() string {
	name := p.str(schema.PropBucketName, "")
	problem := ""
	switch {
	case !bucketNamePattern.MatchString(name):
		problem = "must be 3 to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit"
	case strings.Contains(name, ".."):
		problem = "must not hold two adjacent dots"
	case isIPv4(name):
		problem = "must not be formatted as an IP address"
	}
	for _, prefix := range reservedBucketPrefixes {
		if problem == "" && strings.HasPrefix(name, prefix) {
			problem = "must not begin with " + prefix + ", which S3 reserves"
		}
	}
	for _, suffix := range reservedBucketSuffixes {
		if problem == "" && strings.HasSuffix(name, suffix) {
			problem = "must not end with " + suffix + ", which S3 reserves"
		}
	}
	if problem != "" {
		p.fail(schema.PropBucketName, fmt.Sprintf("%q is not an S3 bucket name: it %s", name, problem))
		return ""
	}
	return name
}

// isIPv4 reports whether name is written as an IPv4 address.
func isIPv4(name string) bool {
	addr, err := netip.ParseAddr(name)
	return err == nil && addr.Is4()
}
