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
role = CustomResource(
    stack,
    "Role",
    service_token=Fn.import_value("qbrole-provider-ServiceToken"),
    resource_type="Custom::QBusinessRole",
    service_timeout=Duration.minutes(11),
    properties={
        "Tags": [{"Key": "team", "Value": "platform"}],
        "MaxSessionDuration": 3600,
    },
)

qbusiness.CfnApplication(
    stack,
    "Application",
    display_name="assistant",
    role_arn=role.get_att_string("Arn"),  # also RoleName, RoleId
    identity_type="AWS_IAM_IDC",
    identity_center_instance_arn=idc.value_as_string,
)
app.synth()
