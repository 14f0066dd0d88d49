package data

// Role is what a user may do. Roles follow the posts of a digital
// city-management centre (standards.md §4.2) plus the surveyors who keep the
// component layers and the administrators who configure the platform.
type Role string

// Roles.
const (
	RoleViewer     Role = "viewer"     // reads everything public and internal, writes nothing
	RoleCitizen    Role = "citizen"    // 公众: reports problems, follows their own reports
	RoleInspector  Role = "inspector"  // 监督员: reports, verifies (核实), checks (核查)
	RoleOperator   Role = "operator"   // 受理员: accepts reports, sends verify/check tasks
	RoleSupervisor Role = "supervisor" // 值班长: registers (立案), closes (结案), cancels, arbitrates
	RoleDispatcher Role = "dispatcher" // 派遣员: dispatches, approves extension/return/suspension
	RoleUnit       Role = "unit"       // 处置单位 handler: handles and gives feedback for its own unit's cases
	RoleSurveyor   Role = "surveyor"   // 普查/更新: edits components and grids
	RoleAdmin      Role = "admin"      // configuration, tokens, everything
)

// Roles lists every role.
var Roles = []Role{RoleViewer, RoleCitizen, RoleInspector, RoleOperator, RoleSupervisor, RoleDispatcher, RoleUnit, RoleSurveyor, RoleAdmin}

// Principal is who makes a request: a user with one role and, for unit
// handlers, the department code of their unit.
type Principal struct {
	User string `json:"user"`
	Role Role   `json:"role"`
	// Unit is the department code a RoleUnit principal acts for.
	Unit string `json:"unit,omitempty"`
}

// Anonymous reports whether p is the zero principal (no credentials).
func (p Principal) Anonymous() bool { return p.User == "" && p.Role == "" }
