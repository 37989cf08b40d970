package roles

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Stack is what a CloudFormation StackId tells: partition, region, account and name.
type Stack struct {
	ID        string
	Partition string
	Region    string
	AccountID string
	Name      string
}

var stackIDPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):cloudformation:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):stack/([A-Za-z][A-Za-z0-9-]{0,127})/[A-Za-z0-9-]+$`)

// ParseStackID reads a CloudFormation stack ARN.
func ParseStackID(id string) (Stack, error) {
	m := stackIDPattern.FindStringSubmatch(id)
	if m == nil {
		return Stack{}, &PropertyError{Property: "StackId", Message: fmt.Sprintf("%q is not a CloudFormation stack ARN", id)}
	}
	return Stack{ID: id, Partition: m[1], Region: m[2], AccountID: m[3], Name: m[4]}, nil
}

// generatedSuffixLen is the length of a generated name's suffix.
const generatedSuffixLen = 12

// GeneratedRoleName makes a role name the way CloudFormation names resources —
// stack name, logical id and a 12-character suffix, at most 64 characters —
// with "QBusiness" before the suffix: the Amazon Q Business console offers
// only roles with qbusiness or QBusiness in their name. The suffix is derived
// from the request, so a retried delivery of the same Create gets the same name.
func GeneratedRoleName(stack Stack, logicalID, requestID string) string {
	sum := sha256.Sum256([]byte(stack.ID + "\x00" + logicalID + "\x00" + requestID))
	suffix := strings.ToUpper(new(big.Int).SetBytes(sum[:]).Text(36))
	suffix = (strings.Repeat("0", max(0, generatedSuffixLen-len(suffix))) + suffix)[:generatedSuffixLen]
	const marker = "QBusiness"
	const budget = 64 - len(marker) - generatedSuffixLen - 3
	// Within the budget both are kept whole; past it the logical id keeps
	// what the stack name leaves, at least half, and the stack name the rest.
	keepLogical := min(len(logicalID), max(budget-len(stack.Name), budget/2))
	keepStack := min(len(stack.Name), budget-keepLogical)
	return stack.Name[:keepStack] + "-" + logicalID[:keepLogical] + "-" + marker + "-" + suffix
}
