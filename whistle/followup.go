package whistle

import "time"

// Warnings before a breach (预警), urging (催办) and supervision orders
// (督办): what a command centre uses to prevent breaches rather than
// record them.

// Warning levels of a task: the share of a running clock already spent.
const (
	WarningNone   = ""
	WarningYellow = "yellow" // the first threshold (default 50%) passed
	WarningRed    = "red"    // the second threshold (default 75%) passed
)

// Default warning thresholds, as fractions of a clock's span.
const (
	DefaultWarnYellow = 0.5
	DefaultWarnRed    = 0.75
)

// ClockWarnings are the instants a task's clocks pass their warning
// thresholds, in order (yellow, red): Report for the report-for-duty
// clock, Handle for the handling clock. Empty on tasks summoned before
// warnings existed.
type ClockWarnings struct {
	Report []time.Time `json:"report,omitempty"`
	Handle []time.Time `json:"handle,omitempty"`
}

// ERateLimited: the action was done too recently (an urge within the
// hour); a 429.
const ERateLimited = "rate_limited"

// UrgeEvery is how often a task's department may be urged.
const UrgeEvery = time.Hour

// BreachSupervision is a department that did not answer a supervision
// order by its deadline; it names the department, no task.
const BreachSupervision = "supervision"

// Timeline entry types of follow-up.
const (
	EventWarning             = "warning"              // a clock passed a threshold: detail "yellow report …"
	EventUrged               = "urged"                // 催办, with the message
	EventSupervisionOrdered  = "supervision_ordered"  // 督办 issued
	EventSupervisionAnswered = "supervision_answered" // a department answered an order
	EventSupervisionBreach   = "supervision_breach"   // a department missed an order's deadline
)

// SupervisionOrder is 督办: a supervisor's order on a case to named
// departments, with its own deadline and an answer from each.
type SupervisionOrder struct {
	ID          string    `json:"id"` // "<case id>-S<n>"
	Seq         int64     `json:"seq"`
	Requirement string    `json:"requirement"`
	Due         time.Time `json:"due"`
	IssuedAt    time.Time `json:"issued_at"`
	IssuedBy    string    `json:"issued_by"`
	// IssuedByOrgUnitID is the issuer's unit: it hears the answers.
	IssuedByOrgUnitID string            `json:"issued_by_org_unit_id"`
	IssuedByOrgPath   string            `json:"issued_by_org_path"`
	Departments       []OrderDepartment `json:"departments"`
}

// Open reports whether a named department has not answered yet.
func (o *SupervisionOrder) Open() bool {
	for _, d := range o.Departments {
		if d.AnsweredAt == nil {
			return true
		}
	}
	return false
}

// OrderDepartment is one named department's part of an order.
type OrderDepartment struct {
	DepartmentID   string     `json:"department_id"`
	DepartmentName string     `json:"department_name,omitempty"`
	Answer         string     `json:"answer,omitempty"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
	AnsweredBy     string     `json:"answered_by,omitempty"`
	// Breached is set when the deadline passed unanswered; Late when the
	// answer came after it.
	Breached bool `json:"breached,omitempty"`
	Late     bool `json:"late,omitempty"`
	// BreachID is the breach recorded when the deadline passed.
	BreachID string `json:"breach_id,omitempty"`
}
