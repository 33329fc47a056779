package whistle

import "time"

// Location is where the problem is. An address alone is enough (a
// hotline caller rarely knows coordinates): Lat and Lon are WGS-84
// degrees, both or neither, nil when none were given. Pointers rather
// than a flag keep the workflow inputs of recorded histories, which carry
// plain numbers, decoding exactly as before.
type Location struct {
	Address string   `json:"address"`
	Lat     *float64 `json:"lat,omitempty"`
	Lon     *float64 `json:"lon,omitempty"`
	GridID  string   `json:"grid_id,omitempty"`
}

// At is the location at an address and a point.
func At(address string, lat, lon float64) Location {
	return Location{Address: address, Lat: &lat, Lon: &lon}
}

// WithGrid is l in grid gridID.
func (l Location) WithGrid(gridID string) Location {
	l.GridID = gridID
	return l
}

// Point returns the location's coordinates; ok is false when it has none.
func (l Location) Point() (lat, lon float64, ok bool) {
	if l.Lat == nil || l.Lon == nil {
		return 0, 0, false
	}
	return *l.Lat, *l.Lon, true
}

// Case is one whistle: the workflow's state and the read model's shape.
// The workflow is its source of truth; the tables are its projection.
type Case struct {
	ID string `json:"id"`
	// Number is the readable case number, YYYYMMDD-NNNNN (China date of
	// filing and the day's sequence), fixed at filing; empty on cases
	// filed before numbers existed.
	Number        string     `json:"number,omitempty"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	Category      string     `json:"category"`
	CatalogueItem string     `json:"catalogue_item,omitempty"`
	Source        Source     `json:"source"`
	Class         Class      `json:"class"`
	Status        CaseStatus `json:"status"`
	Overdue       bool       `json:"overdue"`
	Location      Location   `json:"location"`
	// Photos are ids of uploaded files (POST /files) the filer attached.
	Photos []string `json:"photos,omitempty"`

	// OrgUnitID is where the case was filed; jurisdiction is by its path.
	OrgUnitID string `json:"org_unit_id"`
	OrgPath   string `json:"org_path"`
	// Level and HolderOrgUnitID are the command level now holding the case:
	// the filer's level, or higher after escalation.
	Level           Level  `json:"level"`
	HolderOrgUnitID string `json:"holder_org_unit_id"`
	HolderOrgPath   string `json:"holder_org_path"`

	FiledBy        string `json:"filed_by"` // username
	FiledByUserID  string `json:"filed_by_user_id"`
	VerifyFailures int    `json:"verify_failures"`

	Tasks       []Task          `json:"tasks"`
	Escalations []Escalation    `json:"escalations"`
	Evaluations []Evaluation    `json:"evaluations"`
	Breaches    []Breach        `json:"breaches"`
	Timeline    []TimelineEntry `json:"timeline"`

	// Outcome is how a closed case ended; "" until it closes.
	Outcome Outcome `json:"outcome,omitempty"`
	// MergedInto is the surviving case of a merged one.
	MergedInto string `json:"merged_into,omitempty"`
	// RejectReason is why a pending case was not accepted.
	RejectReason string `json:"reject_reason,omitempty"`
	// AcceptDeadline is when a pending case must be accepted, rejected or
	// merged; AcceptBreached is set once it passed unanswered.
	AcceptDeadline *time.Time `json:"accept_deadline,omitempty"`
	AcceptBreached bool       `json:"accept_breached,omitempty"`

	// Dispatches are the hand-downs of the case (派单), oldest first.
	Dispatches []Dispatch `json:"dispatches,omitempty"`
	// Unresolvable is the latest application to close the case as
	// unresolvable (挂账).
	Unresolvable *UnresolvableRequest `json:"unresolvable,omitempty"`
	// SupervisionOrders are the 督办 orders issued on the case, oldest first.
	SupervisionOrders []SupervisionOrder `json:"supervision_orders,omitempty"`

	// CallbackRequired: the satisfaction of this case comes from a
	// call-back to the resident (回访, callback.go); false on cases filed
	// before it, which follow the old rules. Callback is its state
	// (CallbackPending once verified) and Callbacks the attempts, oldest first.
	CallbackRequired bool              `json:"callback_required,omitempty"`
	Callback         string            `json:"callback,omitempty"`
	Callbacks        []CallbackAttempt `json:"callbacks,omitempty"`

	// EvaluationDue is when the evaluation window closes (status evaluating).
	EvaluationDue *time.Time `json:"evaluation_due,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	VerifiedAt    *time.Time `json:"verified_at,omitempty"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	// Seq is the sequence number of the last timeline entry: the case's version.
	Seq int64 `json:"seq"`
}

