package whistle

// CasePending is a case filed without departments (待受理): held by the
// command centre of the level responsible for its location until it is
// accepted (and whistled), rejected or merged into another case.
const CasePending CaseStatus = "pending"

// Outcome is how a closed case ended.
type Outcome string

const (
	OutcomeResolved Outcome = "resolved" // the closed loop ran to its end
	OutcomeRejected Outcome = "rejected" // 不予受理
	OutcomeMerged   Outcome = "merged"   // 并案: closed into another case
)

// CountsForRates reports whether a case of this status and outcome counts
// as a case in the supervision rates: a case not yet accepted, rejected or
// merged into another was never worked on, so it is in no denominator. A
// case closed as unresolvable (挂账) counts, but not in the resolution rate
// (docs/supervision.md).
func CountsForRates(status CaseStatus, outcome Outcome) bool {
	return status != CasePending && outcome != OutcomeRejected && outcome != OutcomeMerged
}

// BreachAccept is a pending case left unanswered past its acceptance
// deadline (未按时受理); its breach names no task.
const BreachAccept = "accept"

// Timeline entry types of the acceptance queue.
const (
	EventAccepted     = "accepted"      // 受理: departments summoned next
	EventRejected     = "rejected"      // 不予受理, with the reason
	EventMerged       = "merged"        // closed into the case named in the detail
	EventMergedIn     = "merged_in"     // on the survivor: a duplicate was merged into it
	EventAcceptBreach = "accept_breach" // the acceptance deadline passed
)

// DefaultAcceptWithin is the acceptance clock of a source with no setting
// of its own: 2 working hours.
const DefaultAcceptWithin = "2h"
