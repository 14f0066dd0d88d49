// Package data holds citygrid's domain model — administrative units, unit
// grids, management grids, component and event categories, components,
// departments and geocoding features — together with the validation rules of
// the national standards and the Store interface that persists them.
//
// Geometry is in CGCS2000 geographic coordinates (EPSG:4490, longitude then
// latitude), which web maps treat as WGS84. Areas are always polygons held as
// orb.MultiPolygon so that a city's multipart grids need no special case.
package data

import (
	"time"

	"github.com/paulmach/orb"
)

// AdminLevel is the level of an administrative unit.
type AdminLevel string

// Administrative levels, coarse to fine.
const (
	LevelDistrict  AdminLevel = "district"
	LevelStreet    AdminLevel = "street"
	LevelCommunity AdminLevel = "community"
)

// CodeLength is the length of the code at each administrative level:
// 6-digit county code (GB/T 2260), 9-digit street code (GB/T 10114) and the
// 12-digit statistical code of a community.
var CodeLength = map[AdminLevel]int{
	LevelDistrict:  6,
	LevelStreet:    9,
	LevelCommunity: 12,
}

// AdminUnit is an administrative unit: a district (区县), a street (街道, 乡镇)
// or a community (社区, 村). Its parent is the unit one level up; a
// district's parent is the prefecture code and is not itself stored.
type AdminUnit struct {
	Level    AdminLevel
	Code     string
	Name     string
	Parent   string
	Geometry orb.MultiPolygon
}

// UnitGrid is a unit grid (单元网格, GB/T 30428.1): a cell of about 10,000 m²
// inside exactly one community. Its 15-digit code is the 12-digit community
// code followed by a 3-digit sequence numbered west→east, north→south.
type UnitGrid struct {
	Code      string
	Community string
	Geometry  orb.MultiPolygon
	// AreaM2 is the geodesic area of Geometry in square metres.
	AreaM2 float64
}

// Management-grid kinds every city has. A city may define more; any
// non-empty kind string is accepted.
const (
	// KindResponsibility is a responsibility grid (责任网格).
	KindResponsibility = "responsibility"
	// KindInspector is an inspector work grid (监督员工作网格).
	KindInspector = "inspector"
)

// ManagementGrid is a coarser grid a city manages by — a responsibility grid,
// an inspector's work grid or a kind the city defines — usually a union of
// unit grids, with the department (unit) responsible for it.
type ManagementGrid struct {
	Kind     string
	Code     string
	Name     string
	Unit     string // department code of the responsible unit
	Geometry orb.MultiPolygon
}

// CategoryKind tells components (部件, fixtures) from events (事件, matters).
type CategoryKind string

// Category kinds.
const (
	KindComponent CategoryKind = "component"
	KindEvent     CategoryKind = "event"
)

// Category scheme names as catalogues write them.
const (
	// SchemeGBT30428 is GB/T 30428.2-2013: 2-digit big and 2-digit small
	// class, 16-digit component codes.
	SchemeGBT30428 = "GB/T 30428.2-2013"
	// SchemeGBT47678 is GB/T 47678.5-2026: 2-digit big and 3-digit small
	// class, 17-digit component codes.
	SchemeGBT47678 = "GB/T 47678.5-2026"
)

// GeometryType is the geometry a component category is surveyed as.
type GeometryType string

// Geometry types of component categories.
const (
	GeomPoint   GeometryType = "point"
	GeomLine    GeometryType = "line"
	GeomPolygon GeometryType = "polygon"
)

// Category is a component or event category (部件/事件 小类) with its big
// class. Code is the big class followed by the small class ("0101" under
// GB/T 30428.2, "01001" under GB/T 47678.5).
type Category struct {
	Scheme   string
	Kind     CategoryKind
	Code     string
	Name     string
	Big      string // big-class code, the first two digits of Code
	BigName  string
	Geometry GeometryType // components only; events are located by a point
	// Department is the default competent department (主管部门).
	Department string
	// DeadlineClass names the row of the deadline table that applies.
	DeadlineClass string
}

// ComponentStatus is the state of a surveyed component (部件状态).
type ComponentStatus string

// Component statuses per GB/T 47678.5 (完好、破损、丢失、废弃、移除) plus occupied.
const (
	StatusIntact   ComponentStatus = "intact"
	StatusDamaged  ComponentStatus = "damaged"
	StatusLost     ComponentStatus = "lost"
	StatusOccupied ComponentStatus = "occupied"
	StatusDisused  ComponentStatus = "disused"
	StatusRemoved  ComponentStatus = "removed"
)

// ComponentStatuses lists every valid status.
var ComponentStatuses = []ComponentStatus{StatusIntact, StatusDamaged, StatusLost, StatusOccupied, StatusDisused, StatusRemoved}