// Task is one summoned department's part of a case.
type Task struct {
	ID             string     `json:"id"`
	CaseID         string     `json:"case_id"`
	DepartmentID   string     `json:"department_id"`
	DepartmentName string     `json:"department_name,omitempty"`
	Status         TaskStatus `json:"status"`
	SummonedAt     time.Time  `json:"summoned_at"`
	SummonedBy     string     `json:"summoned_by"`
	SummonedLevel  Level      `json:"summoned_level"`
	ReportDeadline time.Time  `json:"report_deadline"`
	HandleDeadline time.Time  `json:"handle_deadline"`
	Overdue        bool       `json:"overdue"`
	ReportedAt     *time.Time `json:"reported_at,omitempty"`
	DoneAt         *time.Time `json:"done_at,omitempty"`
	ReturnedAt     *time.Time `json:"returned_at,omitempty"`
	ReturnReason   string     `json:"return_reason,omitempty"`
	// Rerouted is true once the whistling level has answered a return.
	Rerouted       bool              `json:"rerouted,omitempty"`
	ReportBreached bool              `json:"report_breached"`
	HandleBreached bool              `json:"handle_breached"`
	Reopened       int               `json:"reopened"`
	Extensions     int               `json:"extensions"` // granted
	Feedback       *Feedback         `json:"feedback,omitempty"`
	Extension      *ExtensionRequest `json:"extension,omitempty"` // the latest request
	// ExtensionLimits bound the extensions (zero: summoned before limits).
	ExtensionLimits ExtensionLimits `json:"extension_limits,omitempty"`
	// Lead marks the lead department (主办); the others assist (协办).
	Lead bool `json:"lead,omitempty"`
	// ReturnFrom is the status a return was requested from: a refused
	// return puts the task back there.
	ReturnFrom TaskStatus `json:"return_from,omitempty"`
	// ReturnAnswer is the holder's comment on the return.
	ReturnAnswer string `json:"return_answer,omitempty"`
	// DroppedAt and DropReason: the holder withdrew the department, or the
	// lead released it (status released).
	DroppedAt  *time.Time `json:"dropped_at,omitempty"`
	DropReason string     `json:"drop_reason,omitempty"`

	// Warning is how much of its running clock the task has spent:
	// WarningNone, WarningYellow or WarningRed (预警).
	Warning string `json:"warning"`
	// WarnAt are the warning instants of both clocks; WarnedReport and
	// WarnedHandle count those already announced.
	WarnAt       ClockWarnings `json:"warn_at,omitempty"`
	WarnedReport int           `json:"warned_report,omitempty"`
	WarnedHandle int           `json:"warned_handle,omitempty"`
	// Urges counts 催办; LastUrgedAt is the latest (one per UrgeEvery).
	Urges       int        `json:"urges,omitempty"`
	LastUrgedAt *time.Time `json:"last_urged_at,omitempty"`
}

// Active reports whether the department still owes work on the task.
func (t *Task) Active() bool { return t.Status == TaskSummoned || t.Status == TaskReported }

// Feedback is a department's result.
type Feedback struct {
	Result   string   `json:"result"`
	Notes    string   `json:"notes"`
	Evidence []string `json:"evidence"`
	// Files are ids of uploaded photos proving the work (after), and
	// BeforeFiles those of the scene before it; beside Evidence's links.
	Files       []string  `json:"evidence_files,omitempty"`
	BeforeFiles []string  `json:"before_files,omitempty"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
}

// Extension request statuses.
const (
	ExtensionPending = "pending"
	ExtensionGranted = "granted"
	ExtensionRefused = "refused"
)

// ExtensionRequest is a department's request for more handling time.
type ExtensionRequest struct {
	Until       time.Time  `json:"until"`
	Reason      string     `json:"reason"`
	Status      string     `json:"status"`
	RequestedAt time.Time  `json:"requested_at"`
	RequestedBy string     `json:"requested_by"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	AnsweredBy  string     `json:"answered_by,omitempty"`
	Comment     string     `json:"comment,omitempty"`
}

