package roles

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// errNotFound is what the finders return for NoSuchEntity.
var errNotFound = errors.New("not found")

// findRole returns the role, or errNotFound when IAM has no such role.
func findRole(ctx context.Context, c IAM, name string) (*types.Role, error) {
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if isNoSuchEntity(err) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if out.Role == nil {
		return nil, errNotFound
	}
	return out.Role, nil
}
