"""A stand-in for aws-cdk-lib's Python API, only as much of it as the README's
Python snippet (cdk/python/app.py) uses, because the Python aws-cdk-lib cannot
be installed here (no package index). It is strict: a class, method or keyword
the real API does not have raises, so a misspelling in the snippet fails. It
writes CDK_OUTDIR/<stack>.template.json rendering each construct as
aws-cdk-lib 2.276.0 does for these calls; the test compares that template with
the TypeScript snippet's, which the real aws-cdk-lib synthesizes."""

import json
import os


class Token:
    def __init__(self, value):
        self.value = value


def _render(v):
    if isinstance(v, Token):
        return v.value
    if isinstance(v, dict):
        return {k: _render(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_render(x) for x in v]
    return v


class App:
    def __init__(self):
        self._stacks = []

    def synth(self):
        out = os.environ["CDK_OUTDIR"]
        os.makedirs(out, exist_ok=True)
        for s in self._stacks:
            with open(os.path.join(out, s.name + ".template.json"), "w") as f:
                json.dump(s._template(), f, indent=1, sort_keys=True)


class Stack:
    def __init__(self, scope, id):
        scope._stacks.append(self)
        self.name = id
        self._parameters = {}
        self._resources = {}

    def _template(self):
        return {"Parameters": self._parameters, "Resources": _render(self._resources)}


class Duration:
    def __init__(self, seconds):
        self._seconds = seconds

    @staticmethod
    def minutes(n):
        return Duration(n * 60)

    @staticmethod
    def seconds(n):
        return Duration(n)


class Fn:
    @staticmethod
    def import_value(name):
        return Token({"Fn::ImportValue": name})


class CfnParameter:
    def __init__(self, scope, id, *, type, description=None):
        scope._parameters[id] = {"Type": type}
        if description is not None:
            scope._parameters[id]["Description"] = description
        self.value_as_string = Token({"Ref": id})


class CustomResource:
    def __init__(self, scope, id, *, service_token, resource_type=None, service_timeout=None, properties=None):
        # CDK renders a custom resource's ServiceTimeout as the seconds' string.
        props = {"ServiceToken": service_token}
        if service_timeout is not None:
            props["ServiceTimeout"] = str(service_timeout._seconds)
        props.update(properties or {})
        self._id = id
        scope._resources[id] = {"Type": resource_type or "AWS::CloudFormation::CustomResource", "Properties": props}

    def get_att_string(self, name):
        return Token({"Fn::GetAtt": [self._id, name]})