// Escalation kinds.
const (
	EscalationRequested    = "requested"     // 本级无法解决
	EscalationHandleBreach = "handle_breach" // 处置超时
	EscalationVerification = "verification"  // 多次核查不通过
)

// Escalation records a case going up one level.
type Escalation struct {
	Seq           int64     `json:"seq"`
	CaseID        string    `json:"case_id"`
	From          Level     `json:"from"`
	To            Level     `json:"to"`
	FromOrgUnitID string    `json:"from_org_unit_id"`
	ToOrgUnitID   string    `json:"to_org_unit_id"`
	Kind          string    `json:"kind"`
	Reason        string    `json:"reason"`
	At            time.Time `json:"at"`
	By            string    `json:"by"`
	// ToOrgPath is the upper unit's path (who answers).
	ToOrgPath string `json:"to_org_path,omitempty"`
	// Status: see EscalationPending; "" for one that moved at once.
	Status         string     `json:"status,omitempty"`
	AnswerDeadline *time.Time `json:"answer_deadline,omitempty"`
	AnswerBreached bool       `json:"answer_breached,omitempty"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
	AnsweredBy     string     `json:"answered_by,omitempty"`
	Comment        string     `json:"comment,omitempty"`
}

// Breach kinds.
const (
	BreachReport = "report" // 未按时报到
	BreachHandle = "handle" // 未按时办结
)

// Breach records a missed deadline.
type Breach struct {
	ID           string     `json:"id"`
	CaseID       string     `json:"case_id"`
	TaskID       string     `json:"task_id"`
	DepartmentID string     `json:"department_id"`
	Kind         string     `json:"kind"`
	Deadline     time.Time  `json:"deadline"`
	At           time.Time  `json:"at"`
	Level        Level      `json:"level"`
	Resolved     bool       `json:"resolved"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
}

// Evaluation is 一哨一评: the filer's scores for one department.
type Evaluation struct {
	CaseID       string       `json:"case_id"`
	DepartmentID string       `json:"department_id"`
	Timeliness   int          `json:"timeliness"`
	Quality      int          `json:"quality"`
	Attitude     int          `json:"attitude"`
	Satisfaction Satisfaction `json:"satisfaction"`
	Comment      string       `json:"comment,omitempty"`
	// Default is true when the window closed without an evaluation.
	Default bool  `json:"default"`
	Level   Level `json:"level"` // the level that evaluated
	// OrgUnitID is the evaluator's org unit (the unit credited with the
	// evaluation), "" for a default one.
	OrgUnitID string    `json:"org_unit_id,omitempty"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
}

// Timeline entry types.
const (
	EventFiled               = "filed"
	EventSummoned            = "summoned"
	EventReported            = "reported"
	EventFeedback            = "feedback"
	EventReturned            = "returned"
	EventExtensionRequested  = "extension_requested"
	EventExtensionGranted    = "extension_granted"
	EventExtensionRefused    = "extension_refused"
	EventReportBreach        = "report_breach"
	EventHandleBreach        = "handle_breach"
	EventEscalated           = "escalated"
	EventVerified            = "verified"
	EventVerificationFailed  = "verification_failed"
	EventEvaluated           = "evaluated"
	EventEvaluationDefaulted = "evaluation_defaulted"
	EventClosed              = "closed"
	// EventRerouted marks a returned task answered by a new summons.
	EventRerouted = "rerouted"
	// EventAwaitingVerification: every department has done its part.
	EventAwaitingVerification = "awaiting_verification"
	// EventReopened: a done task reopened by a failed verification.
	EventReopened = "reopened"
)

// TimelineEntry is one state change of a case. Seq is unique per case.
type TimelineEntry struct {
	Seq          int64     `json:"seq"`
	At           time.Time `json:"at"`
	Type         string    `json:"type"`
	Actor        string    `json:"actor"`
	TaskID       string    `json:"task_id,omitempty"`
	DepartmentID string    `json:"department_id,omitempty"`
	Detail       string    `json:"detail,omitempty"`
}
