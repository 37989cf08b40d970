import { App, CfnParameter, CustomResource, Duration, Fn, Stack } from 'aws-cdk-lib';
import { CfnApplication } from 'aws-cdk-lib/aws-qbusiness';

const app = new App();
const stack = new Stack(app, 'Assistant');

// The IAM Identity Center instance the users sign in with, given at deploy.
const idc = new CfnParameter(stack, 'IdentityCenterInstanceArn', {
  type: 'String',
  description: 'ARN of the IAM Identity Center instance of the Q Business application',
});

// The shared qbrole provider (template.yaml, deployed as the stack "qbrole-provider").
const role = new CustomResource(stack, 'Role', {
  serviceToken: Fn.importValue('qbrole-provider-ServiceToken'),
  resourceType: 'Custom::QBusinessRole',
  serviceTimeout: Duration.minutes(11),
  properties: {
    Tags: [{ Key: 'team', Value: 'platform' }],
    MaxSessionDuration: 3600,
  },
});

new CfnApplication(stack, 'Application', {
  displayName: 'assistant',
  roleArn: role.getAttString('Arn'), // also RoleName, RoleId
  identityType: 'AWS_IAM_IDC',
  identityCenterInstanceArn: idc.valueAsString,
});
app.synth();
