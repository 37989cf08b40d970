package roles

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// roleUnder is the role a role-name or adopted id names; nil when IAM has
// none, or the id names no role.
func (m *Manager) roleUnder(ctx context.Context, id PhysicalID) (*types.Role, error) {
	if id.Kind != IDRole && id.Kind != IDAdopted {
		return nil, nil
	}
	r, err := findRole(ctx, m.IAM, id.RoleName)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading IAM role (%s): %w", id.RoleName, err)
	}
	return r, nil
}

// roleNameInAnyCase lists the account's roles for one whose name equals name
// but for letter case, and returns IAM's spelling of it.
func (m *Manager) roleNameInAnyCase(ctx context.Context, name string) (string, error) {
	p := iam.NewListRolesPaginator(m.IAM, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing roles: %w", err)
		}
		for _, r := range page.Roles {
			if strings.EqualFold(aws.ToString(r.RoleName), name) {
				return aws.ToString(r.RoleName), nil
			}
		}
	}
	return "", errNotFound
}
