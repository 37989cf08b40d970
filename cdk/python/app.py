from aws_cdk import App, CfnParameter, CustomResource, Duration, Fn, Stack
from aws_cdk import aws_qbusiness as qbusiness

app = App()
stack = Stack(app, "Assistant")

# The IAM Identity Center instance the users sign in with, given at deploy.
idc = CfnParameter(
    stack,
    "IdentityCenterInstanceArn",
    type="String",
    description="ARN of the IAM Identity Center instance of the Q Business application",
)

# The shared qbrole provider (template.yaml, deployed as the stack "qbrole-provider").
qbrole = dict(
    service_token=Fn.import_value("qbrole-provider-ServiceToken"),
    resource_type="Custom::QBusinessRole",
    service_timeout=Duration.minutes(11),
)
role = CustomResource(
    stack,
    "Role",
    **qbrole,
    properties={
        "Tags": [{"Key": "team", "Value": "platform"}],
        "MaxSessionDuration": 3600,
    },
)

application = qbusiness.CfnApplication(
    stack,
    "Application",
    display_name="assistant",
    role_arn=role.get_att_string("Arn"),  # also RoleName, RoleId
    identity_type="AWS_IAM_IDC",
    identity_center_instance_arn=idc.value_as_string,
)

# An index, and an S3 data source whose role trusts only this application
# and writes only to this index (PluginRole and RetrieverRole likewise).
index = qbusiness.CfnIndex(
    stack,
    "Index",
    application_id=application.attr_application_id,
    display_name="documents",
)
# The S3 bucket of the documents, given at deploy as well.
bucket = CfnParameter(stack, "DocumentsBucketName", type="String").value_as_string
documents_role = CustomResource(
    stack,
    "DocumentsRole",
    **qbrole,
    properties={
        "RoleType": "DataSourceRole",
        "ApplicationId": application.attr_application_id,
        "IndexId": index.attr_index_id,
        "BucketName": bucket,
    },
)
qbusiness.CfnDataSource(
    stack,
    "Documents",
    application_id=application.attr_application_id,
    index_id=index.attr_index_id,
    display_name="documents",
    role_arn=documents_role.get_att_string("Arn"),
    configuration={  # the Amazon S3 connector's JSON schema
        "type": "S3",
        "syncMode": "FULL_CRAWL",
        "connectionConfiguration": {"repositoryEndpointMetadata": {"BucketName": bucket}},
        "repositoryConfigurations": {"document": {"fieldMappings": [
            {"indexFieldName": "s3_document_id", "indexFieldType": "STRING", "dataSourceFieldName": "s3_document_id"},
        ]}},
    },
)
app.synth()
