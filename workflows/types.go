package workflows

import (
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// WorkflowName is the name the whistle workflow is registered under.
const WorkflowName = "Whistle"

// WorkflowID returns the workflow id of a case: "case-" + case id. One
// workflow per case, so starting a second one for the same id fails.
func WorkflowID(caseID string) string { return "case-" + caseID }

// Update names: the human actions on a case. Each takes the input struct
// named in its comment and returns the new whistle.Case.
const (
	UpdateSummon           = "summon"            // SummonInput
	UpdateReport           = "report"            // ReportInput
	UpdateFeedback         = "feedback"          // FeedbackInput
	UpdateReturn           = "return"            // ReturnInput
	UpdateRequestExtension = "request_extension" // ExtensionInput
	UpdateAnswerExtension  = "answer_extension"  // AnswerExtensionInput
	UpdateVerify           = "verify"            // VerifyInput
	UpdateEvaluate         = "evaluate"          // EvaluateInput
	UpdateEscalate         = "escalate"          // EscalateInput
	// UpdateCallback records one call-back attempt (回访, callback.go).
	UpdateCallback = "callback" // CallbackInput
)

// QueryState is the query that returns the full whistle.Case, timeline included.
const QueryState = "state"

// DepartmentRef names a department to summon.
type DepartmentRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	OrgUnitID string `json:"org_unit_id"`
	OrgPath   string `json:"org_path"`
}

// OrgRef is one command level's org unit in a case's command chain.
type OrgRef struct {
	ID    string        `json:"id"`
	Path  string        `json:"path"`
	Level whistle.Level `json:"level"`
}

// WhistleInput starts a case. The API fills it from the filing request
// and the org tree; the workflow trusts it (the API has validated it).
type WhistleInput struct {
	ID string `json:"id"`
	// Number is the case number read out over the phone
	// (YYYYMMDD-NNNNN), allocated by the API before the start so replay
	// sees the same one; histories recorded before numbers lack it.
	Number        string           `json:"number,omitempty"`
	Title         string           `json:"title"`
	Description   string           `json:"description"`
	Category      string           `json:"category"`
	CatalogueItem string           `json:"catalogue_item,omitempty"`
	Source        whistle.Source   `json:"source"`
	Class         whistle.Class    `json:"class"`
	Location      whistle.Location `json:"location"`
	// Photos are ids of uploaded files; absent from older histories.
	Photos []string      `json:"photos,omitempty"`
	Filer  whistle.Actor `json:"filer"`
	// OrgUnitID and OrgPath are where the case was filed (a grid or a
	// community, say); jurisdiction is by this path.
	OrgUnitID string    `json:"org_unit_id"`
	OrgPath   string    `json:"org_path"`
	CreatedAt time.Time `json:"created_at"`
	// Departments are summoned when the case starts.
	Departments []DepartmentRef `json:"departments"`
	// Chain is the command chain from the filing level up to the city,
	// bottom first: escalation moves one step up it. Chain[0] holds the
	// case at first.
	Chain []OrgRef `json:"chain"`

	// HolderChain is the chain the case holds now when a dispatch replaced
	// it (carried over by Continue-As-New); empty means Chain.
	HolderChain []OrgRef `json:"holder_chain,omitempty"`

	// State is set only by Continue-As-New: the case carried over.
	State *whistle.Case `json:"state,omitempty"`
	// ProjectedSeq is the last timeline Seq already in the read model
	// (carried over by Continue-As-New).
	ProjectedSeq int64 `json:"projected_seq,omitempty"`
	// DefaultSatisfaction is the policy's default satisfaction fetched when
	// the evaluation window opened (carried over by Continue-As-New).
	DefaultSatisfaction whistle.Satisfaction `json:"default_satisfaction,omitempty"`
	// CallbackRequired: the satisfaction comes from a call-back to the
	// resident (回访); the API sets it at filing for residents' and hotline
	// cases. Absent from histories recorded before it, which follow the
	// old rules (the machine's call-back rules apply only when it is set).
	CallbackRequired bool `json:"callback_required,omitempty"`
	// PendingNotifications are notifications of a lean run whose
	// projection had not yet succeeded when it continued as new: the next
	// run hands them to its first projection.
	PendingNotifications []Notification `json:"pending_notifications,omitempty"`
}

