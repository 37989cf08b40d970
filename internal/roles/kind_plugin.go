// The plugin role (RoleType PluginRole): the role Amazon Q Business assumes
// to read the credentials of one application's plugin with basic or OAuth2
// client-credential authentication (AWS::QBusiness::Plugin
// AuthConfiguration.BasicAuthConfiguration.RoleArn or
// .OAuth2ClientCredentialConfiguration.RoleArn).

package roles

import (
	"fmt"

	"github.com/qbrole/qbrole/internal/schema"
)

// Defaults of a plugin role.
const (
	DefaultPluginRoleDesc   = "Role that Amazon Q Business assumes to read a plugin's credentials from Secrets Manager (managed by qbrole)"
	DefaultPluginPolicyName = "QBusinessPluginPolicy"
)

var pluginRoleKind = roleKind{
	page: `Amazon Q Business User Guide, "IAM role for Amazon Q Business plugins", ` +
		"https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/plugin-iam-role.html",
	properties:  []string{schema.PropApplicationID, schema.PropSecretArn},
	description: DefaultPluginRoleDesc,
	policyName:  DefaultPluginPolicyName,
	read: func(p *propReader, s *Spec, stack Stack) {
		p.targetApplication(s)
		if _, given := p.props[schema.PropSecretArn]; !given {
			p.fail(schema.PropSecretArn, fmt.Sprintf("is required when RoleType is %s: the ARN of the Secrets Manager secret holding the plugin's credentials", s.Type))
			return
		}
		p.secret(s, stack)
	},
	trust: func(s Spec) PolicyDocument {
		return applicationTrust("QBusinessApplicationTrustPolicy", "ArnLike", s.Placeholders)
	},
	permissions: func(s Spec) PolicyDocument { return PluginPolicy(s.Placeholders) },
}

// PluginPolicy returns the plugin role's permissions policy, the page's
// (Amazon Q Business User Guide, "IAM role for Amazon Q Business plugins",
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/plugin-iam-role.html,
// copied in testdata/reference/roles/): read the secret p.SecretID names.
func PluginPolicy(p Placeholders) PolicyDocument {
	return PolicyDocument{Version: PolicyVersion, Statement: []Statement{secretStatement("AllowQBusinessToGetSecretValue", p)}}
}
