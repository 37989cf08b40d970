package cfnsim

import "github.com/aws/aws-lambda-go/cfn"

// The statuses CloudFormation sets around a custom resource's requests, as
// AWS documents them (CloudFormation User Guide, "View CloudFormation stack
// events", "Stack status codes",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html):
//
//   - Create: the stack CREATE_IN_PROGRESS ("Ongoing creation of one or more
//     stacks") when it is new, else UPDATE_IN_PROGRESS; the resource
//     CREATE_IN_PROGRESS, set when its creation starts, before the request
//     ("Understand CloudFormation stack creation events",
//     https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-resource-configuration-complete.html).
//     SUCCESS: the resource CREATE_COMPLETE under the answered id, the stack
//     CREATE_COMPLETE or UPDATE_COMPLETE when it comes to rest. FAILED: the
//     resource CREATE_FAILED, the stack ROLLBACK_IN_PROGRESS ("Ongoing
//     removal of one or more stacks after a failed stack creation") or
//     UPDATE_ROLLBACK_IN_PROGRESS; the rollback's Delete with the resource
//     DELETE_IN_PROGRESS, in a stack update's rollback under
//     UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS ("Ongoing removal of new
//     resources for one or more stacks after a failed stack update"); at rest
//     ROLLBACK_COMPLETE or UPDATE_ROLLBACK_COMPLETE.
//   - Update: stack and resource UPDATE_IN_PROGRESS. SUCCESS under the same
//     id: UPDATE_COMPLETE. SUCCESS under a new id (a replacement): the
//     resource UPDATE_COMPLETE under the new id, and the old id's cleanup
//     Deletes run with the stack UPDATE_COMPLETE_CLEANUP_IN_PROGRESS ("Ongoing
//     removal of old resources for one or more stacks after a successful stack
//     update"). FAILED: the resource UPDATE_FAILED under its old id, the
//     stack UPDATE_ROLLBACK_IN_PROGRESS, the rollback's Update with the
//     resource UPDATE_IN_PROGRESS, a rollback's replacement cleaned up under
//     UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS; at rest
//     UPDATE_ROLLBACK_COMPLETE, or UPDATE_ROLLBACK_FAILED when the rollback's
//     Update failed ("you can delete the stack or continue rollback": an
//     operator's ContinueUpdateRollback sends it again under
//     UPDATE_ROLLBACK_IN_PROGRESS).
//   - a resource an update takes out of the template: its Delete after the
//     new resources are created, the stack UPDATE_COMPLETE_CLEANUP_IN_PROGRESS
//     ("Ongoing removal of old resources ... after a successful stack
//     update"), the resource DELETE_IN_PROGRESS, then DELETE_COMPLETE (a
//     failed one is given up as a replaced resource's cleanup is: see
//     Driver.Remove); the stack UPDATE_COMPLETE at rest.
//   - the stack's Delete: stack and resource DELETE_IN_PROGRESS, then
//     DELETE_COMPLETE; a failed one DELETE_FAILED ("Delete the stack again"),
//     and the operator's retry DELETE_IN_PROGRESS again. A stack whose
//     rollback failed (ROLLBACK_FAILED: "Delete the stack") can only be
//     deleted: the Delete that follows is the stack's.
//
// Where AWS is silent this model takes the case least favourable to a check
// of the request against CloudFormation:
//
//   - a replaced resource's status during its cleanup: the resource is left
//     UPDATE_COMPLETE under its new id, so only the stack's status shows the
//     cleanup;
//   - how soon DescribeStackResource shows a status: at once, here;
//   - a failed cleanup Delete changes no status (CloudFormation gives the old
//     resource up after three attempts and goes on; see Driver.settle);
//   - a stack whose creation failed (ROLLBACK_COMPLETE) or that was deleted,
//     given a Create again, is taken to be a new stack under the same id (a
//     shortcut of tests that reuse a StackId; CloudFormation gives every new
//     stack a new one).