// SummonInput summons departments; with RerouteTaskID it answers that
// returned task (which becomes rerouted).
type SummonInput struct {
	Actor         whistle.Actor   `json:"actor"`
	Departments   []DepartmentRef `json:"departments"`
	RerouteTaskID string          `json:"reroute_task_id,omitempty"`
	// HolderOrgUnitID is the org unit the API saw holding the case when it
	// authorized the action; the workflow refuses with a conflict when the
	// case has moved since. Empty (histories recorded before it) skips the check.
	HolderOrgUnitID string `json:"holder_org_unit_id,omitempty"`
}

// ReportInput is a department reporting for duty on its task.
type ReportInput struct {
	Actor  whistle.Actor `json:"actor"`
	TaskID string        `json:"task_id"`
}

// FeedbackInput is a department's result on its task.
type FeedbackInput struct {
	Actor    whistle.Actor `json:"actor"`
	TaskID   string        `json:"task_id"`
	Result   string        `json:"result"`
	Notes    string        `json:"notes"`
	Evidence []string      `json:"evidence"`
	// Files and BeforeFiles are ids of uploaded photos (after and before).
	Files       []string `json:"evidence_files,omitempty"`
	BeforeFiles []string `json:"before_files,omitempty"`
}

// ReturnInput returns a misrouted task to the whistling level.
type ReturnInput struct {
	Actor  whistle.Actor `json:"actor"`
	TaskID string        `json:"task_id"`
	Reason string        `json:"reason"`
}

// ExtensionInput asks for more handling time: either Until (a new handling
// deadline) or Extra (a span such as "2d" added to the current deadline on
// the class's clock), not both.
type ExtensionInput struct {
	Actor  whistle.Actor `json:"actor"`
	TaskID string        `json:"task_id"`
	Until  *time.Time    `json:"until,omitempty"`
	Extra  string        `json:"extra,omitempty"`
	Reason string        `json:"reason"`
}

// AnswerExtensionInput is the holder level's answer to a pending extension.
type AnswerExtensionInput struct {
	Actor   whistle.Actor `json:"actor"`
	TaskID  string        `json:"task_id"`
	Grant   bool          `json:"grant"`
	Comment string        `json:"comment"`
	// HolderOrgUnitID is the org unit the API saw holding the case when it
	// authorized the action; the workflow refuses with a conflict when the
	// case has moved since. Empty (histories recorded before it) skips the check.
	HolderOrgUnitID string `json:"holder_org_unit_id,omitempty"`
}

// VerifyInput is the filer's check of the result.
type VerifyInput struct {
	Actor   whistle.Actor `json:"actor"`
	Passed  bool          `json:"passed"`
	Comment string        `json:"comment"`
	// DepartmentIDs, on a failed verification, names the departments
	// whose work failed: only their tasks reopen (all when empty).
	DepartmentIDs []string `json:"department_ids,omitempty"`
	// HolderOrgUnitID is the org unit the API saw holding the case when it
	// authorized the action; the workflow refuses with a conflict when the
	// case has moved since. Empty (histories recorded before it) skips the check.
	HolderOrgUnitID string `json:"holder_org_unit_id,omitempty"`
}

// EvaluateInput is 一哨一评 for one department.
type EvaluateInput struct {
	Actor        whistle.Actor        `json:"actor"`
	DepartmentID string               `json:"department_id"`
	Timeliness   int                  `json:"timeliness"`
	Quality      int                  `json:"quality"`
	Attitude     int                  `json:"attitude"`
	Satisfaction whistle.Satisfaction `json:"satisfaction"`
	Comment      string               `json:"comment"`
	// HolderOrgUnitID is the org unit the API saw holding the case when it
	// authorized the action; the workflow refuses with a conflict when the
	// case has moved since. Empty (histories recorded before it) skips the check.
	HolderOrgUnitID string `json:"holder_org_unit_id,omitempty"`
}

