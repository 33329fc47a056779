package loadgen

import "github.com/shaobao/shaobao/workflows"

// Phase is one group of a lifecycle's Temporal Updates: Count of them,
// sent together (Parallel: separate people acting at once) or one after
// another.
type Phase struct {
	Action   string // the latency report's name (ActFile, ...)
	Update   string // the workflow Update the API sends for it
	Count    int
	Parallel bool
}

// Shape is the Updates a joint lifecycle of the scenario takes, in order:
// the filing (update-with-start), every clerk's report (in parallel),
// every clerk's feedback (in parallel), the filer's verification, and the
// filer's evaluation of each department, one after another. Lifecycle
// follows it, and the bench's bare shape copies it, so the two cannot
// drift apart. The closing GET is not an Update and is not in it.
func (s Scenario) Shape() []Phase {
	n := len(s.Clerks)
	return []Phase{
		{Action: ActFile, Update: workflows.UpdateFiled, Count: 1},
		{Action: ActReport, Update: workflows.UpdateReport, Count: n, Parallel: true},
		{Action: ActFeedback, Update: workflows.UpdateFeedback, Count: n, Parallel: true},
		{Action: ActVerify, Update: workflows.UpdateVerify, Count: 1},
		{Action: ActEvaluate, Update: workflows.UpdateEvaluate, Count: n},
	}
}

// Updates is the number of Updates in a lifecycle of the scenario.
func (s Scenario) Updates() int {
	n := 0
	for _, p := range s.Shape() {
		n += p.Count
	}
	return n
}
