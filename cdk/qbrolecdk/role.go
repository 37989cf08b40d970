package qbrolecdk

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/internal/schema"
)

// RoleType is the kind of role QBusinessRole manages.
type RoleType = schema.RoleType

// Role types: ApplicationRole (the default), ServiceLinkedRole, and the roles
// that trust one application: DataSourceRole (for AWS::QBusiness::DataSource's
// RoleArn), PluginRole (AWS::QBusiness::Plugin's AuthConfiguration.*.RoleArn)
// and RetrieverRole (a Kendra AWS::QBusiness::Retriever's RoleArn).
const (
	ApplicationRole   = schema.ApplicationRole
	ServiceLinkedRole = schema.ServiceLinkedRole
	DataSourceRole    = schema.DataSourceRole
	PluginRole        = schema.PluginRole
	RetrieverRole     = schema.RetrieverRole
)

// OnDelete is what happens to the role when the resource is deleted.
type OnDelete = schema.OnDelete

// OnDelete values: DeleteRole (Delete, the default) or RetainRole (Retain).
const (
	DeleteRole = schema.DeleteRole
	RetainRole = schema.RetainRole
)

// SubscriptionPermissions says whether the application role's permissions
// policy carries the user-subscription statement.
type SubscriptionPermissions = schema.SubscriptionPermissions

// SubscriptionPermissions values: IncludeSubscriptionPermissions (Include, the
// default: the page as qbrole first followed it, 5 statements) or
// ExcludeSubscriptionPermissions (Exclude: the page as it is now, 4).
const (
	IncludeSubscriptionPermissions = schema.IncludeSubscriptionPermissions
	ExcludeSubscriptionPermissions = schema.ExcludeSubscriptionPermissions
)

// ResourceType is the CloudFormation type of the custom resource.
const ResourceType = schema.ResourceType

// QBusinessRoleProps mirror the custom resource's properties; nil or zero
// means the resource's default (see the README).
type QBusinessRoleProps struct {
	// RoleType: ApplicationRole (default), ServiceLinkedRole, DataSourceRole,
	// PluginRole or RetrieverRole. Each takes the properties below that name
	// it (ServiceLinkedRole only Description and OnDelete); synth refuses the
	// others, naming them.
	RoleType RoleType
	// RoleName of the role; generated when nil.
	RoleName *string
	// Path of the role; /service-role/ when nil.
	Path *string
	// Description of the role; the RoleType's default when nil.
	Description *string
	// ApplicationId: for ApplicationRole it narrows the subscription
	// statement (* when nil); for DataSourceRole, PluginRole and
	// RetrieverRole it is required: the one application the role trusts,
	// such as awsqbusiness.CfnApplication's AttrApplicationId().
	ApplicationId *string
	// SubscriptionId narrows the subscription statement; * when nil.
	// ApplicationRole only.
	SubscriptionId *string
	// Region in the policies; the stack's when nil. ApplicationRole only.
	Region *string
	// SourceAccount in the subscription statement; the stack's when nil.
	// ApplicationRole only.
	SourceAccount *string
	// PolicyName of the inline policy; when nil the RoleType's default
	// (QBusinessApplicationPolicy, QBusinessDataSourcePolicy,
	// QBusinessPluginPolicy, QBusinessRetrieverPolicy).
	PolicyName *string
	// PermissionsBoundary is a managed policy ARN.
	PermissionsBoundary *string
	// MaxSessionDuration between 1 and 12 hours; 1 hour when nil.
	MaxSessionDuration awscdk.Duration
	// Tags of the role.
	Tags map[string]string
	// OnDelete: Delete (default) or Retain.
	OnDelete OnDelete
	// SubscriptionPermissions: Include (default) or Exclude; with Exclude,
	// ApplicationId, SubscriptionId and SourceAccount are refused.
	// ApplicationRole only.
	SubscriptionPermissions SubscriptionPermissions
	// IndexId is the Q Business index the data source writes to, such as
	// awsqbusiness.CfnIndex's AttrIndexId(). DataSourceRole only, required.
	IndexId *string
	// BucketName is the S3 bucket of an Amazon S3 data source: the policy is
	// AWS's S3 data-source policy (without it, the generic one).
	// DataSourceRole only; not with SecretArn.
	BucketName *string
	// SecretArn is the Secrets Manager secret, in the stack's partition,
	// region and account, that the role may read: the credentials of the
	// data source (DataSourceRole, optional) or of the plugin (PluginRole,
	// required).
	SecretArn *string
	// KendraIndexId is the Amazon Kendra index the retriever reads.
	// RetrieverRole only, required.
	KendraIndexId *string
	// ServiceTimeout bounds CloudFormation's wait for the function; 11 minutes when nil.
	ServiceTimeout awscdk.Duration

	// ServiceToken is a shared provider's function ARN (the ServiceToken output
	// of template.yaml, deployed once per account and region): the stack then
	// gets no provider of its own. Nil: the stack's own provider.
	ServiceToken *string
	// ProviderExportName imports a shared provider's ServiceToken from the
	// provider stack's export (template.yaml exports <stack name>-ServiceToken).
	// Give ServiceToken or ProviderExportName, not both.
	ProviderExportName *string
}

