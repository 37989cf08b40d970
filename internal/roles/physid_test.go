package roles

import (
	"strings"
	"testing"
	"time"
)

func TestParsePhysicalID(t *testing.T) {
	cases := []struct {
		name string
		id   string
		want PhysicalID
	}{
		{"application role", "stack-AppRole-QBusiness-0123456789ab", PhysicalID{Kind: IDRole, RoleName: "stack-AppRole-QBusiness-0123456789ab"}},
		{"service-linked role this resource made", "AWSServiceRoleForQBusiness", PhysicalID{Kind: IDRole, RoleName: "AWSServiceRoleForQBusiness"}},
		{"longest role name", strings.Repeat("r", 64), PhysicalID{Kind: IDRole, RoleName: strings.Repeat("r", 64)}},
		{"adopted service-linked role", adoptedID("AWSServiceRoleForQBusiness"), PhysicalID{Kind: IDAdopted, RoleName: "AWSServiceRoleForQBusiness"}},
		{"adopted marker without a valid name", "qbrole:adopted:", PhysicalID{Kind: IDForeign}},
		{"pending service-linked role", "qbrole:slr-pending:1764200000000", PhysicalID{Kind: IDPendingSLR, Moment: time.UnixMilli(1764200000000).UTC()}},
		{"pending marker without a moment", "qbrole:slr-pending:soon", PhysicalID{Kind: IDPendingSLR}},
		{"failed Create", FailedCreateID("req-1"), PhysicalID{Kind: IDFailedCreate}},
		{"failed-Create marker as written", "qbrole:create-failed:req-1", PhysicalID{Kind: IDFailedCreate}},
		{"failed Create that made a role", failedCreateRoleID(time.UnixMilli(1764200000000), "qb-role"),
			PhysicalID{Kind: IDFailedCreateRole, RoleName: "qb-role", Moment: time.UnixMilli(1764200000000).UTC()}},
		{"failed-Create-role marker as written", "qbrole:create-failed-role:1764200000000:qb-role",
			PhysicalID{Kind: IDFailedCreateRole, RoleName: "qb-role", Moment: time.UnixMilli(1764200000000).UTC()}},
		{"failed-Create-role marker without a moment", "qbrole:create-failed-role:soon:qb-role", PhysicalID{Kind: IDForeign}},
		{"failed-Create-role marker without a valid name", "qbrole:create-failed-role:1764200000000:", PhysicalID{Kind: IDForeign}},
		{"made up by CloudFormation", "2026/11/26/[$LATEST]0123456789abcdef", PhysicalID{Kind: IDForeign}},
		{"too long for a role", strings.Repeat("r", 64) + "r", PhysicalID{Kind: IDForeign}},
		{"empty", "", PhysicalID{Kind: IDForeign}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ParsePhysicalID(c.id); got != c.want {
				t.Errorf("ParsePhysicalID(%q) = %+v, want %+v", c.id, got, c.want)
			}
		})
	}
}

func TestDeletesNothingAndNamesServiceLinkedRole(t *testing.T) {
	for _, c := range []struct {
		physical              string
		deletesNothing, isSLR bool
	}{
		{"qbusiness-app-role", false, false},
		{"AWSServiceRoleForQBusiness", false, true},
		{"awsservicerolefor" + "qbusiness", false, true},
		{"AWSServiceRole", false, false},
		{FailedCreateID("r1"), true, false},
	} {
		if got := DeletesNothing(c.physical); got != c.deletesNothing {
			t.Errorf("DeletesNothing(%q) = %v", c.physical, got)
		}
		if got := NamesServiceLinkedRole(c.physical); got != c.isSLR {
			t.Errorf("NamesServiceLinkedRole(%q) = %v", c.physical, got)
		}
	}
}
