package store

import "time"

// OrgUnit is a node of the org tree: city → district → street/township →
// community/village → grid. ID is the administrative division code; Path is
// the materialized path of ids, "/110000/110101/", so a subtree is a prefix.
type OrgUnit struct {
	ID        string  `gorm:"primaryKey;size:32"`
	ParentID  *string `gorm:"size:32;index"`
	Kind      string  `gorm:"size:16;not null;index"`
	Name      string  `gorm:"size:128;not null"`
	NameEN    string  `gorm:"size:128"`
	Path      string  `gorm:"size:255;not null;uniqueIndex"`
	Depth     int     `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Department is a functional department or one of its stations (派出机构):
// a street's police station has the district's police bureau as parent.
type Department struct {
	ID        string  `gorm:"primaryKey;size:40"`
	Name      string  `gorm:"size:128;not null"`
	NameEN    string  `gorm:"size:128"`
	Kind      string  `gorm:"size:32;not null;index"`
	OrgUnitID string  `gorm:"size:32;not null;index"`
	OrgPath   string  `gorm:"size:255;not null;index"`
	ParentID  *string `gorm:"size:40;index"`
	Active    bool    `gorm:"not null;default:true"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a person who signs in. Clerks belong to a department (and its org
// unit); everyone else to an org unit.
type User struct {
	ID           string  `gorm:"primaryKey;size:40"`
	Username     string  `gorm:"size:64;not null;uniqueIndex"`
	DisplayName  string  `gorm:"size:128;not null"`
	Role         string  `gorm:"size:32;not null;index"`
	OrgUnitID    string  `gorm:"size:32;not null;index"`
	OrgPath      string  `gorm:"size:255;not null;index"`
	DepartmentID *string `gorm:"size:40;index"`
	Active       bool    `gorm:"not null;default:true"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// APIToken is a bearer token; only its SHA-256 is stored.
type APIToken struct {
	ID         string    `gorm:"primaryKey;size:40"`
	UserID     string    `gorm:"size:40;not null;index"`
	Hash       string    `gorm:"size:64;not null;uniqueIndex"`
	Name       string    `gorm:"size:64"`
	ExpiresAt  time.Time `gorm:"not null"`
	RevokedAt  *time.Time
	LastUsedAt *time.Time
	CreatedAt  time.Time
}

// CatalogueItem is one line of the whistle catalogue (吹哨事项清单).
type CatalogueItem struct {
	ID           string `gorm:"primaryKey;size:40"`
	Name         string `gorm:"size:128;not null"`
	NameEN       string `gorm:"size:128"`
	Category     string `gorm:"size:64;not null;index"`
	DefaultClass string `gorm:"size:16;not null"`
	// DepartmentKinds and Levels are comma-separated lists.
	DepartmentKinds string `gorm:"size:255;not null"`
	Levels          string `gorm:"size:128;not null"`
	Active          bool   `gorm:"not null;default:true"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// SLAPolicy holds a class's clocks, optionally for one level ("" = every
// level). Durations are written as "30m", "2h", "3d"; on working-time classes
// days and hours count working time.
type SLAPolicy struct {
	ID                  uint   `gorm:"primaryKey"`
	Class               string `gorm:"size:16;not null;uniqueIndex:idx_sla_class_level"`
	Level               string `gorm:"size:16;not null;default:'';uniqueIndex:idx_sla_class_level"`
	ReportWithin        string `gorm:"size:32;not null"`
	HandleWithin        string `gorm:"size:32;not null"`
	EvaluateWithin      string `gorm:"size:32;not null"`
	DefaultSatisfaction string `gorm:"size:32;not null"`
	// MaxExtensions and MaxExtensionDays bound a task's extensions: how
	// many, and how far past the first handling deadline in working days
	// (0: whistle.DefaultMaxExtensions, whistle.DefaultMaxExtensionDays).
	MaxExtensions    int `gorm:"not null;default:0"`
	MaxExtensionDays int `gorm:"not null;default:0"`
	// WarnYellow and WarnRed are the warning thresholds as fractions of a
	// clock's span (0: whistle.DefaultWarnYellow, whistle.DefaultWarnRed).
	WarnYellow float64 `gorm:"not null;default:0"`
	WarnRed    float64 `gorm:"not null;default:0"`
	UpdatedBy  string  `gorm:"size:64"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CalendarDay is an exception to the Monday–Friday week: a holiday on a
// weekday or a make-up working day (调休) on a weekend.
type CalendarDay struct {
	Date      string `gorm:"primaryKey;size:10"` // YYYY-MM-DD, Asia/Shanghai
	Kind      string `gorm:"size:16;not null"`   // holiday | workday
	Name      string `gorm:"size:64"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PolicyRule is one casbin rule an admin may edit, behind persist.Adapter.
type PolicyRule struct {
	ID    uint   `gorm:"primaryKey"`
	PType string `gorm:"size:8;not null;index"`
	V0    string `gorm:"size:128;not null;default:''"`
	V1    string `gorm:"size:128;not null;default:''"`
	V2    string `gorm:"size:128;not null;default:''"`
	V3    string `gorm:"size:128;not null;default:''"`
	V4    string `gorm:"size:128;not null;default:''"`
	V5    string `gorm:"size:128;not null;default:''"`
}

// CaseRow is the read model of a case, written only by the workflow's
// projection activity. Seq is the version: a write with a lower Seq is stale.
type CaseRow struct {
	ID string `gorm:"primaryKey;size:40"`
	// Number is the readable case number (YYYYMMDD-NNNNN), "" on cases
	// filed before numbers; migration 202612020005 gives it a unique
	// index over the non-empty values (no tag here: the initial
	// migration auto-migrates this model and cannot say "where").
	Number          string `gorm:"size:20;not null;default:''"`
	Title           string `gorm:"size:200;not null"`
	Description     string `gorm:"type:text"`
	Category        string `gorm:"size:64;index"`
	CatalogueItem   string `gorm:"size:40"`
	Source          string `gorm:"size:16;not null"`
	Class           string `gorm:"size:16;not null;index"`
	Status          string `gorm:"size:16;not null;index"`
	Level           string `gorm:"size:16;not null;index"`
	Overdue         bool   `gorm:"not null;index"`
	OrgUnitID       string `gorm:"size:32;not null"`
	OrgPath         string `gorm:"size:255;not null;index"`
	HolderOrgUnitID string `gorm:"size:32;not null"`
	HolderOrgPath   string `gorm:"size:255;not null;index"`
	Address         string `gorm:"size:255"`
	// Lat and Lon are NULL on a case filed by address alone (the initial
	// migration made them nullable: no tag said not null).
	Lat            *float64
	Lon            *float64
	GridID         string `gorm:"size:32"`
	FiledBy        string `gorm:"size:64;not null"`
	FiledByUserID  string `gorm:"size:40;not null"`
	VerifyFailures int    `gorm:"not null"`
	Seq            int64  `gorm:"not null"`
	EvaluationDue  *time.Time
	VerifiedAt     *time.Time
	ClosedAt       *time.Time
	// Outcome is how a closed case ended (resolved, rejected, merged);
	// MergedInto, RejectReason and the acceptance clock belong to the
	// acceptance queue (migration 202612020003_intake).
	Outcome        string `gorm:"size:16;not null;default:''"`
	MergedInto     string `gorm:"size:40;not null;default:''"`
	RejectReason   string `gorm:"type:text"`
	AcceptDeadline *time.Time
	AcceptBreached bool `gorm:"not null;default:false"`
	// DispatchesJSON and UnresolvableJSON hold the case's hand-downs and
	// its latest unresolvable application as the workflow has them;
	// UnresolvableStatus and UnresolvableAt (when it was applied for)
	// repeat the application's status and time for the 挂账 list
	// (migration 202612021301_twoway).
	DispatchesJSON     string `gorm:"type:text"`
	UnresolvableJSON   string `gorm:"type:text"`
	UnresolvableStatus string `gorm:"size:16;not null;default:'';index"`
	UnresolvableAt     *time.Time
	// The resident call-back (回访, migration 202612031003_callback):
	// whether the case needs one, its state (pending, reached, unreached,
	// expired; "" for none yet) and the attempts as the workflow has them.
	CallbackRequired bool   `gorm:"not null;default:false"`
	CallbackStatus   string `gorm:"size:16;not null;default:''"`
	CallbacksJSON    string `gorm:"type:text"`
	// LedgerNames are the names of the case's tasks not dropped, in summon
	// order, ledgerNameSep-joined: the ledger's departments without a
	// lookup of the tasks per row (ledger.go). LedgerNamesSeq is the case
	// version they were written with; a row another release wrote (during
	// a rolling update) has another, and the ledger reads its tasks
	// (migration 202612041004_ledger_names).
	LedgerNames    string `gorm:"type:text"`
	LedgerNamesSeq *int64

	CreatedAt time.Time `gorm:"not null;index"`
	UpdatedAt time.Time `gorm:"not null"`
}

// TableName keeps the contract's name for the table.
func (CaseRow) TableName() string { return "cases" }

// TaskRow is the read model of a task: the department inboxes query it.
type TaskRow struct {
	ID             string    `gorm:"primaryKey;size:48"`
	CaseID         string    `gorm:"size:40;not null;index"`
	DepartmentID   string    `gorm:"size:40;not null;index:idx_task_dept_status"`
	DepartmentName string    `gorm:"size:128"`
	Status         string    `gorm:"size:16;not null;index:idx_task_dept_status"`
	OrgPath        string    `gorm:"size:255;not null;index"` // the case's
	Class          string    `gorm:"size:16;not null"`
	SummonedAt     time.Time `gorm:"not null"`
	SummonedBy     string    `gorm:"size:64"`
	SummonedLevel  string    `gorm:"size:16"`
	ReportDeadline time.Time `gorm:"not null"`
	HandleDeadline time.Time `gorm:"not null"`
	Overdue        bool      `gorm:"not null"`
	ReportedAt     *time.Time
	DoneAt         *time.Time
	ReturnedAt     *time.Time
	ReturnReason   string `gorm:"type:text"`
	Rerouted       bool   `gorm:"not null"`
	ReportBreached bool   `gorm:"not null"`
	HandleBreached bool   `gorm:"not null"`
	Reopened       int    `gorm:"not null"`
	Extensions     int    `gorm:"not null"`
	FeedbackJSON   string `gorm:"type:text"`
	ExtensionJSON  string `gorm:"type:text"`
	// Issue 13 (migration 202612021301_twoway): the lead department, a
	// return under review, a dropped or released task, and the
	// extension limits (count 0 and no cap: summoned before limits).
	Lead           bool   `gorm:"not null;default:false"`
	ReturnFrom     string `gorm:"size:16;not null;default:''"`
	ReturnAnswer   string `gorm:"type:text"`
	DroppedAt      *time.Time
	DropReason     string `gorm:"type:text"`
	ExtensionLimit int    `gorm:"not null;default:0"`
	ExtensionCap   *time.Time
	// Issue 14 (migration 202612021401_followup): the warning level (lists
	// filter and sort by it), the warning instants and how many were
	// announced, 催办, and the extension request's status (the holder's
	// to-do list finds pending requests by it).
	Warning         string `gorm:"size:8;not null;default:'';index"`
	WarnAtJSON      string `gorm:"type:text"`
	WarnedReport    int    `gorm:"not null;default:0"`
	WarnedHandle    int    `gorm:"not null;default:0"`
	Urges           int    `gorm:"not null;default:0"`
	LastUrgedAt     *time.Time
	ExtensionStatus string `gorm:"size:16;not null;default:''"`
}

// TableName keeps the contract's name for the table.
func (TaskRow) TableName() string { return "tasks" }

// TimelineRow is one timeline entry; (CaseID, Seq) makes a retried write a no-op.
type TimelineRow struct {
	CaseID       string    `gorm:"primaryKey;size:40"`
	Seq          int64     `gorm:"primaryKey;autoIncrement:false"`
	At           time.Time `gorm:"not null"`
	Type         string    `gorm:"size:32;not null"`
	Actor        string    `gorm:"size:64;not null"`
	TaskID       string    `gorm:"size:48"`
	DepartmentID string    `gorm:"size:40"`
	Detail       string    `gorm:"type:text"`
}

// TableName keeps the contract's name for the table.
func (TimelineRow) TableName() string { return "timeline_entries" }

// EscalationRow is one escalation, kept for supervisors.
type EscalationRow struct {
	CaseID        string    `gorm:"primaryKey;size:40"`
	Seq           int64     `gorm:"primaryKey;autoIncrement:false"`
	OrgPath       string    `gorm:"size:255;not null;index"` // the case's
	Class         string    `gorm:"size:16;not null"`
	FromLevel     string    `gorm:"size:16;not null"`
	ToLevel       string    `gorm:"size:16;not null"`
	FromOrgUnitID string    `gorm:"size:32;not null"`
	ToOrgUnitID   string    `gorm:"size:32;not null"`
	Kind          string    `gorm:"size:32;not null"`
	Reason        string    `gorm:"type:text"`
	At            time.Time `gorm:"not null;index"`
	By            string    `gorm:"size:64"`
	// The answer of the level above (migration 202612021301_twoway);
	// Status "" is an escalation that moved at once.
	ToOrgPath      string `gorm:"size:255;not null;default:''"`
	Status         string `gorm:"size:16;not null;default:''"`
	AnswerDeadline *time.Time
	AnswerBreached bool `gorm:"not null;default:false"`
	AnsweredAt     *time.Time
	AnsweredBy     string `gorm:"size:64;not null;default:''"`
	Comment        string `gorm:"type:text"`
}

// TableName keeps the contract's name for the table.
func (EscalationRow) TableName() string { return "escalations" }

// BreachRow is one missed deadline.
type BreachRow struct {
	ID           string    `gorm:"primaryKey;size:56"`
	CaseID       string    `gorm:"size:40;not null;index"`
	TaskID       string    `gorm:"size:48;not null"`
	DepartmentID string    `gorm:"size:40;not null;index"`
	OrgPath      string    `gorm:"size:255;not null;index"` // the case's
	Class        string    `gorm:"size:16;not null"`
	Kind         string    `gorm:"size:16;not null"`
	Level        string    `gorm:"size:16;not null"`
	Deadline     time.Time `gorm:"not null"`
	At           time.Time `gorm:"not null;index"`
	Resolved     bool      `gorm:"not null"`
	ResolvedAt   *time.Time
}

// TableName keeps the contract's name for the table.
func (BreachRow) TableName() string { return "breaches" }

// EvaluationRow is 一哨一评 for one department on one case.
type EvaluationRow struct {
	CaseID       string `gorm:"primaryKey;size:40"`
	DepartmentID string `gorm:"primaryKey;size:40;index"`
	OrgPath      string `gorm:"size:255;not null;index"` // the case's
	Timeliness   int    `gorm:"not null"`
	Quality      int    `gorm:"not null"`
	Attitude     int    `gorm:"not null"`
	Satisfaction string `gorm:"size:32;not null"`
	Comment      string `gorm:"type:text"`
	Default      bool   `gorm:"not null"`
	Level        string `gorm:"size:16;not null"`
	// OrgUnitID is the evaluator's unit ("" for a default evaluation).
	OrgUnitID string    `gorm:"size:32;not null;default:''"`
	At        time.Time `gorm:"not null;index"`
	By        string    `gorm:"size:64"`
}

// TableName keeps the contract's name for the table.
func (EvaluationRow) TableName() string { return "evaluations" }
