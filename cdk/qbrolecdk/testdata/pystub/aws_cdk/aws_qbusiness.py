"""aws_cdk.aws_qbusiness as the README's Python snippet uses it (see __init__)."""

# CfnApplicationProps' keywords (aws-cdk-lib 2.276.0) and their CloudFormation names.
_APPLICATION = {
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


class CfnApplication:
    def __init__(self, scope, id, **props):
        unknown = set(props) - set(_APPLICATION)
        if unknown:
            raise TypeError("CfnApplication got unexpected keyword arguments %s" % sorted(unknown))
        scope._resources[id] = {
            "Type": "AWS::QBusiness::Application",
            "Properties": {_APPLICATION[k]: v for k, v in props.items()},
        }
