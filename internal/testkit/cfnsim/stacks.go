package cfnsim

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

// Stack and resource status codes, as CloudFormation names them (CloudFormation
// User Guide, "View CloudFormation stack events", "Stack status codes",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html).
const (
	CreateInProgress = "CREATE_IN_PROGRESS"
	CreateComplete   = "CREATE_COMPLETE"
	CreateFailed     = "CREATE_FAILED"

	UpdateInProgress                        = "UPDATE_IN_PROGRESS"
	UpdateComplete                          = "UPDATE_COMPLETE"
	UpdateFailed                            = "UPDATE_FAILED"
	UpdateCompleteCleanupInProgress         = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
	UpdateRollbackInProgress                = "UPDATE_ROLLBACK_IN_PROGRESS"
	UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
	UpdateRollbackComplete                  = "UPDATE_ROLLBACK_COMPLETE"
	UpdateRollbackFailed                    = "UPDATE_ROLLBACK_FAILED"

	RollbackInProgress = "ROLLBACK_IN_PROGRESS"
	RollbackComplete   = "ROLLBACK_COMPLETE"
	RollbackFailed     = "ROLLBACK_FAILED"

	DeleteInProgress = "DELETE_IN_PROGRESS"
	DeleteComplete   = "DELETE_COMPLETE"
	DeleteFailed     = "DELETE_FAILED"
)

// Stack is what CloudFormation tells of a stack (DescribeStacks).
type Stack struct {
	StackID, StackName, StackStatus string
	CreationTime                    time.Time
}

// Resource is what CloudFormation tells of one resource of a stack
// (DescribeStackResource).
type Resource struct {
	StackID, StackName, LogicalResourceID, PhysicalResourceID, ResourceType, ResourceStatus string
	LastUpdatedTimestamp                                                                    time.Time
}

// Stacks is what CloudFormation knows of an account's stacks: each by its
// StackId, with its StackStatus and its resources by LogicalResourceId. It is
// safe for concurrent use. A deleted stack stays, DELETE_COMPLETE, with its
// resources: "For deleted stacks, DescribeStackResource returns resource
// information for up to 90 days after the stack has been deleted"
// (CloudFormation API Reference, "DescribeStackResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResource.html).
//
// Sent, Answered and Rest set the statuses CloudFormation sets around each
// request it sends to a custom resource; Put and PutResource set any.
type Stacks struct {
	mu     sync.Mutex
	stacks map[string]*entry
}

type entry struct {
	Stack
	resources map[string]*Resource
}

// NewStacks is an account without stacks.
func NewStacks() *Stacks { return &Stacks{stacks: map[string]*entry{}} }

// StackName is the name in a StackId
// (arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID).
func StackName(stackID string) string {
	_, rest, ok := strings.Cut(stackID, ":stack/")
	if !ok {
		return stackID
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// find is the stack ref names: its StackId (a deleted stack too), or its
// name (a stack that is not deleted: a name is reused once its stack is
// deleted, its id never).
func (s *Stacks) find(ref string) *entry {
	if e, ok := s.stacks[ref]; ok {
		return e
	}
	for _, e := range s.stacks {
		if e.StackName == ref && e.StackStatus != DeleteComplete {
			return e
		}
	}
	return nil
}

// Stack is the stack ref names (its id, or a live stack's name).
func (s *Stacks) Stack(ref string) (Stack, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.find(ref); e != nil {
		return e.Stack, true
	}
	return Stack{}, false
}

// Live is every stack that is not deleted, by StackId.
func (s *Stacks) Live() []Stack {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Stack
	for _, e := range s.stacks {
		if e.StackStatus != DeleteComplete {
			out = append(out, e.Stack)
		}
	}
	slices.SortFunc(out, func(a, b Stack) int { return strings.Compare(a.StackID, b.StackID) })
	return out
}

// Resource is the resource logicalID of the stack ref names.
func (s *Stacks) Resource(ref, logicalID string) (Resource, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.find(ref); e != nil {
		if r, ok := e.resources[logicalID]; ok {
			return *r, true
		}
	}
	return Resource{}, false
}

// Put sets a stack's status, adding the stack if it is new.
func (s *Stacks) Put(stackID, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stack(stackID).StackStatus = status
}

// PutResource sets a resource's status and physical id as r gives them
// (StackID and LogicalResourceID name it; an empty ResourceType keeps the
// resource's), adding the stack or the resource if new.
func (s *Stacks) PutResource(r Resource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.resource(r.StackID, r.LogicalResourceID, r.ResourceType)
	res.ResourceStatus, res.PhysicalResourceID, res.LastUpdatedTimestamp = r.ResourceStatus, r.PhysicalResourceID, time.Now().UTC()
}

func (s *Stacks) stack(stackID string) *entry {
	e, ok := s.stacks[stackID]
	if !ok {
		e = &entry{Stack: Stack{StackID: stackID, StackName: StackName(stackID), CreationTime: time.Now().UTC()},
			resources: map[string]*Resource{}}
		s.stacks[stackID] = e
	}
	return e
}

func (s *Stacks) resource(stackID, logicalID, resourceType string) *Resource {
	e := s.stack(stackID)
	r, ok := e.resources[logicalID]
	if !ok {
		r = &Resource{StackID: stackID, StackName: e.StackName, LogicalResourceID: logicalID}
		e.resources[logicalID] = r
	}
	if resourceType != "" {
		r.ResourceType = resourceType
	}
	return r
}

func (r *Resource) set(status, physical string) {
	r.ResourceStatus, r.LastUpdatedTimestamp = status, time.Now().UTC()
	if physical != "" {
		r.PhysicalResourceID = physical
	}
}

// Sent sets the statuses under which CloudFormation sends a request of type
// rt for the resource logicalID (of type resourceType), naming physical
// (the event's PhysicalResourceId; "" for a Create). See transitions.go.
func (s *Stacks) Sent(stackID, logicalID, resourceType string, rt cfn.RequestType, physical string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.stack(stackID)
	r := s.resource(stackID, logicalID, resourceType)
	e.StackStatus, r.ResourceStatus = sent(e.StackStatus, *r, rt, physical)
	r.LastUpdatedTimestamp = time.Now().UTC()
	if rt == cfn.RequestCreate {
		r.PhysicalResourceID = ""
	}
}

// Answered sets the statuses after CloudFormation received the answer to a
// request of type rt that named physical: SUCCESS (ok) or FAILED, with the
// answer's PhysicalResourceId answered.
func (s *Stacks) Answered(stackID, logicalID string, rt cfn.RequestType, physical string, ok bool, answered string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.stack(stackID)
	r := s.resource(stackID, logicalID, "")
	stack, status, id := answer(e.StackStatus, *r, rt, physical, ok, answered)
	e.StackStatus = stack
	r.set(status, id)
}

// Rest ends the stack's operation: a status *_IN_PROGRESS becomes the one
// the operation ends in.
func (s *Stacks) Rest(stackID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.stack(stackID)
	e.StackStatus = rest(e.StackStatus)
}
