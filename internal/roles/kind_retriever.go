// The retriever role (RoleType RetrieverRole): the role Amazon Q Business
// assumes to retrieve from one Amazon Kendra index for one application
// (AWS::QBusiness::Retriever RoleArn, Type KENDRA_INDEX).

package roles

import (
	"fmt"

	"github.com/qbrole/qbrole/internal/schema"
)

// Defaults of a retriever role.
const (
	DefaultRetrieverRoleDesc   = "Role that Amazon Q Business assumes to retrieve from an Amazon Kendra index (managed by qbrole)"
	DefaultRetrieverPolicyName = "QBusinessRetrieverPolicy"
)

var retrieverRoleKind = roleKind{
	page: `Amazon Q Business User Guide, "IAM role for an Amazon Kendra retriever", ` +
		"https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/kendra-retriever-iam-role.html",
	properties:  []string{schema.PropApplicationID, schema.PropKendraIndexID},
	description: DefaultRetrieverRoleDesc,
	policyName:  DefaultRetrieverPolicyName,
	read: func(p *propReader, s *Spec, _ Stack) {
		p.targetApplication(s)
		s.Placeholders.KendraIndexID = p.requiredID(s.Type, schema.PropKendraIndexID, "the id of the Amazon Kendra index the retriever reads")
	},
	// The page's trust uses ArnEquals, where the other pages use ArnLike.
	trust: func(s Spec) PolicyDocument {
		return applicationTrust("AmazonQKendraAccessPermission", "ArnEquals", s.Placeholders)
	},
	permissions: func(s Spec) PolicyDocument { return RetrieverPolicy(s.Placeholders) },
}

// RetrieverPolicy returns the retriever role's permissions policy, the page's
// (Amazon Q Business User Guide, "IAM role for an Amazon Kendra retriever",
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/kendra-retriever-iam-role.html,
// copied in testdata/reference/roles/): retrieve from and describe the index
// p.KendraIndexID names. Its Resource is a string, as on the page.
func RetrieverPolicy(p Placeholders) PolicyDocument {
	return PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
		Sid:      "KendraRetrieveAccess",
		Effect:   "Allow",
		Action:   []string{"kendra:Retrieve", "kendra:DescribeIndex"},
		Resource: fmt.Sprintf("arn:%s:kendra:%s:%s:index/%s", p.Partition, p.Region, p.AccountID, p.KendraIndexID),
	}}}
}
