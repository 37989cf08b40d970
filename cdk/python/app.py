from aws_cdk import App, CustomResource, Duration, Fn, Stack
from aws_cdk import aws_qbusiness as qbusiness

app = App()
stack = Stack(app, "Assistant")

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
)
app.synth()
