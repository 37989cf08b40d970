// Package cfnsim drives a custom resource the way CloudFormation does, for
// tests: Create, Update and Delete events with every field CloudFormation
// sends, replacement (the old physical id deleted after the new one
// succeeds), rollback after a failed Create (Delete of the physical id the
// FAILED response carried) and after a failed Update (Update with the
// properties swapped back), a resource taken out of the template by an
// update, and an operator's retry of a failed Delete. It
// collects every response from a local ResponseURL server and keeps what
// CloudFormation believes: the resource's physical id and properties. With a
// Stacks, it also sets the stack's and the resource's statuses around each
// request as CloudFormation does, for a test double of CloudFormation's API
// to answer from (see Stacks).
package cfnsim

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/schema"
)

// Invoker delivers one event to the function and returns when it has run.
type Invoker func(ctx context.Context, event []byte) error

// Driver is one custom resource of one stack.
type Driver struct {
	Invoke    Invoker
	Responses *cfntest.ResponseServer
	StackID   string
	LogicalID string
	// Timeout is the function's timeout: each invocation's deadline.
	Timeout time.Duration

	// Physical and Props are what CloudFormation believes exists; Physical
	// is "" when the resource does not exist.
	Physical string
	Props    map[string]any
	// Abandoned lists physical ids whose cleanup Delete (after a
	// replacement) failed three times: CloudFormation then gives up on them.
	Abandoned []string

	// Stacks, when not nil, is what CloudFormation shows of the stack: the
	// driver sets its statuses before each request, after each answer, and
	// when each of Create, Update and Delete comes to rest.
	Stacks *Stacks
	// ServiceToken is the provider function's ARN the resource names; ""
	// is the package's ServiceToken. Two drivers with different ones are
	// two custom resources served by two providers.
	ServiceToken string
}

var requests atomic.Int64

// ServiceToken is the ServiceToken of every event the driver sends: the
// provider function's ARN, as a check of the request against CloudFormation
// is to be given it.
const ServiceToken = "arn:aws:lambda:us-east-1:123456789012:function:qbrole-provider-QBusinessRoleFunction-TESTTOKEN"