// CallbackInput is one call-back attempt (回访): how and when the resident
// was called, whether they were reached and, if so, their satisfaction.
// At is the attempt's time as the recorder gives it (nil: now).
type CallbackInput struct {
	Actor        whistle.Actor        `json:"actor"`
	Method       string               `json:"method"`
	At           *time.Time           `json:"at,omitempty"`
	Reached      bool                 `json:"reached"`
	Satisfaction whistle.Satisfaction `json:"satisfaction,omitempty"`
	Note         string               `json:"note,omitempty"`
}

// EscalateInput asks the level above to take the case.
type EscalateInput struct {
	Actor  whistle.Actor `json:"actor"`
	Reason string        `json:"reason"`
	// Review: the asking level's own command centre reviews the
	// escalation before it goes up (a per-level setting the API reads).
	Review bool `json:"review,omitempty"`
	// HolderOrgUnitID is the org unit the API saw holding the case when it
	// authorized the action; the workflow refuses with a conflict when the
	// case has moved since. Empty (histories recorded before it) skips the check.
	HolderOrgUnitID string `json:"holder_org_unit_id,omitempty"`
}

// Activity names, as registered by activities.Register. The workflow calls
// activities by name so that it never imports the activities package (and
// with it the database).
const (
	ActivityDeadlines        = "Deadlines"
	ActivityAddSpan          = "AddSpan"
	ActivityEvaluationWindow = "EvaluationWindow"
	ActivityProject          = "Project"
	ActivityNotify           = "Notify"
)

// DeadlinesInput asks for a task's two clocks (or an evaluation window)
// under the SLA policy in force for Class at Level, starting From.
type DeadlinesInput struct {
	Class whistle.Class `json:"class"`
	Level whistle.Level `json:"level"`
	From  time.Time     `json:"from"`
}

// AddSpanInput asks for From plus Span ("2d", "4h") on the wall clock or on
// working time.
type AddSpanInput struct {
	From      time.Time `json:"from"`
	Span      string    `json:"span"`
	WallClock bool      `json:"wall_clock"`
}

// EvaluationWindow is when the evaluation window closes and the
// satisfaction recorded for departments left unevaluated then.
type EvaluationWindow struct {
	Due                 time.Time            `json:"due"`
	DefaultSatisfaction whistle.Satisfaction `json:"default_satisfaction"`
}

// ProjectInput is one projection write: the case (its Timeline left empty)
// and the timeline entries not yet projected.
type ProjectInput struct {
	Case    whistle.Case            `json:"case"`
	Entries []whistle.TimelineEntry `json:"entries"`
	// Notifications are the messages these entries produce. Runs on the
	// lean path (versionLean) hand them to the projection, which writes
	// them to the notification outbox in the same transaction as the
	// entries; a dispatcher in the worker delivers them. Older runs send
	// each through ActivityNotify and leave this empty.
	Notifications []Notification `json:"notifications,omitempty"`
}

// Notification tells an org unit's command centre or a department about a
// case event. Each notification comes from one timeline entry, so
// (CaseID, Seq) identifies it and makes a retried send idempotent.
type Notification struct {
	CaseID string    `json:"case_id"`
	Seq    int64     `json:"seq"`
	Event  string    `json:"event"` // the timeline entry type
	At     time.Time `json:"at"`
	Title  string    `json:"title"` // the case's title
	Class  string    `json:"class"`
	// The recipient: a command level's org unit, or a department.
	Level        whistle.Level `json:"level,omitempty"`
	OrgUnitID    string        `json:"org_unit_id,omitempty"`
	OrgPath      string        `json:"org_path,omitempty"`
	DepartmentID string        `json:"department_id,omitempty"`
	TaskID       string        `json:"task_id,omitempty"`
	Message      string        `json:"message"`
	// Number is the case number people read out; Deadline, when the
	// event has one, the instant it is about (a report deadline, a
	// warning's clock, an order's due), for the channels' texts.
	Number   string     `json:"number,omitempty"`
	Deadline *time.Time `json:"deadline,omitempty"`
}