// QBusinessRole is one Custom::QBusinessRole resource.
type QBusinessRole struct {
	constructs.Construct
	// Resource is the underlying custom resource.
	Resource awscdk.CustomResource
	// Provider is the stack's provider function; nil with a shared provider.
	Provider *Provider
}

// NewQBusinessRole adds a Custom::QBusinessRole to scope's stack: with a
// shared provider when props name one (ServiceToken, ProviderExportName),
// else with the stack's own provider (created on first use). It panics, naming
// the construct's path and each property, on props the function would refuse
// (the function's own validation, run at synth on every value CDK has resolved).
func NewQBusinessRole(scope constructs.Construct, id string, props *QBusinessRoleProps) *QBusinessRole {
	if props == nil {
		props = &QBusinessRoleProps{}
	}
	if props.ServiceToken != nil && props.ProviderExportName != nil {
		panic("qbrole: QBusinessRoleProps: give ServiceToken or ProviderExportName, not both")
	}
	r := &QBusinessRole{}
	constructs.NewConstruct_Override(r, scope, jsii.String(id))
	properties := props.properties()
	validate(r, *properties)
	token := props.ServiceToken
	if props.ProviderExportName != nil {
		token = awscdk.Fn_ImportValue(props.ProviderExportName)
	}
	if token == nil {
		r.Provider = ProviderFor(r)
		token = r.Provider.ServiceToken()
	}
	timeout := props.ServiceTimeout
	if timeout == nil {
		timeout = awscdk.Duration_Minutes(jsii.Number(FunctionTimeoutMinutes + 1))
	}
	r.Resource = awscdk.NewCustomResource(r, jsii.String("Resource"), &awscdk.CustomResourceProps{
		ServiceToken:   token,
		ResourceType:   jsii.String(ResourceType),
		Properties:     properties,
		ServiceTimeout: timeout,
	})
	if r.Provider != nil {
		// The function may only run once its IAM permissions are in place.
		r.Resource.Node().AddDependency(r.Provider.Policy)
	}
	return r
}

// properties renders the props as the custom resource's properties.
func (p *QBusinessRoleProps) properties() *map[string]any {
	m := map[string]any{}
	set := func(k string, v *string) {
		if v != nil {
			m[k] = v
		}
	}
	if p.RoleType != "" {
		m[schema.PropRoleType] = string(p.RoleType)
	}
	set(schema.PropRoleName, p.RoleName)
	set(schema.PropPath, p.Path)
	set(schema.PropDescription, p.Description)
	set(schema.PropApplicationID, p.ApplicationId)
	set(schema.PropSubscriptionID, p.SubscriptionId)
	set(schema.PropRegion, p.Region)
	set(schema.PropSourceAccount, p.SourceAccount)
	set(schema.PropPolicyName, p.PolicyName)
	set(schema.PropPermissionsBoundary, p.PermissionsBoundary)
	if p.MaxSessionDuration != nil {
		m[schema.PropMaxSessionDuration] = p.MaxSessionDuration.ToSeconds(nil)
	}
	if len(p.Tags) > 0 {
		keys := make([]string, 0, len(p.Tags))
		for k := range p.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tags := make([]map[string]string, 0, len(keys))
		for _, k := range keys {
			tags = append(tags, map[string]string{"Key": k, "Value": p.Tags[k]})
		}
		m[schema.PropTags] = tags
	}
	if p.OnDelete != "" {
		m[schema.PropOnDelete] = string(p.OnDelete)
	}
	if p.SubscriptionPermissions != "" {
		m[schema.PropSubscriptionPermissions] = string(p.SubscriptionPermissions)
	}
	set(schema.PropIndexID, p.IndexId)
	set(schema.PropBucketName, p.BucketName)
	set(schema.PropSecretArn, p.SecretArn)
	set(schema.PropKendraIndexID, p.KendraIndexId)
	return &m
}

// RoleArn is the role's ARN (the resource's Arn attribute), for the
// RoleArn of the resource the role is for: awsqbusiness.CfnApplication
// (ApplicationRole), CfnDataSource (DataSourceRole), CfnRetriever
// (RetrieverRole), or a CfnPlugin's AuthConfiguration (PluginRole).
func (r *QBusinessRole) RoleArn() *string {
	return r.Resource.GetAttString(jsii.String(schema.AttrArn))
}

// RoleName is the role's name (RoleName attribute).
func (r *QBusinessRole) RoleName() *string {
	return r.Resource.GetAttString(jsii.String(schema.AttrRoleName))
}

// RoleId is the role's unique id (RoleId attribute).
func (r *QBusinessRole) RoleId() *string {
	return r.Resource.GetAttString(jsii.String(schema.AttrRoleID))
}
