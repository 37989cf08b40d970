import { App, CfnParameter, CustomResource, Duration, Fn, Stack } from 'aws-cdk-lib';
import { CfnApplication, CfnDataSource, CfnIndex } from 'aws-cdk-lib/aws-qbusiness';

const app = new App();
const stack = new Stack(app, 'Assistant');

// The IAM Identity Center instance the users sign in with, given at deploy.
const idc = new CfnParameter(stack, 'IdentityCenterInstanceArn', {
  type: 'String',
  description: 'ARN of the IAM Identity Center instance of the Q Business application',
});

// The shared qbrole provider (template.yaml, deployed as the stack "qbrole-provider").
const qbrole = {
  serviceToken: Fn.importValue('qbrole-provider-ServiceToken'),
  resourceType: 'Custom::QBusinessRole',
  serviceTimeout: Duration.minutes(11),
};
const role = new CustomResource(stack, 'Role', {
  ...qbrole,
  properties: {
    Tags: [{ Key: 'team', Value: 'platform' }],
    MaxSessionDuration: 3600,
  },
});

const application = new CfnApplication(stack, 'Application', {
  displayName: 'assistant',
  roleArn: role.getAttString('Arn'), // also RoleName, RoleId
  identityType: 'AWS_IAM_IDC',
  identityCenterInstanceArn: idc.valueAsString,
});

// An index, and an S3 data source whose role trusts only this application
// and writes only to this index (PluginRole and RetrieverRole likewise).
const index = new CfnIndex(stack, 'Index', {
  applicationId: application.attrApplicationId,
  displayName: 'documents',
});
// The S3 bucket of the documents, given at deploy as well.
const bucket = new CfnParameter(stack, 'DocumentsBucketName', { type: 'String' }).valueAsString;
const documentsRole = new CustomResource(stack, 'DocumentsRole', {
  ...qbrole,
  properties: {
    RoleType: 'DataSourceRole',
    ApplicationId: application.attrApplicationId,
    IndexId: index.attrIndexId,
    BucketName: bucket,
  },
});
new CfnDataSource(stack, 'Documents', {
  applicationId: application.attrApplicationId,
  indexId: index.attrIndexId,
  displayName: 'documents',
  roleArn: documentsRole.getAttString('Arn'),
  configuration: { // the Amazon S3 connector's JSON schema
    type: 'S3',
    syncMode: 'FULL_CRAWL',
    connectionConfiguration: { repositoryEndpointMetadata: { BucketName: bucket } },
    repositoryConfigurations: { document: { fieldMappings: [
      { indexFieldName: 's3_document_id', indexFieldType: 'STRING', dataSourceFieldName: 's3_document_id' },
    ] } },
  },
});
app.synth();
