package whistle

import "time"

// InUTC returns a copy of c with every time in UTC: the case's own, its
// tasks' (with their feedback and extension request), escalations',
// evaluations', breaches', timeline's and supervision orders'. The API answers every time in
// UTC ("Z"), the read model's form; cases that ran before the deadline
// activities returned UTC still hold +08:00 times in workflow state.
// c is not changed: the slices and pointers of the copy are new.
func (c Case) InUTC() Case {
	c.EvaluationDue = utcPtr(c.EvaluationDue)
	c.CreatedAt = c.CreatedAt.UTC()
	c.UpdatedAt = c.UpdatedAt.UTC()
	c.VerifiedAt = utcPtr(c.VerifiedAt)
	c.ClosedAt = utcPtr(c.ClosedAt)
	c.AcceptDeadline = utcPtr(c.AcceptDeadline)
	c.Tasks = mapSlice(c.Tasks, Task.InUTC)
	c.Escalations = mapSlice(c.Escalations, func(e Escalation) Escalation {
		e.At, e.AnswerDeadline, e.AnsweredAt = e.At.UTC(), utcPtr(e.AnswerDeadline), utcPtr(e.AnsweredAt)
		return e
	})
	c.Dispatches = mapSlice(c.Dispatches, func(d Dispatch) Dispatch {
		d.At, d.RecalledAt = d.At.UTC(), utcPtr(d.RecalledAt)
		return d
	})
	if c.Unresolvable != nil {
		u := c.Unresolvable.InUTC()
		c.Unresolvable = &u
	}
	c.Evaluations = mapSlice(c.Evaluations, func(e Evaluation) Evaluation { e.At = e.At.UTC(); return e })
	c.Callbacks = mapSlice(c.Callbacks, func(a CallbackAttempt) CallbackAttempt {
		a.At, a.RecordedAt = a.At.UTC(), a.RecordedAt.UTC()
		return a
	})
	c.Breaches = mapSlice(c.Breaches, func(b Breach) Breach {
		b.Deadline, b.At, b.ResolvedAt = b.Deadline.UTC(), b.At.UTC(), utcPtr(b.ResolvedAt)
		return b
	})
	c.Timeline = mapSlice(c.Timeline, func(e TimelineEntry) TimelineEntry { e.At = e.At.UTC(); return e })
	c.SupervisionOrders = mapSlice(c.SupervisionOrders, func(o SupervisionOrder) SupervisionOrder {
		o.Due, o.IssuedAt = o.Due.UTC(), o.IssuedAt.UTC()
		o.Departments = mapSlice(o.Departments, func(d OrderDepartment) OrderDepartment { d.AnsweredAt = utcPtr(d.AnsweredAt); return d })
		return o
	})
	return c
}

// InUTC returns a copy of u with its times in UTC.
func (u UnresolvableRequest) InUTC() UnresolvableRequest {
	u.RequestedAt, u.AnsweredAt = u.RequestedAt.UTC(), utcPtr(u.AnsweredAt)
	return u
}

// InUTC returns a copy of t with every time in UTC, its feedback's,
// extension request's and warning instants included.
func (t Task) InUTC() Task {
	t.SummonedAt = t.SummonedAt.UTC()
	t.ReportDeadline = t.ReportDeadline.UTC()
	t.HandleDeadline = t.HandleDeadline.UTC()
	t.ReportedAt = utcPtr(t.ReportedAt)
	t.DoneAt = utcPtr(t.DoneAt)
	t.ReturnedAt = utcPtr(t.ReturnedAt)
	t.DroppedAt = utcPtr(t.DroppedAt)
	t.ExtensionLimits.Cap = utcPtr(t.ExtensionLimits.Cap)
	t.LastUrgedAt = utcPtr(t.LastUrgedAt)
	t.WarnAt.Report = mapSlice(t.WarnAt.Report, time.Time.UTC)
	t.WarnAt.Handle = mapSlice(t.WarnAt.Handle, time.Time.UTC)
	if t.Feedback != nil {
		f := *t.Feedback
		f.At = f.At.UTC()
		t.Feedback = &f
	}
	if t.Extension != nil {
		x := *t.Extension
		x.Until, x.RequestedAt, x.AnsweredAt = x.Until.UTC(), x.RequestedAt.UTC(), utcPtr(x.AnsweredAt)
		t.Extension = &x
	}
	return t
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// mapSlice keeps nil nil, so a case's JSON does not change shape.
func mapSlice[T any](in []T, f func(T) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
