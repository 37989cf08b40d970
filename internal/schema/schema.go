// Package schema names Custom::QBusinessRole's vocabulary, once: the resource
// type, its property and attribute names, the values of RoleType and OnDelete,
// the ownership tag keys, and Amazon Q Business's service principal and
// service-linked role. Every other package takes these strings from here; a
// test fails when another non-test file spells the resource type, a RoleType
// value, a tag key or the prefix, or the service's principal, role name or
// path as a string literal (property and attribute names and the OnDelete
// values are words too common to check).
//
// It imports nothing, so the Lambda function, the CDK construct and the test
// doubles can all use it.
//
// AWS sources:
//   - The service principal that assumes the application role: Amazon Q
//     Business User Guide, "IAM role for an Amazon Q Business application",
//     https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/create-application-iam-role.html
//     (the trust policy's Principal).
//   - The service-linked role's name: Amazon Q Business User Guide, "Using
//     service-linked roles for Amazon Q Business",
//     https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/using-service-linked-roles.html.
//   - Its path, /aws-service-role/ and the service principal: where IAM
//     puts a service's service-linked role (IAM User Guide, "Using
//     service-linked roles",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html,
//     and the role's ARN as IAM answers it).
//
// The PhysicalResourceId markers are not here: they belong with the code
// that parses and makes them, all in internal/roles/physid.go.
package schema

// ResourceType is the resource's CloudFormation type.
const ResourceType = "Custom::QBusinessRole"

// RoleType says which kind of role the resource manages (the RoleType
// property).
type RoleType string

// The values of RoleType.
const (
	// ApplicationRole is an IAM role with the documented trust and inline
	// permissions policies, owned by one stack's resource. It is the default.
	ApplicationRole RoleType = "ApplicationRole"
	// ServiceLinkedRole is Amazon Q Business's service-linked role
	// (ServiceLinkedRoleName), one per account.
	ServiceLinkedRole RoleType = "ServiceLinkedRole"
	// DataSourceRole is the role of one application's data sources
	// (AWS::QBusiness::DataSource RoleArn).
	DataSourceRole RoleType = "DataSourceRole"
	// PluginRole is the role of one application's plugin with basic or
	// OAuth2 client-credential authentication (AWS::QBusiness::Plugin
	// AuthConfiguration.*.RoleArn).
	PluginRole RoleType = "PluginRole"
	// RetrieverRole is the role of one application's Amazon Kendra retriever
	// (AWS::QBusiness::Retriever RoleArn).
	RetrieverRole RoleType = "RetrieverRole"
)

// RoleTypes are the values of RoleType, the default first.
func RoleTypes() []RoleType {
	return []RoleType{ApplicationRole, ServiceLinkedRole, DataSourceRole, PluginRole, RetrieverRole}
}

// OnDelete says what a Delete does to a role the resource created (the
// OnDelete property).
type OnDelete string

// The values of OnDelete.
const (
	// DeleteRole deletes the role when the resource is deleted. It is the
	// default.
	DeleteRole OnDelete = "Delete"
	// RetainRole keeps the role when the resource is deleted.
	RetainRole OnDelete = "Retain"
)

// SubscriptionPermissions says whether the application role's permissions
// policy carries the user-subscription statement (the SubscriptionPermissions
// property). AWS's page "IAM role for an Amazon Q Business application" had
// it when qbrole followed the page first, and has it no longer.
type SubscriptionPermissions string

// The values of SubscriptionPermissions.
const (
	// IncludeSubscriptionPermissions keeps the statement
	// QBusinessUserSubscriptionPermissions: the page as qbrole first followed
	// it, 5 statements. It is the default, so that no existing role changes.
	IncludeSubscriptionPermissions SubscriptionPermissions = "Include"
	// ExcludeSubscriptionPermissions leaves it out: the page as it is now, 4
	// statements.
	ExcludeSubscriptionPermissions SubscriptionPermissions = "Exclude"
)

// The resource's property names, as a template writes them.
const (
	// PropServiceToken and PropServiceTimeout are CloudFormation's own
	// properties of every custom resource.
	PropServiceToken   = "ServiceToken"
	PropServiceTimeout = "ServiceTimeout"

	PropRoleType            = "RoleType"
	PropDescription         = "Description"
	PropOnDelete            = "OnDelete"
	PropRoleName            = "RoleName"
	PropPath                = "Path"
	PropApplicationID       = "ApplicationId"
	PropSubscriptionID      = "SubscriptionId"
	PropRegion              = "Region"
	PropSourceAccount       = "SourceAccount"
	PropPolicyName          = "PolicyName"
	PropPermissionsBoundary = "PermissionsBoundary"
	PropMaxSessionDuration  = "MaxSessionDuration"
	PropTags                = "Tags"

	PropSubscriptionPermissions = "SubscriptionPermissions"
	PropIndexID                 = "IndexId"
	PropBucketName              = "BucketName"
	PropSecretArn               = "SecretArn"
	PropKendraIndexID           = "KendraIndexId"
)

// CommonProperties are the properties every RoleType accepts.
func CommonProperties() []string {
	return []string{PropServiceToken, PropServiceTimeout, PropRoleType, PropDescription, PropOnDelete}
}

// RoleProperties are the properties of every role qbrole creates and owns
// (every RoleType but ServiceLinkedRole), besides CommonProperties.
func RoleProperties() []string {
	return []string{PropRoleName, PropPath, PropPolicyName, PropPermissionsBoundary, PropMaxSessionDuration, PropTags}
}

// The resource's attributes (Fn::GetAtt).
const (
	AttrArn      = "Arn"
	AttrRoleName = "RoleName"
	AttrRoleID   = "RoleId"
)

// Ownership tags: the keys the resource puts on every application role it
// creates, and the prefix users may not give their own tags.
const (
	TagPrefix    = "qbrole:"
	TagStackID   = "qbrole:stack-id"
	TagLogicalID = "qbrole:logical-resource-id"
)

// ServicePrincipal is Amazon Q Business's service principal: the service
// that assumes the application role and owns the service-linked role.
const ServicePrincipal = "qbusiness.amazonaws.com"

// ServiceLinkedRoleName is the name of Amazon Q Business's service-linked
// role, as IAM spells it.
const ServiceLinkedRoleName = "AWSServiceRoleForQBusiness"

// ServiceLinkedRolePath is the path IAM gives Amazon Q Business's
// service-linked role.
const ServiceLinkedRolePath = "/aws-service-role/" + ServicePrincipal + "/"
