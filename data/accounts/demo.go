package accounts

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"citygrid/data"
	"citygrid/data/accounts/password"
)

// DemoUnit is the department the demo's unit user works for when the city
// has it (环卫所, the unit with the most demo cases); otherwise the first
// department is taken.
const DemoUnit = "HW"

// DemoUsers returns one user for every role of the demo city ds, named
// like the actors of the demo's case history (受理员 slj01, 值班长 zbz01,
// 派遣员 pqy01, the first 监督员 of a street jdy<street>01, a unit's
// handler <unit>01), so that signing in shows the history they made.
// The unit user belongs to a real department of ds and the inspector walks
// a real inspector work grid of ds. Viewer stands in for the district
// leaders who read the command screens.
func DemoUsers(ds *data.Dataset) ([]User, error) {
	if len(ds.Departments) == 0 {
		return nil, fmt.Errorf("demo users: the city has no departments")
	}
	unit := ds.Departments[0]
	for _, d := range ds.Departments {
		if d.Code == DemoUnit {
			unit = d
		}
	}
	var grids []data.ManagementGrid
	for _, g := range ds.ManagementGrids {
		if g.Kind == data.KindInspector {
			grids = append(grids, g)
		}
	}
	inspector := User{Name: "jdy01", DisplayName: "李娜（监督员）", Roles: []data.Role{data.RoleInspector}}
	if len(grids) > 0 {
		g := slices.MinFunc(grids, func(a, b data.ManagementGrid) int { return cmp.Compare(a.Code, b.Code) })
		inspector.Grid = g.Code
		// Work grid codes hold the 9-digit street code after the 6-digit
		// object code; the demo names a street's inspectors after its last
		// three digits.
		if len(g.Code) == 20 {
			inspector.Name = "jdy" + g.Code[12:15] + "01"
		}
	}
	return []User{
		{Name: "zbz01", DisplayName: "王强（值班长）", Roles: []data.Role{data.RoleSupervisor}},
		{Name: "slj01", DisplayName: "陈静（受理员）", Roles: []data.Role{data.RoleOperator}},
		{Name: "pqy01", DisplayName: "刘洋（派遣员）", Roles: []data.Role{data.RoleDispatcher}},
		{Name: NormalizeName(unit.Code) + "01", DisplayName: "赵磊（" + unit.Name + "）", Roles: []data.Role{data.RoleUnit}, Unit: unit.Code},
		inspector,
		{Name: "pcy01", DisplayName: "孙敏（普查员）", Roles: []data.Role{data.RoleSurveyor}},
		{Name: "ld01", DisplayName: "周建国（领导，只读）", Roles: []data.Role{data.RoleViewer}},
		{Name: "gz01", DisplayName: "吴芳（市民）", Roles: []data.Role{data.RoleCitizen}},
		{Name: "admin", DisplayName: "系统管理员", Roles: []data.Role{data.RoleAdmin}},
	}, nil
}

// CreateDemoUsers creates DemoUsers(ds) with one freshly generated
// password, which it returns: the caller shows it once, it is stored only
// as hashes.
func (s *Service) CreateDemoUsers(ctx context.Context, ds *data.Dataset) (string, []User, error) {
	users, err := DemoUsers(ds)
	if err != nil {
		return "", nil, err
	}
	pw, err := password.Generate()
	if err != nil {
		return "", nil, err
	}
	out := make([]User, 0, len(users))
	for _, u := range users {
		created, err := s.CreateUser(ctx, u, pw)
		if err != nil {
			return "", nil, fmt.Errorf("demo user %s: %w", u.Name, err)
		}
		out = append(out, created)
	}
	return pw, out, nil
}