// sent is the stack's and the resource's status under which CloudFormation
// sends a request of type rt naming physical, given the stack's status and
// the resource as they were.
func sent(stack string, r Resource, rt cfn.RequestType, physical string) (string, string) {
	switch rt {
	case cfn.RequestCreate:
		switch stack {
		case "", DeleteComplete, RollbackComplete:
			return CreateInProgress, CreateInProgress
		case CreateInProgress, UpdateInProgress:
			return stack, CreateInProgress
		}
		return UpdateInProgress, CreateInProgress
	case cfn.RequestUpdate:
		switch stack {
		case UpdateRollbackInProgress, UpdateRollbackFailed:
			return UpdateRollbackInProgress, UpdateInProgress
		}
		return UpdateInProgress, UpdateInProgress
	}
	if cleaningUp(stack, r, physical) {
		return stack, r.ResourceStatus
	}
	switch stack {
	case RollbackInProgress, DeleteInProgress, UpdateCompleteCleanupInProgress:
		// UpdateCompleteCleanupInProgress: a resource the update took out
		// of the template (Driver.Remove).
		return stack, DeleteInProgress
	case UpdateRollbackInProgress, UpdateRollbackCompleteCleanupInProgress:
		return UpdateRollbackCompleteCleanupInProgress, DeleteInProgress
	}
	return DeleteInProgress, DeleteInProgress
}

// cleaningUp reports whether a Delete naming physical is a replaced
// resource's cleanup: the stack cleans up, and the resource has another id.
func cleaningUp(stack string, r Resource, physical string) bool {
	return (stack == UpdateCompleteCleanupInProgress || stack == UpdateRollbackCompleteCleanupInProgress) &&
		physical != r.PhysicalResourceID
}

// answer is the stack's status, the resource's status and its physical id
// after CloudFormation received the answer (SUCCESS: ok) to a request of
// type rt naming physical, with answered as the answer's PhysicalResourceId.
func answer(stack string, r Resource, rt cfn.RequestType, physical string, ok bool, answered string) (string, string, string) {
	switch rt {
	case cfn.RequestCreate:
		if ok {
			return stack, CreateComplete, answered
		}
		return rollingBack(stack), CreateFailed, answered
	case cfn.RequestUpdate:
		if !ok {
			return rollingBack(stack), UpdateFailed, physical
		}
		if answered != physical {
			return cleanup(stack), UpdateComplete, answered
		}
		return stack, UpdateComplete, answered
	}
	if cleaningUp(stack, r, physical) {
		return stack, r.ResourceStatus, ""
	}
	if ok {
		return stack, DeleteComplete, ""
	}
	switch stack {
	case RollbackInProgress:
		return RollbackFailed, DeleteFailed, ""
	case DeleteInProgress:
		return DeleteFailed, DeleteFailed, ""
	}
	return stack, DeleteFailed, ""
}

// rollingBack is the status of a stack whose operation failed.
func rollingBack(stack string) string {
	switch stack {
	case CreateInProgress:
		return RollbackInProgress
	case UpdateInProgress:
		return UpdateRollbackInProgress
	case UpdateRollbackInProgress:
		return UpdateRollbackFailed
	}
	return stack
}

// cleanup is the status of a stack that cleans up after a replacement.
func cleanup(stack string) string {
	switch stack {
	case UpdateInProgress:
		return UpdateCompleteCleanupInProgress
	case UpdateRollbackInProgress:
		return UpdateRollbackCompleteCleanupInProgress
	}
	return stack
}

// rest is the status a stack's operation ends in; a status at rest stays.
func rest(stack string) string {
	switch stack {
	case CreateInProgress:
		return CreateComplete
	case UpdateInProgress, UpdateCompleteCleanupInProgress:
		return UpdateComplete
	case RollbackInProgress:
		return RollbackComplete
	case UpdateRollbackInProgress, UpdateRollbackCompleteCleanupInProgress:
		return UpdateRollbackComplete
	case DeleteInProgress:
		return DeleteComplete
	}
	return stack
}
