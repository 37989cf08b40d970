package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

type counted struct {
	all, writes []string
	reads       int
}

// counter handles events/ requests with a Manager whose IAM calls rec
// records, behind the check of each request against CloudFormation (reading
// cf, which shows each request in progress), and keeps each budgeted step's
// calls and reads.
type counter struct {
	ctx  context.Context
	root string
	rec  *motoserver.Recorder
	m    *roles.Manager
	cf   *cfnapi.Server
	out  map[string]counted
}

// load reads an events/ file, changed by change (when not nil).
func (c *counter) load(file string, change func(map[string]any)) (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join(c.root, "events", file))
	if err != nil {
		return nil, err
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	if change != nil {
		change(ev)
	}
	return ev, nil
}

// handle handles one request and returns the reads its check made.
func (c *counter) handle(name, file string, change func(map[string]any)) (int, error) {
	ev, err := c.load(file, change)
	if err != nil {
		return 0, err
	}
	raw, _ := json.Marshal(ev)
	decoded, err := cfnresource.Decode(raw)
	if err != nil {
		return 0, err
	}
	token, _ := ev["ServiceToken"].(string)
	reads, err := handleShown(c.ctx, c.cf, checked(c.cf, token, resource.Handler(c.m)), decoded)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return reads, nil
}

// step handles one budgeted request and keeps its calls and reads.
func (c *counter) step(name, file string, change func(map[string]any)) error {
	c.rec.Reset()
	reads, err := c.handle(name, file, change)
	if err != nil {
		return err
	}
	c.out[name] = counted{c.rec.Actions(), c.rec.Writes(), reads}
	return nil
}

// countCalls runs each budgeted step against moto, behind the check of the
// request against CloudFormation (reading cf), and counts its IAM calls and
// CloudFormation reads.
func countCalls(ctx context.Context, moto *motoserver.Server, cf *cfnapi.Server, root string) (map[string]counted, error) {
	if err := moto.Reset(); err != nil {
		return nil, err
	}
	rec := &motoserver.Recorder{}
	c := &counter{ctx: ctx, root: root, rec: rec, cf: cf, out: map[string]counted{},
		m: &roles.Manager{IAM: moto.IAM("testing", "testing", func(o *iam.Options) { o.HTTPClient = &http.Client{Transport: rec} })}}
	create, _ := c.load("create-application-role.json", nil)
	same := func(ev map[string]any) {
		ev["ResourceProperties"], ev["OldResourceProperties"] = create["ResourceProperties"], create["ResourceProperties"]
	}
	policyChange := func(ev map[string]any) {
		props := map[string]any{}
		for k, v := range create["ResourceProperties"].(map[string]any) {
			props[k] = v
		}
		props["ApplicationId"] = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
		ev["ResourceProperties"], ev["OldResourceProperties"] = props, create["ResourceProperties"]
	}
	for _, s := range []struct {
		name, file string
		change     func(map[string]any)
	}{
		{"create application role", "create-application-role.json", nil},
		{"update that changes nothing", "update-application-role.json", same},
		{"in-place policy change", "update-application-role.json", policyChange},
		{"delete application role", "delete-application-role.json", func(ev map[string]any) {
			ev["PhysicalResourceId"] = "qbusiness-demo-app-role"
		}},
		{"create service-linked role", "create-service-linked-role.json", nil},
	} {
		if err := c.step(s.name, s.file, s.change); err != nil {
			return nil, err
		}
	}
	if err := c.goneAndAdopted(moto); err != nil {
		return nil, err
	}
	return c.out, nil
}

// goneAndAdopted counts the Delete of a role that is gone and the adoption of
// the service-linked role.
func (c *counter) goneAndAdopted(moto *motoserver.Server) error {
	// A role created by this resource, then deleted by hand through another
	// client: only its Delete is counted.
	const goneRole = "bench-gone-role"
	named := func(ev map[string]any) {
		ev["ResourceProperties"].(map[string]any)["RoleName"] = goneRole
		if ev["RequestType"] == "Delete" {
			ev["PhysicalResourceId"] = goneRole
		}
	}
	if _, err := c.handle("create a role to delete by hand", "create-application-role.json", named); err != nil {
		return err
	}
	if err := deleteByHand(c.ctx, moto.IAM("testing", "testing"), goneRole); err != nil {
		return err
	}
	if err := c.step("delete of a role that is gone", "delete-application-role.json", named); err != nil {
		return err
	}
	time.Sleep(2100 * time.Millisecond) // older than the adoption grace
	return c.step("adopt service-linked role", "create-service-linked-role.json", func(ev map[string]any) { ev["LogicalResourceId"] = "Other" })
}

// deleteByHand deletes a role as an administrator would in the console:
// inline policies, managed policies, then the role; and checks that IAM no
// longer shows it.
func deleteByHand(ctx context.Context, admin *iam.Client, name string) error {
	if err := rolestest.DeleteByHand(ctx, admin, name); err != nil {
		return err
	}
	_, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	var gone *types.NoSuchEntityException
	if !errors.As(err, &gone) {
		return fmt.Errorf("deleting %s by hand: GetRole afterwards: %v, want NoSuchEntity", name, err)
	}
	return nil
}
