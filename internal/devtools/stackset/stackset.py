"""The StackSets-ready provider template: template.yaml without the SAM transform.

Usage: python3 stackset.py template.yaml CODE-KEY > dist/stackset.json  (make stackset)

CODE-KEY is the default of the parameter CodeS3Key: make stackset names it by
the zip's SHA-256 (qbrole/bootstrap-<16 hex>.zip), so that new code has a new
key, which is what makes update-stack-set deploy it: "Changes to a deployment
package in Amazon S3 ... are not detected automatically during stack updates.
To update the function code, change the object key or version in the
template." (AWS::Lambda::Function Code, AWS CloudFormation Template Reference:
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html).

Service-managed StackSets refuse transforms: "StackSets with service-managed
permissions don't currently support the use of macros in templates. (This
includes the AWS::Include and AWS::Serverless transforms, which are macros
hosted by CloudFormation.)" (CreateStackSet, Capabilities, AWS CloudFormation
API Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html).
So the transform is applied here, by the SAM translator that cfn-lint ships
(samtranslator, the library behind the AWS::Serverless transform), and the
function's code is read from parameters, so that one stack set serves every
region: the bucket <CodeS3BucketPrefix>-<region> and the key CodeS3Key (Lambda
reads a function's code from a bucket in the function's own region). The
Serverless Application Repository's metadata (sam publish) and the function's
sam build metadata are dropped. internal/testkit/deploy checks that the result
deploys what template.yaml deploys.
"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

FUNCTION = "QBusinessRoleFunction"

CODE_PARAMETERS = {
    "CodeS3BucketPrefix": {
        "Type": "String",
        "MinLength": 1,
        "Description": "The function's code is read from the bucket <CodeS3BucketPrefix>-<region>, "
        "in each region the stack set deploys to.",
    },
    "CodeS3Key": {
        "Type": "String",
        "Description": "Key of the function's code in that bucket; its default is the key make stackset "
        "gave the code it was made with (dist/stackset-code).",
    },
}


class NoManagedPolicies:
    """The template names no managed policy by name: nothing to look up."""

    def load(self):
        return {}


def translate(sam, code_key):
    fn = sam["Resources"][FUNCTION]
    fn["Properties"]["CodeUri"] = {
        "Bucket": {"Fn::Sub": "${CodeS3BucketPrefix}-${AWS::Region}"},
        "Key": {"Ref": "CodeS3Key"},
    }
    fn.pop("Metadata", None)
    sam["Parameters"].update(CODE_PARAMETERS)
    sam["Parameters"]["CodeS3Key"] = dict(CODE_PARAMETERS["CodeS3Key"], Default=code_key)
    groups = sam["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    groups.append({"Label": {"default": "Code"}, "Parameters": list(CODE_PARAMETERS)})
    del sam["Metadata"]["AWS::ServerlessRepo::Application"]
    # The translator asks for a region to fill in pseudo parameters where SAM
    # resolves them; nothing of this template is resolved (a test checks that
    # no region is written into the result).
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    out = transform(sam, {}, NoManagedPolicies())
    if "Transform" in out:
        raise SystemExit("stackset: the translated template still has a Transform")
    return out


def main():
    if len(sys.argv) != 3 or not sys.argv[2]:
        raise SystemExit("usage: stackset.py template.yaml CODE-KEY > stackset.json")
    with open(sys.argv[1], encoding="utf-8") as f:
        sam = yaml_parse(f.read())
    json.dump(translate(sam, sys.argv[2]), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
