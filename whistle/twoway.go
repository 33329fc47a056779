package whistle

import "time"

// The four levels both ways and the exceptions of a joint case (issue 13):
// dispatch down (派单) and recall, answered escalations, reviewed returns,
// dropped and released tasks, a lead department (主办), targeted rework,
// unresolvable cases (挂账) and extension limits.

// Task statuses beyond the closed loop's four.
const (
	// TaskReturnRequested is a return (退回) awaiting the holder's answer:
	// the department's clocks keep running until the return is accepted.
	TaskReturnRequested TaskStatus = "return_requested"
	// TaskDropped is a task the holder withdrew (a wrongly summoned
	// department), or closed with an unresolvable case: it owes nothing.
	TaskDropped TaskStatus = "dropped"
	// TaskReleased is an assisting department the lead released (协办解除).
	TaskReleased TaskStatus = "released"
)

// OutcomeUnresolvable is a case closed as unresolvable for now (挂账),
// approved by the level above.
const OutcomeUnresolvable Outcome = "unresolvable"

// Escalation statuses. An escalation a level asks for waits for the level
// above to answer; one a clock forces (a handling breach, repeated failed
// verification) moves at once and has status "" (as all escalations
// recorded before answers existed).
const (
	EscalationInReview = "review"   // the asking level's own command centre reviews it first
	EscalationPending  = "pending"  // waiting for the level above
	EscalationAccepted = "accepted" // the level above took the case
	EscalationReturned = "returned" // sent back with instructions
)

// BreachEscalation is an escalation the level above left unanswered past
// its answer deadline; it names no task and is the upper level's breach.
const BreachEscalation = "escalation"

// Timeline entry types of issue 13.
const (
	EventDispatched             = "dispatched"               // 派单: handed down to the unit in the detail
	EventRecalled               = "recalled"                 // taken back by the unit that dispatched it
	EventEscalationRequested    = "escalation_requested"     // asked of the level above (or its review)
	EventEscalationReviewed     = "escalation_reviewed"      // the asking level's review passed it up
	EventEscalationAccepted     = "escalation_accepted"      // the level above took the case
	EventEscalationReturned     = "escalation_returned"      // sent back with instructions
	EventEscalationAnswerBreach = "escalation_answer_breach" // the level above did not answer in time
	EventReturnRequested        = "return_requested"         // a department asks to return its task
	EventReturnAccepted         = "return_accepted"          // the holder accepts: re-route or drop next
	EventReturnRefused          = "return_refused"           // the task goes back to the department
	EventDropped                = "dropped"                  // the holder withdrew a department
	EventLeadSet                = "lead_set"                 // the task's department leads (主办)
	EventReleased               = "released"                 // the lead released an assisting department
	EventBackToPending          = "back_to_pending"          // no department left: the case awaits acceptance again
	EventUnresolvableRequested  = "unresolvable_requested"   // 挂账 applied for
	EventUnresolvableApproved   = "unresolvable_approved"    // approved: the case closes as unresolvable
	EventUnresolvableRefused    = "unresolvable_refused"     // refused: the case goes on
)

// Dispatch is one hand-down of a case (派单) from the unit holding it to a
// unit inside its jurisdiction. The sender keeps watching it and may take
// it back (recall) while the receiver holds it.
type Dispatch struct {
	Seq         int64      `json:"seq"`
	FromOrgUnit string     `json:"from_org_unit_id"`
	FromOrgPath string     `json:"from_org_path"`
	FromLevel   Level      `json:"from_level"`
	ToOrgUnit   string     `json:"to_org_unit_id"`
	ToOrgPath   string     `json:"to_org_path"`
	ToLevel     Level      `json:"to_level"`
	Reason      string     `json:"reason,omitempty"`
	At          time.Time  `json:"at"`
	By          string     `json:"by"`
	RecalledAt  *time.Time `json:"recalled_at,omitempty"`
	RecalledBy  string     `json:"recalled_by,omitempty"`
}

// Unresolvable statuses.
const (
	UnresolvablePending  = "pending"
	UnresolvableApproved = "approved"
	UnresolvableRefused  = "refused"
)

// UnresolvableRequest is a holder's application to close a case that
// cannot be solved now (疑难件/挂账), answered by the level above.
type UnresolvableRequest struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
	// ApproverOrgUnitID and ApproverOrgPath are the unit that answers: the
	// level above the holder when it applied (the city answers its own).
	ApproverOrgUnitID string     `json:"approver_org_unit_id"`
	ApproverOrgPath   string     `json:"approver_org_path"`
	RequestedAt       time.Time  `json:"requested_at"`
	RequestedBy       string     `json:"requested_by"`
	AnsweredAt        *time.Time `json:"answered_at,omitempty"`
	AnsweredBy        string     `json:"answered_by,omitempty"`
	Comment           string     `json:"comment,omitempty"`
}

// ExtensionLimits bound a task's extensions (per class in the SLA policy):
// at most Count requests granted, and no new deadline past Cap (the first
// handling deadline plus the policy's total, in working days). Zero values,
// on tasks summoned before limits existed, mean no limit.
type ExtensionLimits struct {
	Count int        `json:"count,omitempty"`
	Cap   *time.Time `json:"cap,omitempty"`
}

// Default extension limits of a class with no setting: 2 extensions, 15
// working days in total.
const (
	DefaultMaxExtensions    = 2
	DefaultMaxExtensionDays = 15
)

// Waiting reports whether the task still holds the case open: a department
// owing work, or a return awaiting the holder's answer or a re-route.
func (t *Task) Waiting() bool {
	return t.Active() || t.Status == TaskReturnRequested || (t.Status == TaskReturned && !t.Rerouted)
}

// OpenEscalation is the escalation waiting for a review or an answer, nil
// when none is.
func (c *Case) OpenEscalation() *Escalation {
	for i := len(c.Escalations) - 1; i >= 0; i-- {
		if e := &c.Escalations[i]; e.Status == EscalationPending || e.Status == EscalationInReview {
			return e
		}
	}
	return nil
}

// Recallable is the dispatch that handed the case to its current holder,
// while it may still be recalled; nil otherwise.
func (c *Case) Recallable() *Dispatch {
	if n := len(c.Dispatches); n > 0 {
		if d := &c.Dispatches[n-1]; d.RecalledAt == nil && d.ToOrgUnit == c.HolderOrgUnitID {
			return d
		}
	}
	return nil
}
