package whistle

// Clocks are one class's SLA policy as an admin writes it. Spans are
// worktime spans ("30m", "2h", "3d"): on working time for every class but
// emergency, whose report and handling clocks run on the wall clock. The
// evaluation window is always on working time.
type Clocks struct {
	ReportWithin, HandleWithin, EvaluateWithin string
	// DefaultSatisfaction is recorded for a department the filer did not
	// evaluate before the window closed.
	DefaultSatisfaction Satisfaction
}

// DefaultClocks are the clocks of DESIGN.md §2, per class, at every
// level: what a new database is seeded with.
var DefaultClocks = map[Class]Clocks{
	ClassEmergency:    {ReportWithin: "30m", HandleWithin: "24h", EvaluateWithin: DefaultEvaluateWithin, DefaultSatisfaction: DefaultSatisfaction},
	ClassKey:          {ReportWithin: "2h", HandleWithin: "3d", EvaluateWithin: DefaultEvaluateWithin, DefaultSatisfaction: DefaultSatisfaction},
	ClassRoutine:      {ReportWithin: "1d", HandleWithin: "7d", EvaluateWithin: DefaultEvaluateWithin, DefaultSatisfaction: DefaultSatisfaction},
	ClassCoordination: {ReportWithin: "2d", HandleWithin: "15d", EvaluateWithin: DefaultEvaluateWithin, DefaultSatisfaction: DefaultSatisfaction},
}

const (
	// DefaultEvaluateWithin is the evaluation window of a policy that
	// names none: three working days.
	DefaultEvaluateWithin = "3d"
	// DefaultSatisfaction is the default satisfaction of a policy that
	// names none, or none that is valid.
	DefaultSatisfaction = Satisfied
	// DefaultScore is the timeliness, quality and attitude recorded for a
	// department when the evaluation window closes unevaluated: the
	// midpoint of 1–5, neither rewarding nor punishing a department for
	// the filer's silence.
	DefaultScore = 3
)

// EvaluateWithinOrDefault returns within, or DefaultEvaluateWithin when it
// is blank.
func EvaluateWithinOrDefault(within string) string {
	if within == "" {
		return DefaultEvaluateWithin
	}
	return within
}

// OrDefault returns s when it is valid, DefaultSatisfaction otherwise.
func (s Satisfaction) OrDefault() Satisfaction {
	if s.Valid() {
		return s
	}
	return DefaultSatisfaction
}