// send delivers one event and returns its one response; more or fewer than
// one response is an error.
func (d *Driver) send(rt cfn.RequestType, physical string, props, old map[string]any) (cfn.Response, error) {
	id := fmt.Sprintf("%s-%d", d.LogicalID, requests.Add(1))
	ev := map[string]any{
		"RequestType": rt, "ServiceToken": d.token(), "ResponseURL": d.Responses.ResponseURL(id),
		"StackId": d.StackID, "RequestId": id, "LogicalResourceId": d.LogicalID, "ResourceType": schema.ResourceType,
		"ResourceProperties": withToken(d.token(), props),
	}
	if physical != "" {
		ev["PhysicalResourceId"] = physical
	}
	if old != nil {
		ev["OldResourceProperties"] = withToken(d.token(), old)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return cfn.Response{}, err
	}
	if d.Stacks != nil {
		d.Stacks.Sent(d.StackID, d.LogicalID, schema.ResourceType, rt, physical)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	invokeErr := d.Invoke(ctx, raw)
	cancel()
	got := d.Responses.ForRequest(id)
	if len(got) != 1 {
		return cfn.Response{}, fmt.Errorf("%s %s: %d responses, want exactly 1 (invoke: %v)", rt, id, len(got), invokeErr)
	}
	if d.Stacks != nil {
		d.Stacks.Answered(d.StackID, d.LogicalID, rt, physical, got[0].Status == cfn.StatusSuccess, got[0].PhysicalResourceID)
	}
	return got[0], nil
}

// rest ends the stack's operation (see Stacks.Rest).
func (d *Driver) rest() {
	if d.Stacks != nil {
		d.Stacks.Rest(d.StackID)
	}
}

// token is the ServiceToken of the driver's events.
func (d *Driver) token() string {
	if d.ServiceToken != "" {
		return d.ServiceToken
	}
	return ServiceToken
}

func withToken(token string, props map[string]any) map[string]any {
	out := map[string]any{schema.PropServiceToken: token}
	for k, v := range props {
		out[k] = v
	}
	return out
}

// Create creates the resource. On FAILED, CloudFormation rolls back: it
// deletes whatever physical id the FAILED response named.
func (d *Driver) Create(props map[string]any) (bool, error) {
	defer d.rest()
	r, err := d.send(cfn.RequestCreate, "", props, nil)
	if err != nil {
		return false, err
	}
	if r.Status == cfn.StatusSuccess {
		d.Physical, d.Props = r.PhysicalResourceID, props
		return true, nil
	}
	return false, d.deleteWithRetry(r.PhysicalResourceID, props)
}

// Update changes the properties. A new physical id is a replacement: the old
// one is deleted (in up to three attempts, as CloudFormation does). On
// FAILED, CloudFormation rolls back with the old properties (and an operator
// continues a failed rollback once).
func (d *Driver) Update(props map[string]any) (bool, error) {
	defer d.rest()
	oldPhysical, oldProps := d.Physical, d.Props
	r, err := d.send(cfn.RequestUpdate, oldPhysical, props, oldProps)
	if err != nil {
		return false, err
	}
	if r.Status == cfn.StatusSuccess {
		return true, d.settle(r.PhysicalResourceID, props, oldPhysical, oldProps)
	}
	for try := 0; try < 2; try++ {
		rb, err := d.send(cfn.RequestUpdate, oldPhysical, oldProps, props)
		if err != nil {
			return false, err
		}
		if rb.Status == cfn.StatusSuccess {
			return false, d.settle(rb.PhysicalResourceID, oldProps, oldPhysical, oldProps)
		}
	}
	return false, fmt.Errorf("UPDATE_ROLLBACK_FAILED: rolling back %s failed twice", oldPhysical)
}

// settle records a successful update and deletes the replaced resource.
func (d *Driver) settle(physical string, props map[string]any, oldPhysical string, oldProps map[string]any) error {
	d.Physical, d.Props = physical, props
	if physical == oldPhysical {
		return nil
	}
	// "CloudFormation makes three attempts at deleting the old resource", then
	// removes it from the stack and goes on (CloudFormation User Guide,
	// "Monitor the progress of a stack update",
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-monitor-stack.html).
	for range cleanupAttempts {
		r, err := d.send(cfn.RequestDelete, oldPhysical, oldProps, nil)
		if err != nil {
			return err
		}
		if r.Status == cfn.StatusSuccess {
			return nil
		}
	}
	d.Abandoned = append(d.Abandoned, oldPhysical)
	return nil
}

// cleanupAttempts is how often CloudFormation tries a replaced resource's Delete.
const cleanupAttempts = 3

// Delete deletes the resource (the stack's deletion). A FAILED Delete is
// retried once, as an operator retries DELETE_FAILED.
func (d *Driver) Delete() error {
	if d.Physical == "" {
		return nil
	}
	defer d.rest()
	err := d.deleteWithRetry(d.Physical, d.Props)
	if err == nil {
		d.Physical, d.Props = "", nil
	}
	return err
}

// Remove is the resource taken out of the template by a stack update that
// succeeded (its other resources' requests sent by other drivers): after the
// new resources are created, CloudFormation deletes the old ones with the
// stack UPDATE_COMPLETE_CLEANUP_IN_PROGRESS ("Ongoing removal of old
// resources for one or more stacks after a successful stack update":
// CloudFormation User Guide, "Stack status codes",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html).
// A Delete that fails is tried as a replaced resource's cleanup is (settle),
// then given up (Abandoned).
func (d *Driver) Remove() error {
	if d.Physical == "" {
		return nil
	}
	defer d.rest()
	if d.Stacks != nil {
		d.Stacks.Put(d.StackID, UpdateCompleteCleanupInProgress)
	}
	physical, props := d.Physical, d.Props
	d.Physical, d.Props = "", nil
	for range cleanupAttempts {
		r, err := d.send(cfn.RequestDelete, physical, props, nil)
		if err != nil {
			return err
		}
		if r.Status == cfn.StatusSuccess {
			return nil
		}
	}
	d.Abandoned = append(d.Abandoned, physical)
	return nil
}

func (d *Driver) deleteWithRetry(physical string, props map[string]any) error {
	for try := 0; try < 2; try++ {
		r, err := d.send(cfn.RequestDelete, physical, props, nil)
		if err != nil {
			return err
		}
		if r.Status == cfn.StatusSuccess {
			return nil
		}
	}
	return fmt.Errorf("DELETE_FAILED twice for %s", physical)
}
