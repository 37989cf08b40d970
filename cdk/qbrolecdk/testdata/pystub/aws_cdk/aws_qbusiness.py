"""aws_cdk.aws_qbusiness as the README's Python snippet uses it (see __init__).

The keywords of each class are its props' properties in aws-cdk-lib 2.276.0's
jsii assembly (.cdkts/node_modules/aws-cdk-lib/.jsii.gz: the types
aws-cdk-lib.aws_qbusiness.CfnApplicationProps, CfnIndexProps and
CfnDataSourceProps), in jsii's Python spelling (snake_case), the required
ones first; each class's attributes are the assembly's attr* properties the
snippet reads. The same names and Python classes are in the API reference:
"class CfnApplication (construct)", "class CfnIndex (construct)", "class
CfnDataSource (construct)", Python aws_cdk.aws_qbusiness.<class>,
https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_qbusiness.CfnDataSource.html
(and .CfnApplication.html, .CfnIndex.html)."""

from . import Token


class _CfnResource:
    """An L1 construct: keyword-only props (those in _REQUIRED required, any
    other name a TypeError, as the real keyword-only signature raises),
    rendered under their CloudFormation names; a prop left None is left out."""

    _TYPE = ""
    _PROPS = {}
    _REQUIRED = ()

    def __init__(self, scope, id, **props):
        name = type(self).__name__
        unknown = set(props) - set(self._PROPS)
        if unknown:
            raise TypeError("%s got unexpected keyword arguments %s" % (name, sorted(unknown)))
        missing = [k for k in self._REQUIRED if k not in props]
        if missing:
            raise TypeError("%s missing required keyword-only arguments %s" % (name, missing))
        self._id = id
        scope._resources[id] = {
            "Type": self._TYPE,
            "Properties": {self._PROPS[k]: v for k, v in props.items() if v is not None},
        }

    def _attr(self, name):
        return Token({"Fn::GetAtt": [self._id, name]})


class CfnApplication(_CfnResource):
    _TYPE = "AWS::QBusiness::Application"
    _PROPS = {
        "display_name": "DisplayName",
        "attachments_configuration": "AttachmentsConfiguration",
        "auto_subscription_configuration": "AutoSubscriptionConfiguration",
        "client_ids_for_oidc": "ClientIdsForOIDC",
        "description": "Description",
        "encryption_configuration": "EncryptionConfiguration",
        "iam_identity_provider_arn": "IamIdentityProviderArn",
        "identity_center_instance_arn": "IdentityCenterInstanceArn",
        "identity_type": "IdentityType",
        "personalization_configuration": "PersonalizationConfiguration",
        "q_apps_configuration": "QAppsConfiguration",
        "quick_sight_configuration": "QuickSightConfiguration",
        "role_arn": "RoleArn",
        "tags": "Tags",
    }
    _REQUIRED = ("display_name",)

    @property
    def attr_application_id(self):
        return self._attr("ApplicationId")


class CfnIndex(_CfnResource):
    _TYPE = "AWS::QBusiness::Index"
    _PROPS = {
        "application_id": "ApplicationId",
        "display_name": "DisplayName",
        "capacity_configuration": "CapacityConfiguration",
        "description": "Description",
        "document_attribute_configurations": "DocumentAttributeConfigurations",
        "tags": "Tags",
        "type": "Type",
    }
    _REQUIRED = ("application_id", "display_name")

    @property
    def attr_index_id(self):
        return self._attr("IndexId")


class CfnDataSource(_CfnResource):
    _TYPE = "AWS::QBusiness::DataSource"
    _PROPS = {
        "application_id": "ApplicationId",
        "configuration": "Configuration",
        "display_name": "DisplayName",
        "index_id": "IndexId",
        "description": "Description",
        "document_enrichment_configuration": "DocumentEnrichmentConfiguration",
        "media_extraction_configuration": "MediaExtractionConfiguration",
        "role_arn": "RoleArn",
        "sync_schedule": "SyncSchedule",
        "tags": "Tags",
        "vpc_configuration": "VpcConfiguration",
    }
    _REQUIRED = ("application_id", "configuration", "display_name", "index_id")