// Component is a surveyed public fixture (管理部件): a manhole cover, lamp
// post, bin, tree, sign... Its code is the 6-digit county code, the category
// code and a 6-digit sequence (16 digits under GB/T 30428.2, 17 under
// GB/T 47678.5).
type Component struct {
	Code       string
	Category   string // Category.Code
	Name       string
	Geometry   orb.Geometry // orb.Point for most categories
	Department string       // competent department (主管部门)
	Owner      string       // 权属单位
	Maintainer string       // 养护单位
	Status     ComponentStatus
	UnitGrid   string // code of the unit grid the component lies in
	SurveyDate time.Time
	ChangedAt  time.Time
	Version    int64
	Note       string
}

// DepartmentKind classifies departments.
type DepartmentKind string

// Department kinds.
const (
	DeptBureau  DepartmentKind = "bureau"  // district bureau (区局)
	DeptStreet  DepartmentKind = "street"  // street office (街道办)
	DeptUtility DepartmentKind = "utility" // power, water, gas, telecom company
	DeptCompany DepartmentKind = "company" // contractor, property company
	DeptCentre  DepartmentKind = "centre"  // the city-management centre itself
)

// Department is a department or handling unit (处置单位).
type Department struct {
	Code       string
	Name       string
	CreditCode string // 统一社会信用代码, 18 characters, when known
	Parent     string
	Kind       DepartmentKind
}

// Road is a named road or lane (街巷).
type Road struct {
	Code     string
	Name     string
	District string
	Geometry orb.MultiLineString
}

// Address is a door plate (门牌): a number on a road, with a point.
type Address struct {
	Code   string
	Road   string // Road.Code
	Number string // "101", "101-3", "12甲"
	// FullAddress is the full standard text: district + street + road + number.
	FullAddress string
	Community   string
	Point       orb.Point
}

// POI is a point of interest or a landmark (兴趣点, 标志物).
type POI struct {
	Code     string
	Name     string
	Kind     string // school, hospital, park, mall, bus_stop, ...
	Landmark bool
	Point    orb.Point
}

// ScopeKind names what a responsibility rule's scope code refers to.
type ScopeKind string

// Rule scopes, most general first.
const (
	ScopeCity           ScopeKind = "city"
	ScopeDistrict       ScopeKind = "district"
	ScopeStreet         ScopeKind = "street"
	ScopeCommunity      ScopeKind = "community"
	ScopeManagementGrid ScopeKind = "management_grid"
	// ScopeUnitGrid: one unit grid (单元网格), the narrowest drawn area.
	ScopeUnitGrid ScopeKind = "unit_grid"
	// ScopeArea: a polygon drawn for the rule (Rule.Area), such as the
	// stretch of road an arbitration ruled on; narrower than any grid.
	ScopeArea ScopeKind = "area"
)

// Rule is one row of the responsibility rule table: for a category inside a
// scope, the unit that must handle it. Higher priority wins; among equal
// priorities the narrower scope wins.
type Rule struct {
	ID       int64
	Category string // Category.Code; "" matches every category
	Scope    ScopeKind
	ScopeRef string // code of the district/street/community/management grid
	Unit     string // department code
	Priority int
	Note     string
	// Kind is the kind of Category (component or event): component and
	// event codes overlap (component 0101 上水井盖, event 0101 暴露垃圾).
	// "" matches the code in either kind.
	Kind CategoryKind
	// Area is the polygon of a ScopeArea rule (CGCS2000 lon/lat).
	Area orb.Polygon
	// Precedent is the arbitration ruling the rule was saved from (仲裁先例);
	// the reason chain cites it.
	Precedent *Precedent
}

// Precedent is an arbitration ruling (仲裁裁定) kept as a responsibility
// rule, so that the same dispute is decided by the lookup next time.
type Precedent struct {
	CaseID     int64     `json:"case_id"`
	CaseNumber string    `json:"case_number"`
	RuledAt    time.Time `json:"ruled_at"`
	RuledBy    string    `json:"ruled_by"`
}

// Dataset is a whole city, or a batch of additions to one.
type Dataset struct {
	AdminUnits      []AdminUnit
	UnitGrids       []UnitGrid
	ManagementGrids []ManagementGrid
	Categories      []Category
	Departments     []Department
	Components      []Component
	Roads           []Road
	Addresses       []Address
	POIs            []POI
	Rules           []Rule

	// ChangeSeq is the Seq of the newest change of the store's ChangeLog
	// that the loaded data includes, read in the same snapshot as the
	// data (0: the store keeps no log, or nothing was edited yet).
	ChangeSeq int64
}

// Reason is one step of a responsibility decision's chain: which rule was
// tried, whether it decided, and why. The spatial lookup writes the chain
// and the case workflow keeps it with the case, as one type.
type Reason struct {
	Rule    string `json:"rule"`
	Decided bool   `json:"decided"`
	Detail  string `json:"detail"`
	// RuleID is the rule-table row that decided, for a rule-table decision.
	RuleID int64 `json:"rule_id,omitempty"`
}
