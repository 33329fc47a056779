// Package whistle is Shaobao's domain vocabulary: cases, tasks, the
// whistle classes and their default clocks, the four command levels, org
// paths, statuses, actors and coded errors. The rules of the closed loop
// (who may report, verify, escalate, when) live with the workflow, in
// workflows/state.go. It imports nothing heavy so every other package can
// use it.
package whistle

import "time"

// Class is a whistle class; each has its own clocks.
type Class string

const (
	ClassEmergency    Class = "emergency"    // 应急哨
	ClassKey          Class = "key"          // 重点哨
	ClassRoutine      Class = "routine"      // 常规哨
	ClassCoordination Class = "coordination" // 协调哨
)

// Classes lists every class in order of urgency.
var Classes = []Class{ClassEmergency, ClassKey, ClassRoutine, ClassCoordination}

// Valid reports whether c is a known class.
func (c Class) Valid() bool {
	for _, k := range Classes {
		if c == k {
			return true
		}
	}
	return false
}

// NameZH is the class's Chinese name.
func (c Class) NameZH() string {
	return map[Class]string{ClassEmergency: "应急哨", ClassKey: "重点哨", ClassRoutine: "常规哨", ClassCoordination: "协调哨"}[c]
}

// WallClock reports whether the class's clocks run on the wall clock
// rather than on working time.
func (c Class) WallClock() bool { return c == ClassEmergency }

// OrgKind is the kind of a node in the org tree.
type OrgKind string

const (
	OrgCity      OrgKind = "city"
	OrgDistrict  OrgKind = "district"
	OrgStreet    OrgKind = "street"
	OrgCommunity OrgKind = "community"
	OrgGrid      OrgKind = "grid"
)

// Level is a command level of the 四级指挥体系. A case is held at one level.
type Level string

const (
	LevelCommunity Level = "community"
	LevelStreet    Level = "street"
	LevelDistrict  Level = "district"
	LevelCity      Level = "city"
)

// Levels lists the levels from the bottom up.
var Levels = []Level{LevelCommunity, LevelStreet, LevelDistrict, LevelCity}

// Valid reports whether l is a known level.
func (l Level) Valid() bool {
	for _, k := range Levels {
		if l == k {
			return true
		}
	}
	return false
}

// Above returns the level directly above l and false at the city.
func (l Level) Above() (Level, bool) {
	for i, k := range Levels {
		if k == l && i+1 < len(Levels) {
			return Levels[i+1], true
		}
	}
	return "", false
}

// LevelOf returns the command level an org unit kind belongs to; a grid
// belongs to its community.
func LevelOf(k OrgKind) Level {
	switch k {
	case OrgCity:
		return LevelCity
	case OrgDistrict:
		return LevelDistrict
	case OrgStreet:
		return LevelStreet
	default:
		return LevelCommunity
	}
}

// CaseStatus is where a case stands in the closed loop.
type CaseStatus string

const (
	CaseOpen       CaseStatus = "open"       // departments summoned and working
	CaseVerifying  CaseStatus = "verifying"  // every department done; the filer checks
	CaseEvaluating CaseStatus = "evaluating" // verified; 一哨一评
	CaseClosed     CaseStatus = "closed"
)

// TaskStatus is where one department's task stands.
type TaskStatus string

const (
	TaskSummoned TaskStatus = "summoned"
	TaskReported TaskStatus = "reported"
	TaskDone     TaskStatus = "done"
	TaskReturned TaskStatus = "returned"
)

// Source is where a case came from.
type Source string

const (
	SourceGrid       Source = "grid"       // 网格巡查
	SourceHotline    Source = "hotline"    // 12345
	SourceResident   Source = "resident"   // 居民
	SourceCommunity  Source = "community"  // 社区
	SourceProperty   Source = "property"   // 物业纠纷
	SourceEscalation Source = "escalation" // 下级上报
)

// Sources lists every source.
var Sources = []Source{SourceGrid, SourceHotline, SourceResident, SourceCommunity, SourceProperty, SourceEscalation}

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	for _, k := range Sources {
		if s == k {
			return true
		}
	}
	return false
}

// Satisfaction is the resident's satisfaction recorded with an evaluation.
type Satisfaction string

const (
	Satisfied          Satisfaction = "satisfied"
	BasicallySatisfied Satisfaction = "basically_satisfied"
	Dissatisfied       Satisfaction = "dissatisfied"
)

// Valid reports whether s is a known satisfaction value.
func (s Satisfaction) Valid() bool {
	return s == Satisfied || s == BasicallySatisfied || s == Dissatisfied
}

// Role is a user's role.
type Role string

const (
	RoleAdmin              Role = "admin"
	RoleCommander          Role = "commander" // 综合指挥中心
	RoleStreetSecretary    Role = "street_secretary"
	RoleCommunitySecretary Role = "community_secretary"
	RoleGridWorker         Role = "grid_worker"
	RoleClerk              Role = "clerk" // 部门/派出机构
	RoleSupervisor         Role = "supervisor"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleCommander, RoleStreetSecretary, RoleCommunitySecretary, RoleGridWorker, RoleClerk, RoleSupervisor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Actor is the signed-in caller, built once when the request is
// authenticated: who performs an action, as the policy decides it and as
// the workflow records it. It holds enough to check the actor's task and
// level, nothing personal beyond the username. Its JSON is part of every
// recorded workflow history: do not rename or retype its fields.
type Actor struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Role     Role   `json:"role"`
	// OrgUnitID and OrgPath are the actor's org unit; a clerk's is their
	// department's.
	OrgUnitID string  `json:"org_unit_id,omitempty"`
	OrgPath   OrgPath `json:"org_path,omitempty"`
	// DepartmentID is set for clerks only.
	DepartmentID string `json:"department_id,omitempty"`
}

// SystemActor is the actor of clock-driven events (breaches, timeouts).
var SystemActor = Actor{UserID: "system", Username: "system"}

// Deadlines are a task's two clocks.
type Deadlines struct {
	Report time.Time `json:"report_deadline"`
	Handle time.Time `json:"handle_deadline"`
	// Extensions bound the task's extensions; zero in answers recorded
	// before limits existed.
	Extensions ExtensionLimits `json:"extensions,omitempty"`
	// Warnings are the clocks' warning instants; empty in answers
	// recorded before warnings existed.
	Warnings ClockWarnings `json:"warnings,omitempty"`
}
